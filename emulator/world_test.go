package emulator_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// world builds the default topology and applies setup steps to it.
func world(t *testing.T, setup ...func(tx *emulator.Tx) error) *emulator.World {
	t.Helper()
	return emulatortest.World(t, setup...)
}

const (
	customerVPC = emulatortest.CustomerVPC
	spaceVPC    = emulatortest.SpaceVPC
)

var customer = emulatortest.Customer

var pcxID string

func requestPeering(tx *emulator.Tx) error {
	id, err := emulatortest.RequestPeering(tx)
	if err == nil {
		pcxID = id
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
		v := tx.VPC(customerVPC)
		tx.Changing(&v.Tags) // a direct change is named like an operation's
		v.Tags["Name"] = "changed"
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

// BenchmarkUpdateAt200Dynos measures an Update that changes nothing in a world of 200 dynos:
// what every write pays before its own work. Its peer is the same Update in the world as
// built (the built-in topology): the ratio says how much of that cost grows with the world.
func BenchmarkUpdateAt200Dynos(b *testing.B) {
	var peer benchpeer.Peer
	for _, dynos := range []int{0, 200} {
		name := "as-built"
		if dynos > 0 {
			name = fmt.Sprintf("%d-dynos", dynos)
		}
		b.Run(name, func(b *testing.B) {
			w := world(&testing.T{})
			if dynos > 0 {
				w.Update(func(tx *emulator.Tx) error {
					_, err := tx.Scale("test-vpn-compute", []emulator.ScaleUpdate{{Type: "web", Quantity: &dynos}})
					return err
				})
			}
			for b.Loop() {
				w.Update(func(tx *emulator.Tx) error { return nil })
			}
			if dynos == 0 {
				peer.Record(b, "as-built")
			} else {
				peer.Compare(b)
			}
		})
	}
}
