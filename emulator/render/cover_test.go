package render

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestExactCover: the cover holds exactly the addresses given, for consecutive, scattered and
// overlapping inputs.
func TestExactCover(t *testing.T) {
	host := func(i int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 32)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		in   []netip.Prefix
		max  int // most prefixes the cover may have
	}{
		{"10000 consecutive from .4", func() (ps []netip.Prefix) {
			for i := 4; i < 10004; i++ {
				ps = append(ps, host(i))
			}
			return
		}(), 32},
		{"every other address", func() (ps []netip.Prefix) {
			for i := 0; i < 512; i += 2 {
				ps = append(ps, host(i))
			}
			return
		}(), 256},
		{"random, with a covering /24", func() (ps []netip.Prefix) {
			for range 300 {
				ps = append(ps, host(rng.IntN(2048)))
			}
			return append(ps, netip.MustParsePrefix("10.0.3.0/24"))
		}(), 300},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := map[netip.Addr]bool{}
			for _, p := range tc.in {
				for a := p.Masked().Addr(); p.Contains(a); a = a.Next() {
					want[a] = true
				}
			}
			cover := exactCover(tc.in)
			if len(cover) > tc.max {
				t.Fatalf("%d prefixes", len(cover))
			}
			got := map[netip.Addr]bool{}
			for _, p := range cover {
				if p.Masked() != p {
					t.Fatalf("%s is not masked", p)
				}
				for a := p.Addr(); p.Contains(a); a = a.Next() {
					if got[a] {
						t.Fatalf("%s covered twice", a)
					}
					got[a] = true
				}
			}
			if fmt.Sprint(len(got)) != fmt.Sprint(len(want)) {
				t.Fatalf("cover has %d addresses, want %d", len(got), len(want))
			}
			for a := range want {
				if !got[a] {
					t.Fatalf("%s missing", a)
				}
			}
		})
	}
}
