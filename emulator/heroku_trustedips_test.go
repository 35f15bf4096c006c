package emulator_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

func rule(action, src string) emulator.InboundRule {
	return emulator.InboundRule{Action: action, Source: netip.MustParsePrefix(src)}
}

func TestPutInboundRulesetValidation(t *testing.T) {
	tests := []struct {
		name    string
		rules   []emulator.InboundRule
		wantErr bool
	}{
		{"allow one", []emulator.InboundRule{rule("allow", "203.0.113.0/24")}, false},
		{"empty blocks all", nil, false},
		{"deny then allow", []emulator.InboundRule{rule("deny", "203.0.113.0/25"), rule("allow", "203.0.113.0/24")}, false},
		{"bad action", []emulator.InboundRule{rule("permit", "203.0.113.0/24")}, true},
		{"IPv6", []emulator.InboundRule{rule("allow", "2001:db8::/32")}, true},
		{"host bits", []emulator.InboundRule{rule("allow", "203.0.113.7/24")}, true},
		{"duplicate", []emulator.InboundRule{rule("allow", "10.0.0.0/8"), rule("deny", "10.0.0.0/8")}, true},
		{"invalid prefix", []emulator.InboundRule{{Action: "allow"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := seedWorld(t)
			err := w.Update(func(tx *emulator.Tx) error {
				_, err := tx.PutInboundRuleset(tx.Space("enablement-jp"), tc.rules, "user@example.com")
				return err
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			_ = w.View(func(tx *emulator.Tx) error {
				sp := tx.Space("enablement-jp")
				want := 2
				if tc.wantErr {
					want = 1
				}
				if len(sp.InboundRulesets) != want {
					t.Errorf("%d versions, want %d", len(sp.InboundRulesets), want)
				}
				return nil
			})
		})
	}
}

func TestInboundRulesetAllows(t *testing.T) {
	rs := &emulator.InboundRuleset{Rules: []emulator.InboundRule{rule("deny", "203.0.113.128/25"), rule("allow", "203.0.113.0/24")}}
	tests := []struct {
		src      string
		rs       *emulator.InboundRuleset
		want     bool
		whyMatch string
	}{
		{"203.0.113.5", rs, true, "allow 203.0.113.0/24"},
		{"203.0.113.200", rs, false, "deny 203.0.113.128/25"},
		{"198.51.100.1", rs, false, "in no trusted IP range"},
		{"198.51.100.1", &emulator.InboundRuleset{}, false, "no trusted IP ranges"},
		{"198.51.100.1", &emulator.InboundRuleset{Rules: []emulator.InboundRule{emulator.DefaultInboundRule}}, true, "allow 0.0.0.0/0"},
	}
	for _, tc := range tests {
		t.Run(tc.src+" "+tc.whyMatch, func(t *testing.T) {
			got, why := tc.rs.Allows(netip.MustParseAddr(tc.src))
			if got != tc.want || !strings.Contains(why, tc.whyMatch) {
				t.Errorf("Allows = %v, %q; want %v and a reason with %q", got, why, tc.want, tc.whyMatch)
			}
		})
	}
}

func TestNewSpaceTrustsEverything(t *testing.T) {
	w, _ := seedWorld(t)
	_ = w.View(func(tx *emulator.Tx) error {
		rs := tx.Space("enablement-jp").InboundRuleset()
		if rs == nil || len(rs.Rules) != 1 || rs.Rules[0] != emulator.DefaultInboundRule || rs.CreatedBy != "enablement@herokumanager.com" {
			t.Errorf("default ruleset %+v", rs)
		}
		return nil
	})
}

// TestFailedPutKeepsHistory: an Update that puts rulesets and then fails leaves the space's
// history exactly as it was, whether the appends fit the history's spare capacity or moved it
// to a new array (the journal keeps only the history's header: heroku_trustedips.go).
func TestFailedPutKeepsHistory(t *testing.T) {
	for _, puts := range []int{1, 2, 9} {
		t.Run(strings.Repeat("put,", puts)+"fail", func(t *testing.T) {
			w, _ := seedWorld(t)
			for i := range 3 { // a history with some length (and, by append, spare capacity)
				if err := w.Update(func(tx *emulator.Tx) error {
					_, err := tx.PutInboundRuleset(tx.Space("enablement-jp"), []emulator.InboundRule{rule("allow", netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 32).String())}, "user@example.com")
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			ids := func(rs []*emulator.InboundRuleset) []string { // by id: test binaries copy the world after each Update
				var out []string
				for _, r := range rs {
					out = append(out, r.ID)
				}
				return out
			}
			var before []string
			var rules []emulator.InboundRule
			w.View(func(tx *emulator.Tx) error {
				sp := tx.Space("enablement-jp")
				before, rules = ids(sp.InboundRulesets), slices.Clone(sp.InboundRuleset().Rules)
				return nil
			})
			err := w.Update(func(tx *emulator.Tx) error {
				for range puts {
					if _, err := tx.PutInboundRuleset(tx.Space("enablement-jp"), []emulator.InboundRule{rule("allow", "0.0.0.0/0")}, "user@example.com"); err != nil {
						return err
					}
				}
				_, err := tx.PutInboundRuleset(tx.Space("enablement-jp"), []emulator.InboundRule{rule("permit", "0.0.0.0/0")}, "user@example.com")
				return err
			})
			if err == nil {
				t.Fatal("a ruleset with action permit was accepted")
			}
			w.View(func(tx *emulator.Tx) error {
				sp := tx.Space("enablement-jp")
				if !slices.Equal(ids(sp.InboundRulesets), before) {
					t.Errorf("history after a failed update: %d versions, want the %d before it", len(sp.InboundRulesets), len(before))
				}
				if got := sp.InboundRuleset().Rules; !slices.Equal(got, rules) {
					t.Errorf("rules in force after a failed update: %v, want %v", got, rules)
				}
				return nil
			})
			// The next put appends after the history as it was.
			if err := w.Update(func(tx *emulator.Tx) error {
				_, err := tx.PutInboundRuleset(tx.Space("enablement-jp"), nil, "user@example.com")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			w.View(func(tx *emulator.Tx) error {
				sp := tx.Space("enablement-jp")
				got := ids(sp.InboundRulesets)
				if len(got) != len(before)+1 || !slices.Equal(got[:len(before)], before) || len(sp.InboundRuleset().Rules) != 0 {
					t.Errorf("history after the next put: %v, rules in force %v; want %v, then the empty one", got, sp.InboundRuleset().Rules, before)
				}
				return nil
			})
		})
	}
}
