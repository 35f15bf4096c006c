package emulator

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestSubtractPrefix: the customer side of a default (0.0.0.0/0) connection is the private
// ranges less the VPC, as few prefixes as cover it.
func TestSubtractPrefix(t *testing.T) {
	for _, tc := range []struct {
		p, q string
		want string
	}{
		{"10.0.0.0/8", "172.16.0.0/16", "[10.0.0.0/8]"},
		{"172.16.0.0/12", "172.16.0.0/16", "[172.17.0.0/16 172.18.0.0/15 172.20.0.0/14 172.24.0.0/13]"},
		{"192.168.0.0/16", "192.168.0.0/16", "[]"},
		{"192.168.0.0/24", "192.168.0.0/16", "[]"},
		{"192.168.0.0/23", "192.168.1.0/24", "[192.168.0.0/24]"},
	} {
		t.Run(tc.p+"-"+tc.q, func(t *testing.T) {
			got := subtractPrefix(netip.MustParsePrefix(tc.p), netip.MustParsePrefix(tc.q))
			if s := fmt.Sprint(got); s != tc.want {
				t.Fatalf("%s - %s = %s, want %s", tc.p, tc.q, s, tc.want)
			}
			for _, x := range got {
				if x.Overlaps(netip.MustParsePrefix(tc.q)) || !netip.MustParsePrefix(tc.p).Overlaps(x) {
					t.Fatalf("%s - %s has %s", tc.p, tc.q, x)
				}
			}
		})
	}
}
