package emulator_test

import (
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

func TestProvisionAndAllocate(t *testing.T) {
	w, now := seedWorld(t)
	var id string
	if err := w.Update(func(tx *emulator.Tx) error {
		sp, err := tx.ProvisionSpace(emulator.SpaceSpec{Name: "new-space", Team: "t", Region: "oregon"})
		if err != nil {
			return err
		}
		id = sp.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check := func(wantState, wantNAT string) {
		t.Helper()
		_ = w.View(func(tx *emulator.Tx) error {
			sp := tx.Space(id)
			if sp.State != wantState || sp.NATState != wantNAT {
				t.Errorf("state %s / NAT %s, want %s / %s", sp.State, sp.NATState, wantState, wantNAT)
			}
			return nil
		})
	}
	check(emulator.SpaceAllocating, emulator.NATUpdating)
	finish := func() int {
		var n int
		_ = w.Update(func(tx *emulator.Tx) error { n = len(tx.FinishSpaceAllocations(time.Minute)); return nil })
		return n
	}
	*now = now.Add(59 * time.Second)
	if n := finish(); n != 0 {
		t.Errorf("allocated %d spaces before their time", n)
	}
	check(emulator.SpaceAllocating, emulator.NATUpdating)
	*now = now.Add(time.Second)
	if n := finish(); n != 1 {
		t.Errorf("allocated %d spaces, want 1", n)
	}
	check(emulator.SpaceAllocated, emulator.NATEnabled)
	if n := finish(); n != 0 {
		t.Errorf("allocated %d spaces twice", n)
	}
}

func TestProvisionSpaceRefusals(t *testing.T) {
	tests := []struct {
		name string
		spec emulator.SpaceSpec
	}{
		{"generation", emulator.SpaceSpec{Name: "s-one", Team: "t", Generation: "bamboo"}},
		{"region", emulator.SpaceSpec{Name: "s-one", Team: "t", Region: "atlantis"}},
		{"cidr", emulator.SpaceSpec{Name: "s-one", Team: "t", CIDR: "10.0.0.0/17"}},
		{"taken", emulator.SpaceSpec{Name: "enablement-jp", Team: "t"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := seedWorld(t)
			gen := w.Generation()
			err := w.Update(func(tx *emulator.Tx) error { _, err := tx.ProvisionSpace(tc.spec); return err })
			if e, ok := emulator.AsHeroku(err); !ok || e.Status != 422 {
				t.Fatalf("err = %v, want a 422", err)
			}
			if w.Generation() != gen {
				t.Error("refusal advanced the generation")
			}
		})
	}
}

func TestRenameSpace(t *testing.T) {
	tests := []struct {
		name, to string
		wantErr  bool
	}{
		{"fine", "renamed", false},
		{"same name", "enablement-jp", false},
		{"bad", "Bad", true},
		{"double dash", "a--b", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := seedWorld(t)
			err := w.Update(func(tx *emulator.Tx) error { return tx.RenameSpace(tx.Space("enablement-jp"), tc.to) })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			_ = w.View(func(tx *emulator.Tx) error {
				if !tc.wantErr && (tx.Space(tc.to) == nil || tx.VPC("vpc-b39527d4").Tags["Name"] != tc.to) {
					t.Error("not renamed")
				}
				return nil
			})
		})
	}
}

// TestDeleteSpace: refused while apps remain; afterwards the space, its VPCs and subnets are
// gone and an accepted customer peering is deleted, leaving the customer's route blackhole.
func TestDeleteSpace(t *testing.T) {
	w, _ := seedWorld(t)
	pcx := requestPeeringIn(t, w)
	var customerRTB string
	if err := w.Update(func(tx *emulator.Tx) error {
		sp := tx.Space("enablement-jp")
		if _, err := tx.AcceptSpacePeering(sp, pcx); err != nil {
			return err
		}
		customerRTB = tx.VPC("vpc-0cb1a66017eed9372").MainRouteTableID
		c := emulator.Caller{Account: "435886841536", Region: "us-east-1"}
		return tx.CreateRoute(c, customerRTB, sp.CIDR, emulator.RouteTarget{PeeringID: pcx})
	}); err != nil {
		t.Fatal(err)
	}
	err := w.Update(func(tx *emulator.Tx) error { _, err := tx.DeleteSpace(tx.Space("enablement-jp")); return err })
	if e, ok := emulator.AsHeroku(err); !ok || e.Status != 422 {
		t.Fatalf("delete with apps: %v", err)
	}
	var dataVPC string
	if err := w.Update(func(tx *emulator.Tx) error {
		sp := tx.Space("enablement-jp")
		dataVPC = sp.DataVPCID
		if err := tx.DeleteApp(tx.App("test-vpn-compute")); err != nil {
			return err
		}
		got, err := tx.DeleteSpace(sp)
		if err == nil && got.State != emulator.SpaceDeleting {
			t.Errorf("returned state %s", got.State)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = w.View(func(tx *emulator.Tx) error {
		if tx.Space("enablement-jp") != nil || tx.VPC("vpc-b39527d4") != nil || tx.VPC(dataVPC) != nil || len(tx.SubnetsOf("vpc-b39527d4")) != 0 {
			t.Error("space or its VPCs survived")
		}
		if st := tx.Peering(pcx).Status(tx.Now()); st != emulator.PcxDeleted {
			t.Errorf("customer peering %s, want deleted", st)
		}
		rt := tx.RouteTable(customerRTB)
		for _, r := range rt.Routes {
			if r.Target == pcx && tx.RouteState(rt, r) != "blackhole" {
				t.Errorf("customer route to %s is %s", r.Dst, tx.RouteState(rt, r))
			}
		}
		return nil
	})
}
