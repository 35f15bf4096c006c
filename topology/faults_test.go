package topology_test

import (
	"testing"

	"github.com/spacelab-dev/spacelab/topology"
)

// TestFaultsSection: API faults in a topology are read and checked.
func TestFaultsSection(t *testing.T) {
	raw, err := topology.Parse([]byte("faults:\n  seed: 3\n  api:\n    - {service: aws, action: CreateRoute, code: RequestLimitExceeded, status: 503, count: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := raw.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if top.FaultSeed != 3 || len(top.APIFaults) != 1 || top.APIFaults[0].Count != 2 {
		t.Errorf("faults: seed %d, %+v", top.FaultSeed, top.APIFaults)
	}
	raw, _ = topology.Parse([]byte("faults:\n  api:\n    - {service: azure, action: x, code: y}\n"))
	if _, err := raw.Resolve(); err == nil {
		t.Error("a fault for an unknown service was accepted")
	}
}
