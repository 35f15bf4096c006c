package emulator_test

import (
	"net/netip"
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
