package emulator

import (
	"net/netip"
	"testing"
)

func TestResetToCheckpoint(t *testing.T) {
	w := NewWorld(Options{Seed: 1})
	c := Caller{Account: "111122223333", Region: "us-east-1"}
	var first string
	if err := w.Update(func(tx *Tx) error {
		tx.SetNoDefaultVPC(c.Account)
		v, err := tx.CreateVPC(c, netip.MustParsePrefix("10.0.0.0/16"), VPCOptions{})
		first = v.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cp := w.Checkpoint()
	for round := range 2 {
		if err := w.Update(func(tx *Tx) error {
			if _, err := tx.CreateVPC(c, netip.MustParsePrefix("10.1.0.0/16"), VPCOptions{}); err != nil {
				return err
			}
			tx.mustWriteModel(&tx.w.vpcs[first].Tags)
			tx.w.vpcs[first].Tags = Tags{"changed": "yes"}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		gen := w.Generation()
		w.Reset(cp)
		if w.Generation() <= gen {
			t.Errorf("round %d: reset did not advance the generation", round)
		}
		_ = w.View(func(tx *Tx) error {
			if len(tx.w.vpcs) != 1 || tx.w.vpcs[first] == nil || len(tx.w.vpcs[first].Tags) != 0 {
				t.Errorf("round %d: after reset the VPCs are %v", round, tx.w.vpcs)
			}
			return nil
		})
	}
}
