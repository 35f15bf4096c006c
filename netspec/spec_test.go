package netspec_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/netspec"
)

// TestSortOrdersLinksByKey: Sort puts links in the order of their keys, also where one host or
// interface name is a prefix of another (the separator decides) and where a name holds the
// separator itself.
func TestSortOrdersLinksByKey(t *testing.T) {
	names := []string{"", "a", "ab", "a|b", "a|", "b", "vpc/vpc-1", "vpc/vpc-10", "vpc/vpc-1|x", "A", "~", "a0", "a{", "a}"}
	tests := []struct {
		name  string
		links int
		seed  uint64
	}{
		{"two", 2, 1},
		{"ten", 10, 2},
		{"hundreds", 500, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(tc.seed, 0))
			pick := func() string { return names[r.IntN(len(names))] }
			s := &netspec.Spec{}
			for range tc.links {
				s.Links = append(s.Links, &netspec.Link{A: netspec.End{Host: pick(), Ifname: pick()}, B: netspec.End{Host: pick(), Ifname: pick()}})
			}
			for range 3 { // from random order, then from sorted order
				r.Shuffle(len(s.Links), func(i, j int) { s.Links[i], s.Links[j] = s.Links[j], s.Links[i] })
				s.Sort()
				keys := make([]string, len(s.Links))
				for i, l := range s.Links {
					keys[i] = l.Key()
				}
				if !slices.IsSorted(keys) {
					for i := 1; i < len(keys); i++ {
						if keys[i-1] > keys[i] {
							t.Fatalf("links out of key order at %d: %q before %q", i, keys[i-1], keys[i])
						}
					}
				}
				s.Sort()
				for i, l := range s.Links {
					if l.Key() != keys[i] {
						t.Fatalf("sorting a sorted spec moved link %d: %q, was %q", i, l.Key(), keys[i])
					}
				}
			}
		})
	}
}

// TestSortOrdersHostsByName: hosts end in name order.
func TestSortOrdersHostsByName(t *testing.T) {
	s := &netspec.Spec{}
	for _, n := range strings.Fields("vpc/b instance/i-2 internet instance/i-10 app/web.1") {
		s.Hosts = append(s.Hosts, &netspec.Host{Name: n})
	}
	s.Sort()
	var got []string
	for _, h := range s.Hosts {
		got = append(got, h.Name)
	}
	if want := strings.Fields("app/web.1 instance/i-10 instance/i-2 internet vpc/b"); !slices.Equal(got, want) {
		t.Errorf("hosts %v, want %v", got, want)
	}
}
