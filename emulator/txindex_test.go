package emulator_test

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

var idxCaller = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

// oneSubnet is a world with one VPC and one /24 subnet.
func oneSubnet(t *testing.T) (*emulator.World, string) {
	t.Helper()
	w := emulator.NewWorld(emulator.Options{Seed: 7})
	var subnet string
	if err := w.Update(func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(idxCaller, netip.MustParsePrefix("10.0.0.0/16"), emulator.VPCOptions{})
		if err != nil {
			return err
		}
		s, err := tx.CreateSubnet(idxCaller, v.ID, netip.MustParsePrefix("10.0.1.0/24"), emulator.SubnetOptions{})
		subnet = s.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return w, subnet
}

// TestAddressesAndIDsInOneUpdate checks what the Tx's index of addresses and ids must keep
// exact: within one Update, an address freed is the next one picked, an address kept by an
// interface stays taken after its instance goes, and an id of an object deleted is free again
// while one in use is refused.
func TestAddressesAndIDsInOneUpdate(t *testing.T) {
	run := func(tx *emulator.Tx, s string, o emulator.InstanceOptions) *emulator.Instance {
		t.Helper()
		i, err := tx.RunInstance(idxCaller, s, o)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	t.Run("a terminated instance's address is picked again", func(t *testing.T) {
		w, s := oneSubnet(t)
		w.Update(func(tx *emulator.Tx) error {
			var is []*emulator.Instance
			for range 5 {
				is = append(is, run(tx, s, emulator.InstanceOptions{}))
			}
			if got := is[4].PrivateIP; got != netip.MustParseAddr("10.0.1.8") {
				t.Errorf("fifth instance got %s, want 10.0.1.8", got)
			}
			if _, err := tx.TerminateInstances(idxCaller, []string{is[1].ID}); err != nil {
				t.Fatal(err)
			}
			if got := run(tx, s, emulator.InstanceOptions{}).PrivateIP; got != is[1].PrivateIP {
				t.Errorf("after terminating %s the next instance got %s, want its address", is[1].PrivateIP, got)
			}
			if got := run(tx, s, emulator.InstanceOptions{}).PrivateIP; got != netip.MustParseAddr("10.0.1.9") {
				t.Errorf("then %s, want 10.0.1.9", got)
			}
			return nil
		})
	})
	t.Run("an interface kept on termination keeps its address", func(t *testing.T) {
		w, s := oneSubnet(t)
		w.Update(func(tx *emulator.Tx) error {
			i := run(tx, s, emulator.InstanceOptions{})
			del := false
			if err := tx.ModifyNetworkInterface(idxCaller, i.ENIID, emulator.ENIChange{AttachmentID: i.ENIAttachmentID, DeleteOnTermination: &del}); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.TerminateInstances(idxCaller, []string{i.ID}); err != nil {
				t.Fatal(err)
			}
			if got := run(tx, s, emulator.InstanceOptions{}).PrivateIP; got == i.PrivateIP {
				t.Errorf("a new instance got %s, which the kept interface %s holds", got, i.ENIID)
			}
			if _, err := tx.RunInstance(idxCaller, s, emulator.InstanceOptions{PrivateIP: i.PrivateIP}); err == nil {
				t.Errorf("RunInstance with the kept interface's address %s succeeded", i.PrivateIP)
			}
			return nil
		})
	})
	t.Run("an interface takes an address and deleting it frees it", func(t *testing.T) {
		w, s := oneSubnet(t)
		w.Update(func(tx *emulator.Tx) error {
			n, err := tx.CreateNetworkInterface(idxCaller, s, emulator.ENIOptions{})
			if err != nil {
				t.Fatal(err)
			}
			i := run(tx, s, emulator.InstanceOptions{})
			if i.PrivateIP == n.PrivateIP {
				t.Errorf("instance and interface both got %s", i.PrivateIP)
			}
			if err := tx.DeleteNetworkInterface(idxCaller, n.ID); err != nil {
				t.Fatal(err)
			}
			if got := run(tx, s, emulator.InstanceOptions{}).PrivateIP; got != n.PrivateIP {
				t.Errorf("after deleting the interface the next instance got %s, want %s", got, n.PrivateIP)
			}
			return nil
		})
	})
	t.Run("explicit ids", func(t *testing.T) {
		w, s := oneSubnet(t)
		w.Update(func(tx *emulator.Tx) error {
			run(tx, s, emulator.InstanceOptions{ID: "i-0000000000000000a"})
			if _, err := tx.RunInstance(idxCaller, s, emulator.InstanceOptions{ID: "i-0000000000000000a"}); err == nil {
				t.Error("a second instance with the same id was launched")
			}
			if _, err := tx.CreateSubnet(idxCaller, tx.Subnet(s).VPCID, netip.MustParsePrefix("10.0.2.0/24"), emulator.SubnetOptions{ID: "i-0000000000000000a"}); err == nil {
				t.Error("a subnet took an instance's id")
			}
			return nil
		})
		// In a later Update (a new index) the id is still taken.
		if err := w.Update(func(tx *emulator.Tx) error {
			_, err := tx.RunInstance(idxCaller, s, emulator.InstanceOptions{ID: "i-0000000000000000a"})
			return err
		}); err == nil {
			t.Error("the id was free again in the next Update")
		}
	})
}

// TestRunInstancesLinear builds a VPC of n instances in one Update, as a topology does, and
// compares the bytes allocated per instance at 500 and 2,000: gathering every address for
// each new instance (what RunInstance did) allocates in proportion to n per instance, the
// index does not.
func TestRunInstancesLinear(t *testing.T) {
	perInstance := func(n int) float64 {
		w, s := oneSubnet(t)
		var big string
		if err := w.Update(func(tx *emulator.Tx) error {
			sn, err := tx.CreateSubnet(idxCaller, tx.Subnet(s).VPCID, netip.MustParsePrefix("10.0.128.0/17"), emulator.SubnetOptions{})
			big = sn.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := w.Update(func(tx *emulator.Tx) error {
			for range n {
				if _, err := tx.RunInstance(idxCaller, big, emulator.InstanceOptions{}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	}
	small, large := perInstance(500), perInstance(2000)
	t.Logf("bytes allocated per instance: %.0f at 500, %.0f at 2,000", small, large)
	if large > 1.5*small {
		t.Errorf("bytes allocated per instance grow with the VPC: %.0f at 500, %.0f at 2,000", small, large)
	}
}
