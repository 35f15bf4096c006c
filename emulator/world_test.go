package emulator_test

import (
	"errors"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

// world builds the default topology and applies setup steps to it.
func world(t *testing.T, setup ...func(tx *emulator.Tx) error) *emulator.World {
	t.Helper()
	top := topology.Default()
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 3}))
	if err := top.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range setup {
		if err := w.Update(s); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

const (
	customerVPC = "vpc-0cb1a66017eed9372"
	spaceVPC    = "vpc-b39527d4"
)

var customer = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

var pcxID string

func requestPeering(tx *emulator.Tx) error {
	p, err := tx.CreatePeering(customer, emulator.PeeringRequest{VPCID: customerVPC, PeerVPCID: spaceVPC, PeerOwner: "884226375513", PeerRegion: "ap-northeast-1"})
	if err == nil {
		pcxID = p.ID
	}
	return err
}

func acceptInHeroku(tx *emulator.Tx) error {
	_, err := tx.AcceptSpacePeering(tx.Space("enablement-jp"), pcxID)
	return err
}

func TestFailedUpdateLeavesModelUntouched(t *testing.T) {
	w := world(t, requestPeering)
	gen := w.Generation()
	boom := errors.New("boom")
	err := w.Update(func(tx *emulator.Tx) error {
		if err := acceptInHeroku(tx); err != nil {
			return err
		}
		q := 7
		if _, err := tx.Scale("test-vpn-compute", []emulator.ScaleUpdate{{Type: "web", Quantity: &q}}); err != nil {
			return err
		}
		tx.VPC(customerVPC).Tags["Name"] = "changed"
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if w.Generation() != gen {
		t.Fatal("a failed update advanced the generation")
	}
	w.View(func(tx *emulator.Tx) error {
		if s := tx.Peering(pcxID).Status(tx.Now()); s != emulator.PcxPending {
			t.Errorf("peering is %s", s)
		}
		if n := len(tx.App("test-vpn-compute").Dynos); n != 2 {
			t.Errorf("%d dynos", n)
		}
		if tx.VPC(customerVPC).Tags["Name"] != "customer-vpc" {
			t.Error("tag changed")
		}
		if len(tx.RouteTable(tx.VPC(spaceVPC).MainRouteTableID).Routes) != 1 {
			t.Error("Heroku's route stayed")
		}
		return nil
	})
}

func BenchmarkUpdateAt200Dynos(b *testing.B) {
	w := world(&testing.T{})
	q := 200
	w.Update(func(tx *emulator.Tx) error {
		_, err := tx.Scale("test-vpn-compute", []emulator.ScaleUpdate{{Type: "web", Quantity: &q}})
		return err
	})
	for b.Loop() {
		w.Update(func(tx *emulator.Tx) error { return nil })
	}
}
