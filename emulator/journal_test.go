package emulator_test

import (
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
)

// TestJournalPutsBackWhatItNamed: a failed Update leaves no trace of the changes its operations
// named (a tag map, kept exactly as it was, and a rule added to a group); the network generation moves only with changes
// that reach the data plane.
func TestJournalPutsBackWhatItNamed(t *testing.T) {
	w := emulatortest.World(t)
	c := emulatortest.Customer
	var sg string
	var pcx string
	if err := w.Update(func(tx *emulator.Tx) error {
		var err error
		pcx, err = emulatortest.RequestPeering(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.View(func(tx *emulator.Tx) error {
		for _, g := range tx.SecurityGroups() {
			if g.VPCID == emulatortest.CustomerVPC {
				sg = g.ID
			}
		}
		return nil
	})
	var before emulator.Tags
	w.View(func(tx *emulator.Tx) error { before = maps.Clone(tx.Peering(pcx).Tags); return nil })
	port := 9999
	abort := errors.New("abort")
	gen, net := w.Generation(), w.NetworkGeneration()
	err := w.Update(func(tx *emulator.Tx) error {
		if err := tx.CreateTags(c, []string{pcx}, emulator.Tags{"env": "x"}); err != nil {
			return err
		}
		if _, err := tx.AuthorizeIngress(c, sg, []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port,
			CIDRs: []emulator.PermissionCIDR{{CIDR: "192.0.2.0/24"}}}}); err != nil {
			return err
		}
		return abort
	})
	if !errors.Is(err, abort) {
		t.Fatal(err)
	}
	w.View(func(tx *emulator.Tx) error {
		if tags := tx.Peering(pcx).Tags; !reflect.DeepEqual(tags, before) {
			t.Errorf("tags after a failed update: %v", tags)
		}
		for _, r := range tx.SecurityGroup(sg).Ingress {
			if r.FromPort == port {
				t.Errorf("rule after a failed update: %+v", r)
			}
		}
		return nil
	})
	if w.Generation() != gen || w.NetworkGeneration() != net {
		t.Errorf("a failed update moved the generations")
	}
	if err := w.Update(func(tx *emulator.Tx) error { return tx.CreateTags(c, []string{pcx}, emulator.Tags{"env": "x"}) }); err != nil {
		t.Fatal(err)
	}
	if w.Generation() != gen+1 || w.NetworkGeneration() != net {
		t.Errorf("tags moved the network generation: %d → %d", net, w.NetworkGeneration())
	}
	if err := w.Update(func(tx *emulator.Tx) error { return tx.CreateTags(c, []string{pcx}, emulator.Tags{"Name": "x"}) }); err != nil {
		t.Fatal(err)
	}
	if w.NetworkGeneration() != gen+2 {
		t.Errorf("a Name tag (a host alias) did not move the network generation")
	}
}

// TestNetworkChanges: what the reconciler learns of each write is what its operations named
// for the data plane: the object for a named write, nothing for a model-only one, and "not
// known" (a full render) for an operation that named everything, a failed Update leaving no
// trace, and a change older than the world remembers.
func TestNetworkChanges(t *testing.T) {
	c := emulatortest.Customer
	port := 8443
	perm := []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: "192.0.2.0/24"}}}}
	group := func(tx *emulator.Tx) *emulator.SecurityGroup {
		for _, g := range tx.SecurityGroups() {
			if g.VPCID == emulatortest.CustomerVPC {
				return g
			}
		}
		return nil
	}
	authorize := func(tx *emulator.Tx) error { _, err := tx.AuthorizeIngress(c, group(tx).ID, perm); return err }
	revoke := func(tx *emulator.Tx) error { _, err := tx.RevokeIngress(c, group(tx).ID, perm); return err }
	tags := func(tx *emulator.Tx) error {
		return tx.CreateTags(c, []string{emulatortest.CustomerVPC}, emulator.Tags{"env": "x"})
	}
	everything := func(tx *emulator.Tx) error { // naming nothing names everything
		tx.Changing()
		return nil
	}
	abort := func(tx *emulator.Tx) error { authorize(tx); return errors.New("abort") }
	for _, tc := range []struct {
		name   string
		writes []func(tx *emulator.Tx) error
		named  int // how many objects named; -1: not known
	}{
		{"one rule", []func(tx *emulator.Tx) error{authorize}, 1},
		{"two writes to one group: one entry", []func(tx *emulator.Tx) error{authorize, revoke}, 1},
		{"tags only", []func(tx *emulator.Tx) error{tags}, 0},
		{"failed update", []func(tx *emulator.Tx) error{abort}, 0},
		{"named everything", []func(tx *emulator.Tx) error{authorize, everything}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := emulatortest.World(t)
			since := w.NetworkGeneration()
			var g *emulator.SecurityGroup
			for _, fn := range tc.writes {
				w.Update(fn)
			}
			var what []emulator.Changed
			var ok bool
			w.View(func(tx *emulator.Tx) error { g = group(tx); what, ok = tx.NetworkChanges(since); return nil })
			switch {
			case tc.named < 0 && ok:
				t.Fatalf("NetworkChanges = %v, known; want not known", what)
			case tc.named >= 0 && (!ok || len(what) != tc.named):
				t.Fatalf("NetworkChanges = %v, %v; want %d objects", what, ok, tc.named)
			}
			for _, o := range what {
				if o != (emulator.Changed{Kind: "security-group", ID: g.ID}) {
					t.Errorf("named %+v, want the group %s", o, g.ID)
				}
			}
		})
	}
	t.Run("forgotten", func(t *testing.T) {
		w := emulatortest.World(t)
		var other string // a second group: writes alternate between the two, so none merge
		if err := w.Update(func(tx *emulator.Tx) error {
			g, err := tx.CreateSecurityGroup(c, emulatortest.CustomerVPC, "other", "other", nil)
			if g != nil {
				other = g.ID
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		since := w.NetworkGeneration()
		for i := range 1100 {
			fn := authorize
			if i%2 == 1 {
				fn = func(tx *emulator.Tx) error { _, err := tx.AuthorizeIngress(c, other, perm); return err }
				if i%4 == 3 {
					fn = func(tx *emulator.Tx) error { _, err := tx.RevokeIngress(c, other, perm); return err }
				}
			} else if i%4 == 2 {
				fn = revoke
			}
			if err := w.Update(fn); err != nil {
				t.Fatal(err)
			}
		}
		w.View(func(tx *emulator.Tx) error {
			if _, ok := tx.NetworkChanges(since); ok {
				t.Error("1,100 changes back: known; want not known (the world remembers 1,024 at most)")
			}
			if what, ok := tx.NetworkChanges(tx.NetworkGeneration() - 500); !ok || len(what) != 500 {
				t.Errorf("500 changes back: %d objects, %v; want 500 (the world remembers 512 at least)", len(what), ok)
			}
			return nil
		})
	})
	t.Run("a burst to one thing", func(t *testing.T) {
		w := emulatortest.World(t)
		since := w.NetworkGeneration()
		for i := range 3000 {
			fn := authorize
			if i%2 == 1 {
				fn = revoke
			}
			if err := w.Update(fn); err != nil {
				t.Fatal(err)
			}
		}
		w.View(func(tx *emulator.Tx) error {
			if what, ok := tx.NetworkChanges(since); !ok || len(what) != 1 {
				t.Errorf("3,000 writes to one group: %v, %v; want the group, once", what, ok)
			}
			if what, ok := tx.NetworkChanges(tx.NetworkGeneration() - 1); !ok || len(what) != 1 {
				t.Errorf("the last write: %v, %v; want the group", what, ok)
			}
			if what, ok := tx.NetworkChanges(tx.NetworkGeneration()); !ok || len(what) != 0 {
				t.Errorf("nothing since now: %v, %v; want nothing", what, ok)
			}
			return nil
		})
	})
}
