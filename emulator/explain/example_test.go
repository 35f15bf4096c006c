package explain_test

import (
	"fmt"
	"net/netip"

	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Explain a connection over a two-host network: the web port is open, SSH is filtered, and the
// verdict names the rule that stopped it.
func ExampleConnect() {
	spec := &netspec.Spec{
		Hosts: []*netspec.Host{
			{Name: "client"},
			{Name: "server",
				Services: []netspec.Service{{Name: "web", Kind: "web", Listen: []netip.AddrPort{netip.MustParseAddrPort("10.9.0.2:80")}}},
				Filter: &netspec.Filter{Chains: []netspec.Chain{{Name: "in", Hook: netspec.Input, Policy: netspec.Accept, Rules: []netspec.FilterRule{
					{Proto: netspec.TCP, PortFrom: 22, PortTo: 22, Verdict: netspec.Drop, Why: "sg-1 has no inbound rule for tcp/22"},
				}}}}},
		},
		Links: []*netspec.Link{{
			A: netspec.End{Host: "client", Ifname: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.9.0.1/24")}},
			B: netspec.End{Host: "server", Ifname: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.9.0.2/24")}},
		}},
	}
	for _, port := range []uint16{80, 22} {
		v := explain.Connect(spec, explain.Flow{From: "client", To: "10.9.0.2", Proto: netspec.TCP, Port: port})
		fmt.Printf("tcp/%d: %s\n", port, v)
	}
	// Output:
	// tcp/80: reachable
	// tcp/22: FILTERED: server: sg-1 has no inbound rule for tcp/22
}
