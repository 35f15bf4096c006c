package emulator

import (
	"net/netip"
)

func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	bits := p.Bits()
	for i := bits; i < 32; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(b)
}

func overlaps(a, b netip.Prefix) bool { return a.IsValid() && b.IsValid() && a.Overlaps(b) }

// prefixesOverlap reports whether any prefix of a overlaps any of b.
func prefixesOverlap(a []netip.Prefix, b ...netip.Prefix) (netip.Prefix, bool) {
	for _, x := range a {
		for _, y := range b {
			if overlaps(x, y) {
				return x, true
			}
		}
	}
	return netip.Prefix{}, false
}

// RFC1918 lists the private IPv4 ranges.
var RFC1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}
