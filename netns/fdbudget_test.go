//go:build linux

package netns_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestSandboxOneDescriptorPerHost gives the sandbox a descriptor limit of 512 and makes 251
// hosts: at three descriptors a host (namespace and two netlink sockets, as before) they
// would need about 750 and be refused; the sandbox now holds one per host plus a pool of
// netlink sockets bounded by the limit. Hosts whose sockets the pool closed still work: a
// second Apply changes their addresses and routes, and packets follow it.
func TestSandboxOneDescriptorPerHost(t *testing.T) {
	t.Parallel()
	s := netnstest.Start(t)
	ctx := context.Background()
	const limit = 512
	if err := unix.Prlimit(s.Pid(), unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
		t.Fatalf("lower the sandbox's RLIMIT_NOFILE: %v", err)
	}
	const n = 250
	ip := func(i int) netip.Addr {
		return netip.AddrFrom4([4]byte{10, 61, byte((i + 2) / 256), byte((i + 2) % 256)})
	}
	build := func(extra bool) *netspec.Spec {
		r := &netspec.Host{Name: "r", Kind: "test", Forwarding: true,
			Bridges: []netspec.Bridge{{Name: "br0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.61.0.1/16")}}}}
		spec := &netspec.Spec{Hosts: []*netspec.Host{r}}
		for i := range n {
			h := &netspec.Host{Name: fmt.Sprintf("h%d", i), Kind: "test"}
			spec.Hosts = append(spec.Hosts, h)
			spec.Links = append(spec.Links, &netspec.Link{
				A: netspec.End{Host: h.Name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(ip(i), 16)}},
				B: netspec.End{Host: "r", Ifname: fmt.Sprintf("p%d", i), Bridge: "br0"}})
			if !extra {
				continue
			}
			switch i {
			case 0: // an address of its own, which r routes to it
				h.Loopback = []netip.Prefix{netip.MustParsePrefix("10.99.0.1/32")}
			case 1:
				h.Routes = []netspec.Route{{Dst: netip.MustParsePrefix("10.99.0.0/24"), Via: netip.MustParseAddr("10.61.0.1"), Type: netspec.Unicast}}
			}
		}
		if extra {
			r.Routes = []netspec.Route{{Dst: netip.MustParsePrefix("10.99.0.1/32"), Via: ip(0), Type: netspec.Unicast}}
		}
		return spec
	}
	if err := s.Apply(ctx, build(false)); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(s.Pid()) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	// One per host, the pool (an eighth of the limit, two each: 128) and the sandbox's own.
	if max := n + 1 + limit/4 + 40; len(ents) > max {
		t.Errorf("the sandbox holds %d descriptors for %d hosts, want at most %d", len(ents), n+1, max)
	}
	t.Logf("%d descriptors open for %d hosts", len(ents), n+1)
	// h0 and h1 were made first: the pool closed their sockets long ago.
	if err := s.Apply(ctx, build(true)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ from, to string }{
		{"h1", "10.99.0.1"},      // h1's new route → r's new route → h0's new address
		{"h249", ip(0).String()}, // across the bridge
		{"h0", "10.61.0.1"},
	} {
		res, err := s.Probe(ctx, netspec.Probe{From: p.from, Kind: "icmp", Target: p.to})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Errorf("%s → %s: no answer: %+v", p.from, p.to, res)
		}
	}
}

// TestSandboxRefusesHostsWhoseServicesPassTheLimit gives the sandbox a descriptor limit of 512
// and asks for 250 hosts each running a service with one listener: one descriptor for the
// namespace and one for the listener each, with the netlink pool, pass the limit. Counted
// without the listeners they fit, the Apply went ahead, and the sandbox crashed once sockets
// ran out (a library dereferences the socket it failed to make). The Apply is refused
// instead, naming the limit, and the sandbox still takes an Apply that fits.
func TestSandboxRefusesHostsWhoseServicesPassTheLimit(t *testing.T) {
	t.Parallel()
	s := netnstest.Start(t)
	ctx := context.Background()
	const limit = 512
	if err := unix.Prlimit(s.Pid(), unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
		t.Fatalf("lower the sandbox's RLIMIT_NOFILE: %v", err)
	}
	build := func(n int) *netspec.Spec {
		spec := &netspec.Spec{}
		for i := range n {
			spec.Hosts = append(spec.Hosts, &netspec.Host{Name: fmt.Sprintf("h%d", i), Kind: "test",
				Services: []netspec.Service{{Name: "echo", Kind: "echo", Listen: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7")}}}})
		}
		return spec
	}
	for _, tc := range []struct {
		name  string
		hosts int
		fail  bool
	}{
		{"250 hosts with a listener each: refused", 250, true},
		{"100 hosts with a listener each: made", 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Apply(ctx, build(tc.hosts))
			switch {
			case tc.fail && err == nil:
				t.Fatal("Apply of hosts past the descriptor limit succeeded")
			case tc.fail && !strings.Contains(err.Error(), "RLIMIT_NOFILE"):
				t.Fatalf("Apply failed without naming the limit: %v", err)
			case !tc.fail && err != nil:
				t.Fatalf("Apply within the limit: %v", err)
			}
			t.Logf("Apply of %d hosts: %v", tc.hosts, err)
		})
	}
}
