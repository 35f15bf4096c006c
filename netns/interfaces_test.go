package netns_test

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// throughMiddle is a client, a host "mid" between two networks and a server with an address
// 10.8.9.9 that the client reaches only through mid: the packets cross mid only if it routes.
func throughMiddle(forwarding bool) *netspec.Spec {
	via := func(dst, gw string) netspec.Route { return netspec.Route{Dst: pfx(dst), Via: addr(gw)} }
	return &netspec.Spec{
		Hosts: []*netspec.Host{
			{Name: "client", Routes: []netspec.Route{via("10.8.9.9/32", "10.8.3.254")}},
			{Name: "mid", Forwarding: forwarding, Routes: []netspec.Route{via("10.8.9.9/32", "10.8.4.1")}},
			{Name: "server", Loopback: []netip.Prefix{pfx("10.8.9.9/32")}, Routes: []netspec.Route{via("10.8.3.0/24", "10.8.4.254")}},
		},
		Links: []*netspec.Link{
			{A: netspec.End{Host: "client", Ifname: "eth0", Addrs: []netip.Prefix{pfx("10.8.3.1/24")}},
				B: netspec.End{Host: "mid", Ifname: "eth0", Addrs: []netip.Prefix{pfx("10.8.3.254/24")}}},
			{A: netspec.End{Host: "mid", Ifname: "eth1", Addrs: []netip.Prefix{pfx("10.8.4.254/24")}},
				B: netspec.End{Host: "server", Ifname: "eth0", Addrs: []netip.Prefix{pfx("10.8.4.1/24")}}},
		},
	}
}

// TestSandboxHostForwardsOnlyWhenAsked checks with packets that a host routes between its links
// exactly when its spec says so, whatever the machine's own default is (new namespaces copy
// it), also when the setting changes on a running host.
func TestSandboxHostForwardsOnlyWhenAsked(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	for _, step := range []struct {
		forwarding bool
		reach      bool
	}{{false, false}, {true, true}, {false, false}} {
		if err := s.Apply(ctx, throughMiddle(step.forwarding)); err != nil {
			t.Fatal(err)
		}
		r, err := s.Probe(ctx, netspec.Probe{From: "client", Kind: "icmp", Target: "10.8.9.9"})
		if err != nil {
			t.Fatal(err)
		}
		if r.OK != step.reach {
			t.Errorf("mid forwarding=%v: ping through it ok=%v, want %v (%+v)", step.forwarding, r.OK, step.reach, r)
		}
	}
}

// TestSandboxLinksHaveNoIPv6 checks that the links carry no IPv6 address (no link-local address, so
// no duplicate address detection or router solicitations on the wire).
func TestSandboxLinksHaveNoIPv6(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	if err := s.Apply(ctx, throughMiddle(true)); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"client", "mid", "server"} {
		var out bytes.Buffer
		code, err := s.Exec(ctx, netnstestReq(h, "cat", "/proc/net/if_inet6"), nil, &out, &out)
		if err != nil || code != 0 {
			t.Fatalf("%s: cat /proc/net/if_inet6: %d %v %s", h, code, err, out.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if f := strings.Fields(line); len(f) == 6 && f[5] != "lo" {
				t.Errorf("%s: IPv6 address on %s: %s", h, f[5], line)
			}
		}
	}
}
