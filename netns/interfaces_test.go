package netns_test

import (
	"bytes"
	"context"
	"fmt"
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

// TestSandboxBridgeKeepsItsAddress checks that a bridge's MAC address does not change as ports
// join it: a host that learned its gateway's address keeps reaching it at the address it
// learned (a bridge without an address of its own takes its lowest port's, which a new port
// can change), and every host of the subnet learns the same one.
func TestSandboxBridgeKeepsItsAddress(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	spec := func(hosts int) *netspec.Spec {
		sp := &netspec.Spec{Hosts: []*netspec.Host{{Name: "router", Forwarding: true,
			Bridges: []netspec.Bridge{{Name: "br", Addrs: []netip.Prefix{pfx("10.8.5.1/24")}}}}}}
		for i := range hosts {
			name := fmt.Sprintf("h%d", i)
			sp.Hosts = append(sp.Hosts, &netspec.Host{Name: name})
			sp.Links = append(sp.Links, &netspec.Link{
				A: netspec.End{Host: name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 8, 5, byte(10 + i)}), 24)}},
				B: netspec.End{Host: "router", Ifname: fmt.Sprintf("p%d", i), Bridge: "br"}})
		}
		return sp
	}
	gatewayMAC := func(h string) string {
		t.Helper()
		r, err := s.Probe(ctx, netspec.Probe{From: h, Kind: "icmp", Target: "10.8.5.1"})
		if err != nil || !r.OK {
			t.Fatalf("%s: ping the gateway: %+v %v", h, r, err)
		}
		var out bytes.Buffer
		if code, err := s.Exec(ctx, netnstestReq(h, "cat", "/proc/net/arp"), nil, &out, &out); err != nil || code != 0 {
			t.Fatalf("%s: cat /proc/net/arp: %d %v %s", h, code, err, out.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) >= 4 && f[0] == "10.8.5.1" {
				return f[3]
			}
		}
		t.Fatalf("%s: no ARP entry for the gateway in\n%s", h, out.String())
		return ""
	}
	if err := s.Apply(ctx, spec(1)); err != nil {
		t.Fatal(err)
	}
	first := gatewayMAC("h0")
	if err := s.Apply(ctx, spec(12)); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h0", "h5", "h11"} {
		if got := gatewayMAC(h); got != first {
			t.Errorf("%s: gateway at %s, h0 learned it at %s before the other ports joined", h, got, first)
		}
	}
}
