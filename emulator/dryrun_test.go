package emulator

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func dryRunWorld(t *testing.T) (*World, Caller, *VPC) {
	t.Helper()
	w := NewWorld(Options{Seed: 7, HerokuAccountID: "884226375513"})
	c := Caller{Account: "435886841536", Region: "us-east-1"}
	var v *VPC
	if err := w.Update(func(tx *Tx) error {
		var err error
		if v, err = tx.CreateVPC(c, netip.MustParsePrefix("172.16.0.0/16"), VPCOptions{Tags: Tags{"Name": "a"}}); err != nil {
			return err
		}
		_, err = tx.CreateSubnet(c, v.ID, netip.MustParsePrefix("172.16.0.0/24"), SubnetOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return w, c, v
}

// TestDryRunChangesNothing: every write inside DryRun stays in the copy.
func TestDryRunChangesNothing(t *testing.T) {
	w, c, v := dryRunWorld(t)
	before := w.clone()
	gen := w.Generation()
	err := w.DryRun(func(tx *Tx) error {
		v2, err := tx.CreateVPC(c, netip.MustParsePrefix("10.9.0.0/16"), VPCOptions{})
		if err != nil {
			return err
		}
		if _, err := tx.CreatePeering(c, PeeringRequest{VPCID: v.ID, PeerVPCID: v2.ID}); err != nil {
			return err
		}
		rt := tx.RouteTable(tx.VPC(v.ID).MainRouteTableID)
		rt.Routes = append(rt.Routes, &Route{Dst: netip.MustParsePrefix("10.9.0.0/16"), Kind: TargetLocal})
		if _, err := tx.AuthorizeIngress(c, tx.VPC(v.ID).DefaultSecurityGroupID, []Permission{{Protocol: "-1", CIDRs: []PermissionCIDR{{CIDR: "10.0.0.0/8"}}}}); err != nil {
			return err
		}
		tx.VPC(v.ID).Tags["Name"] = "changed"
		return tx.CreateTags(c, []string{v.ID}, Tags{"x": "y"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before.vpcs, w.vpcs) || !reflect.DeepEqual(before.rtbs, w.rtbs) || !reflect.DeepEqual(before.sgs, w.sgs) || !reflect.DeepEqual(before.pcxs, w.pcxs) {
		t.Error("DryRun changed the world")
	}
	if w.Generation() != gen {
		t.Errorf("generation moved: %d → %d", gen, w.Generation())
	}
}

// TestCloneCopiesEveryMap: a map added to World must be deep-copied by clone, or dry runs
// would leak into the real world.
func TestCloneCopiesEveryMap(t *testing.T) {
	w, _, _ := dryRunWorld(t)
	c := w.clone()
	wv, cv := reflect.ValueOf(w).Elem(), reflect.ValueOf(c).Elem()
	for i := range wv.NumField() {
		f := wv.Type().Field(i)
		if f.Type.Kind() != reflect.Map {
			continue
		}
		if wv.Field(i).Pointer() == cv.Field(i).Pointer() {
			t.Errorf("World.%s is shared with the clone", f.Name)
		}
		if wv.Field(i).Len() != cv.Field(i).Len() {
			t.Errorf("World.%s: clone has %d entries, world %d", f.Name, cv.Field(i).Len(), wv.Field(i).Len())
		}
	}
}

// TestUpdatePanicUnlocks: a panic inside Update reaches the caller and leaves the world usable.
func TestUpdatePanicUnlocks(t *testing.T) {
	w, _, _ := dryRunWorld(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		_ = w.Update(func(tx *Tx) error { panic("boom") })
	}()
	done := make(chan struct{})
	go func() {
		_ = w.Update(func(tx *Tx) error { return nil })
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("world stays locked after a panic in Update")
	}
}
