package topology_test

import (
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/topology"
)

// TestFaultKindsSection: link, tunnel and dyno faults are read, and bad ones name their place.
func TestFaultKindsSection(t *testing.T) {
	raw, err := topology.Parse([]byte("faults:\n  links:\n    - {from: a, to: b, loss: 30}\n  tunnels:\n    - {space: s, vpn: v, for: 30s}\n  dynos:\n    - {app: x, dyno: web.1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := raw.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(top.LinkFaults) != 1 || top.LinkFaults[0].Loss != 30 || len(top.TunnelFaults) != 1 || len(top.DynoFaults) != 1 {
		t.Fatalf("%+v %+v %+v", top.LinkFaults, top.TunnelFaults, top.DynoFaults)
	}
	for _, tc := range []struct{ doc, want string }{
		{"faults:\n  links:\n    - {from: a, to: b, loss: 130}\n", "faults.links[0]"},
		{"faults:\n  links:\n    - {from: a, to: b, delay: 1h}\n", "faults.links[0]"},
		{"faults:\n  tunnels:\n    - {space: s, vpn: v, for: soon}\n", "faults.tunnels[0]"},
		{"faults:\n  dynos:\n    - {app: x}\n", "faults.dynos[0]"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			raw, err := topology.Parse([]byte(tc.doc))
			if err == nil {
				_, err = raw.Resolve()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to name %s", err, tc.want)
			}
		})
	}
}
