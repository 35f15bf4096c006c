// Package emulatortest builds the model worlds the emulator's own tests start from: the
// built-in topology, seeded, with setup steps applied, and the seed walkthrough's peering steps.
package emulatortest

import (
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

// The built-in topology's customer VPC and the space's VPC.
const (
	CustomerVPC = "vpc-0cb1a66017eed9372"
	SpaceVPC    = "vpc-b39527d4"
)

// Customer is the built-in topology's customer account in its region.
var Customer = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

// World builds the default topology (seed 3) and applies setup steps to it.
func World(t testing.TB, setup ...func(tx *emulator.Tx) error) *emulator.World {
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

// RequestPeering asks, as the customer, to peer its VPC with the space's; it returns the id.
func RequestPeering(tx *emulator.Tx) (string, error) {
	p, err := tx.CreatePeering(Customer, emulator.PeeringRequest{VPCID: CustomerVPC, PeerVPCID: SpaceVPC, PeerOwner: "884226375513", PeerRegion: "ap-northeast-1"})
	if err != nil {
		return "", err
	}
	return p.ID, nil
}
