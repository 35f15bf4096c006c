package ipsec_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/ipsec/ipsectest"
)

// TestSimultaneousInitiationConverges starts both gateways as initiators at once (the Heroku
// side and an office with start_action=start), so their Main Modes and Quick Modes cross.
// Each pair must agree on one ISAKMP SA and one IPsec SA and carry traffic both ways within
// seconds; before collision.go a pair could sit at "negotiating phase 2" until DPD gave up.
func TestSimultaneousInitiationConverges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay func(from, to netip.AddrPort, b []byte) time.Duration
	}{
		{"instant", nil},
		{"3ms", func(netip.AddrPort, netip.AddrPort, []byte) time.Duration { return 3 * time.Millisecond }},
		{"jitter 3-6ms", func(netip.AddrPort, netip.AddrPort, []byte) time.Duration {
			return 3*time.Millisecond + rand.N(3*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 8 {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Parallel()
					n := ipsectest.NewNetwork()
					n.SetDelay(tc.delay)
					sc, oc := spaceTunnel(), officeTunnel()
					sc.Initiate = true
					space := startGateway(t, n, sc)
					office := startGateway(t, n, oc)
					waitStatus(t, space.gw.Endpoint("tunnel-1"), 5*time.Second, isUp)
					waitStatus(t, office.gw.Endpoint("office"), 5*time.Second, isUp)
					ping(t, office, space, officePC, dyno, "collide-in")
					ping(t, space, office, dyno, officePC, "collide-out")
				})
			}
		})
	}
}
