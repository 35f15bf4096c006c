package netspec_test

import (
	"slices"
	"testing"

	"github.com/spacelab-dev/spacelab/netspec"
)

// TestDiff: a delta names the hosts and links that are new or differ, and those gone, whether
// the specs come sorted or not; a shared or equal host or link is not in it; patching the old
// spec with it gives the new one.
func TestDiff(t *testing.T) {
	host := func(name, hostname string) *netspec.Host { return &netspec.Host{Name: name, Hostname: hostname} }
	link := func(a, b string, mtu int) *netspec.Link {
		return &netspec.Link{A: netspec.End{Host: a, Ifname: "eth0"}, B: netspec.End{Host: b, Ifname: "eth1"}, MTU: mtu}
	}
	shared, kept := host("b", "b"), link("a", "b", 1500)
	old := &netspec.Spec{
		Hosts: []*netspec.Host{host("a", "a"), shared, host("c", "c"), host("d", "d")},
		Links: []*netspec.Link{kept, link("a", "c", 1500), link("c", "d", 1500)},
	}
	new := &netspec.Spec{
		Hosts: []*netspec.Host{host("a", "a"), shared, host("c", "c2"), host("e", "e")}, // a equal, b shared, c changed, d gone, e new
		Links: []*netspec.Link{kept, link("a", "c", 9000), link("a", "e", 1500)},        // a|c changed, c|d gone, a|e new
	}
	tests := []struct {
		name     string
		old, new *netspec.Spec
	}{
		{"sorted", old, new},
		{"unsorted", reversed(old), reversed(new)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := netspec.Diff(tc.old, tc.new)
			var hosts, links []string
			for _, h := range d.Hosts {
				hosts = append(hosts, h.Name)
			}
			for _, l := range d.Links {
				links = append(links, l.Key())
			}
			if want := []string{"c", "e"}; !slices.Equal(hosts, want) {
				t.Errorf("hosts %v, want %v", hosts, want)
			}
			if want := []string{"d"}; !slices.Equal(d.RemovedHosts, want) {
				t.Errorf("removed hosts %v, want %v", d.RemovedHosts, want)
			}
			if want := []string{"a|eth0|c|eth1", "a|eth0|e|eth1"}; !slices.Equal(links, want) {
				t.Errorf("links %v, want %v", links, want)
			}
			if want := []string{"c|eth0|d|eth1"}; !slices.Equal(d.RemovedLinks, want) {
				t.Errorf("removed links %v, want %v", d.RemovedLinks, want)
			}
			if again := netspec.Diff(tc.old.Patch(d), tc.new); !again.Empty() {
				t.Errorf("the old spec patched still differs from the new: %+v", again)
			}
			if d := netspec.Diff(nil, tc.new); len(d.Hosts) != 4 || len(d.Links) != 3 {
				t.Errorf("from nothing: %d hosts, %d links, want all 4 and 3", len(d.Hosts), len(d.Links))
			}
		})
	}
}

func reversed(s *netspec.Spec) *netspec.Spec {
	out := &netspec.Spec{Hosts: slices.Clone(s.Hosts), Links: slices.Clone(s.Links)}
	slices.Reverse(out.Hosts)
	slices.Reverse(out.Links)
	return out
}
