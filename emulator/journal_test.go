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
