//go:build linux

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

// TestSandboxRemovedHostsTakeTheirLinks removes 20 of 40 hosts bridged on one router host
// (whose ends of their pairs the removal deletes in one request) and two hosts linked only to
// each other: the router keeps exactly the ends of the hosts that stay, the pair between the
// two removed hosts is gone with them, and every host made again with the same names and
// links comes back without "file exists" and answers across the bridge.
func TestSandboxRemovedHostsTakeTheirLinks(t *testing.T) {
	t.Parallel()
	s := netnstest.Start(t)
	ctx := context.Background()
	const n = 40
	ip := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 62, 0, byte(i + 2)}) }
	build := func(keep func(i int) bool, pair bool) *netspec.Spec {
		r := &netspec.Host{Name: "r", Kind: "test",
			Bridges: []netspec.Bridge{{Name: "br0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.62.0.1/24")}}}}
		spec := &netspec.Spec{Hosts: []*netspec.Host{r}}
		for i := range n {
			if !keep(i) {
				continue
			}
			h := &netspec.Host{Name: fmt.Sprintf("h%d", i), Kind: "test"}
			spec.Hosts = append(spec.Hosts, h)
			spec.Links = append(spec.Links, &netspec.Link{
				A: netspec.End{Host: h.Name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(ip(i), 24)}},
				B: netspec.End{Host: "r", Ifname: fmt.Sprintf("p%d", i), Bridge: "br0"}})
		}
		if pair {
			spec.Hosts = append(spec.Hosts, &netspec.Host{Name: "x", Kind: "test"}, &netspec.Host{Name: "y", Kind: "test"})
			spec.Links = append(spec.Links, &netspec.Link{
				A: netspec.End{Host: "x", Ifname: "to-y", Addrs: []netip.Prefix{netip.MustParsePrefix("10.63.0.1/30")}},
				B: netspec.End{Host: "y", Ifname: "to-x", Addrs: []netip.Prefix{netip.MustParsePrefix("10.63.0.2/30")}}})
		}
		return spec
	}
	all := func(int) bool { return true }
	upper := func(i int) bool { return i >= n/2 }
	ifaces := func(host string) map[string]bool {
		t.Helper()
		var out bytes.Buffer
		if code, err := s.Exec(ctx, netnstestReq(host, "cat", "/proc/net/dev"), nil, &out, &out); err != nil || code != 0 {
			t.Fatalf("cat /proc/net/dev in %s: %d %v: %s", host, code, err, out.String())
		}
		got := map[string]bool{}
		for _, line := range strings.Split(out.String(), "\n") {
			if name, _, ok := strings.Cut(line, ":"); ok {
				got[strings.TrimSpace(name)] = true
			}
		}
		return got
	}
	for _, step := range []struct {
		name string
		spec *netspec.Spec
		keep func(int) bool
	}{
		{"all hosts", build(all, true), all},
		{"half the bridged hosts and the pair removed", build(upper, false), upper},
		{"all made again", build(all, true), all},
	} {
		t.Run(step.name, func(t *testing.T) {
			if err := s.Apply(ctx, step.spec); err != nil {
				t.Fatal(err)
			}
			got := ifaces("r")
			for i := range n {
				if name := fmt.Sprintf("p%d", i); got[name] != step.keep(i) {
					t.Errorf("router has %s: %v, want %v", name, got[name], step.keep(i))
				}
			}
			// From h0 where it exists: a host made again has a new MAC address, which its
			// own ARP requests teach the others (their entries for it are otherwise stale).
			from, tos := "h0", []int{n / 2, n - 1}
			if !step.keep(0) {
				from, tos = fmt.Sprintf("h%d", n-1), []int{n / 2}
			}
			for _, to := range tos {
				res, err := s.Probe(ctx, netspec.Probe{From: from, Kind: "icmp", Target: ip(to).String()})
				if err != nil {
					t.Fatal(err)
				}
				if !res.OK {
					t.Errorf("%s → h%d: no answer: %+v", from, to, res)
				}
			}
		})
	}
}
