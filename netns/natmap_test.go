//go:build linux

package netns_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestSandboxSNATOfManyAddresses: a router translating each of its clients' addresses to one
// of four outbound addresses (a space's router and its dynos) does it with 20 translations
// (one rule looking the outbound address up in a map) and with 3 (a rule each): the echo
// server behind it sees each client leave by its own outbound address, and a client with no
// translation by its own.
func TestSandboxSNATOfManyAddresses(t *testing.T) {
	t.Parallel()
	s := netnstest.Start(t)
	ctx := context.Background()
	const n = 21
	client := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 64, 0, byte(i + 2)}) }
	outbound := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i%4 + 1)}) }
	build := func(translated int) *netspec.Spec {
		r := &netspec.Host{Name: "r", Kind: "test", Forwarding: true,
			Bridges: []netspec.Bridge{{Name: "br0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.64.0.1/24")}}},
			Filter:  &netspec.Filter{}}
		for i := range translated {
			r.Filter.SNAT = append(r.Filter.SNAT, netspec.SNATRule{Oif: "wan", Src: netip.PrefixFrom(client(i), 32), To: outbound(i),
				Why: fmt.Sprintf("c%d leaves by %s", i, outbound(i))})
		}
		out := &netspec.Host{Name: "out", Kind: "test",
			Routes:   []netspec.Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("192.0.2.1"), Type: netspec.Unicast}},
			Services: []netspec.Service{{Name: "echo", Kind: "echo", Listen: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.2:80")}}}}
		spec := &netspec.Spec{Hosts: []*netspec.Host{r, out}, Links: []*netspec.Link{{
			A: netspec.End{Host: "r", Ifname: "wan", Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}},
			B: netspec.End{Host: "out", Ifname: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24")}}}}}
		for i := range n {
			h := &netspec.Host{Name: fmt.Sprintf("c%d", i), Kind: "test",
				Routes: []netspec.Route{{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.64.0.1"), Type: netspec.Unicast}}}
			spec.Hosts = append(spec.Hosts, h)
			spec.Links = append(spec.Links, &netspec.Link{
				A: netspec.End{Host: h.Name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(client(i), 24)}},
				B: netspec.End{Host: "r", Ifname: fmt.Sprintf("p%d", i), Bridge: "br0"}})
		}
		return spec
	}
	for _, tc := range []struct {
		name       string
		translated int
		clients    []int
	}{
		{"20 translations in a map", 20, []int{0, 1, 7, 19, 20}},
		{"3 translations as rules", 3, []int{0, 1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Apply(ctx, build(tc.translated)); err != nil {
				t.Fatal(err)
			}
			for _, i := range tc.clients {
				want := client(i)
				if i < tc.translated {
					want = outbound(i)
				}
				res, err := s.Probe(ctx, netspec.Probe{From: fmt.Sprintf("c%d", i), Kind: "http", Target: "http://192.0.2.2/"})
				if err != nil {
					t.Fatal(err)
				}
				if !res.OK || !strings.HasPrefix(strings.TrimSpace(res.Body), want.String()) {
					t.Errorf("c%d (%s): the echo server saw %q (ok %v, %s), want %s", i, client(i), strings.TrimSpace(res.Body), res.OK, res.Err, want)
				}
			}
		})
	}
}
