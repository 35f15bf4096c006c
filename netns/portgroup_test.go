package netns_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestSandboxBridgeBeyondPortLimit puts 1,100 hosts on one bridge, more than a Linux bridge's
// 1,023 ports: the ports continue on port groups, and packets cross between hosts on the
// bridge itself and on a group, and reach the bridge's own address.
func TestSandboxBridgeBeyondPortLimit(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	const n = 1100
	ip := func(i int) netip.Addr {
		return netip.AddrFrom4([4]byte{10, 60, byte((i + 2) / 256), byte((i + 2) % 256)})
	}
	spec := &netspec.Spec{Hosts: []*netspec.Host{{Name: "r", Kind: "test",
		Bridges: []netspec.Bridge{{Name: "br0", Addrs: []netip.Prefix{pfx("10.60.0.1/16")}}}}}}
	for i := range n {
		name := fmt.Sprintf("h%d", i)
		spec.Hosts = append(spec.Hosts, &netspec.Host{Name: name, Kind: "test"})
		spec.Links = append(spec.Links, &netspec.Link{
			A: netspec.End{Host: name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(ip(i), 16)}},
			B: netspec.End{Host: "r", Ifname: fmt.Sprintf("p%d", i), Bridge: "br0"}})
	}
	if err := s.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ from, to string }{
		{"h1099", "10.60.0.1"},      // a port group's host → the bridge's address
		{"h1099", ip(0).String()},   // → a host on the bridge itself
		{"h0", ip(1050).String()},   // and back the other way
		{"h1099", ip(600).String()}, // within the port groups
	} {
		r, err := s.Probe(ctx, netspec.Probe{From: p.from, Kind: "icmp", Target: p.to})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK {
			t.Errorf("%s → %s: no answer: %+v", p.from, p.to, r)
		}
	}
}
