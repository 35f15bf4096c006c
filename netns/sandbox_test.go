package netns_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

var pfx = netip.MustParsePrefix
var addr = netip.MustParseAddr

// twoHosts is a client and a router-less server on one /24.
func twoHosts() *netspec.Spec {
	return &netspec.Spec{
		Hosts: []*netspec.Host{
			{Name: "a", Kind: "test", Hostname: "host-a", Aliases: []string{"alpha"},
				Resolvers: []netip.Addr{addr("10.9.0.2")}},
			{Name: "b", Kind: "test", Hostname: "host-b", Services: []netspec.Service{
				{Name: "web", Kind: "web", Listen: []netip.AddrPort{netip.MustParseAddrPort("10.9.0.2:80")}, Web: &netspec.WebConfig{App: "demo", Dyno: "web.1"}},
				{Name: "dns", Kind: "dns", Listen: []netip.AddrPort{netip.MustParseAddrPort("10.9.0.2:53")}, DNS: &netspec.DNSConfig{
					Zones: []string{"test."}, Records: []netspec.DNSRecord{{Name: "b.test.", Addr: addr("10.9.0.2"), TTL: 60}}}},
			}},
		},
		Links: []*netspec.Link{{A: netspec.End{Host: "a", Ifname: "eth0", Addrs: []netip.Prefix{pfx("10.9.0.1/24")}},
			B: netspec.End{Host: "b", Ifname: "eth0", Addrs: []netip.Prefix{pfx("10.9.0.2/24")}}}},
	}
}

func TestSandboxTwoHosts(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	spec := twoHosts()
	if err := s.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, spec); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	for _, p := range []netspec.Probe{
		{From: "a", Kind: "icmp", Target: "10.9.0.2"},
		{From: "alpha", Kind: "http", Target: "http://b.test/"},
		{From: "a", Kind: "dns", Target: "b.test"},
		{From: "a", Kind: "tcp", Target: "10.9.0.2:80"},
	} {
		r, err := s.Probe(ctx, p)
		if err != nil || !r.OK {
			t.Errorf("%s %s: %v %+v", p.Kind, p.Target, err, r)
		}
	}
	var out bytes.Buffer
	code, err := s.Exec(ctx, netnstestReq("a", "cat", "/etc/resolv.conf"), nil, &out, &out)
	if err != nil || code != 0 || !strings.Contains(out.String(), "nameserver 10.9.0.2") {
		t.Errorf("exec: %d %v %q", code, err, out.String())
	}
	out.Reset()
	code, err = s.Exec(ctx, netnstestReq("a", "hostname"), nil, &out, &out)
	if err != nil || code != 0 || strings.TrimSpace(out.String()) != "host-a" {
		t.Errorf("hostname: %d %v %q", code, err, out.String())
	}
	code, _ = s.Exec(ctx, netnstestReq("a", "sh", "-c", "exit 3"), nil, &out, &out)
	if code != 3 {
		t.Errorf("exit code = %d, want 3", code)
	}
}

// TestContainerModeWithoutUserNamespace starts the sandbox the way it starts inside a container
// (no user namespace: network, mount and PID namespaces only) and checks it is as sealed and
// as capable as the usual one. It needs root; as a normal user that mode does not exist.
func TestContainerModeWithoutUserNamespace(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the sandbox has a mode without a user namespace only for root (run as root to test it)")
	}
	t.Setenv("SPACELAB_SANDBOX_USERNS", "0")
	s := netnstest.Start(t)
	ctx := context.Background()
	if err := s.Apply(ctx, twoHosts()); err != nil {
		t.Fatal(err)
	}
	r, err := s.Probe(ctx, netspec.Probe{From: "a", Kind: "http", Target: "http://b.test/"})
	if err != nil || !r.OK {
		t.Errorf("http from a to b: %v %+v", err, r)
	}
	// A host sees only its own interfaces, and PID 1 is the sandbox: nothing of the caller's
	// network or processes shows through.
	for _, tc := range []struct {
		name string
		argv []string
		want func(string) bool
	}{
		{"links", []string{"cat", "/proc/net/dev"}, func(out string) bool {
			var names []string
			for _, line := range strings.Split(out, "\n") {
				if name, _, ok := strings.Cut(line, ":"); ok {
					names = append(names, strings.TrimSpace(name))
				}
			}
			return strings.Join(names, " ") == "lo eth0"
		}},
		{"pid 1", []string{"cat", "/proc/1/cmdline"}, func(out string) bool { return strings.TrimRight(out, "\x00") == "spacelab-sandbox" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code, err := s.Exec(ctx, netnstestReq("a", tc.argv...), nil, &out, &out)
			if err != nil || code != 0 {
				t.Fatalf("%v: %d %v %s", tc.argv, code, err, out.String())
			}
			if !tc.want(out.String()) {
				t.Errorf("%v in a host shows the outside: %q", tc.argv, out.String())
			}
		})
	}
}
