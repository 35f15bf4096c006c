package ipsec_test

import (
	"context"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
	"github.com/spacelab-dev/spacelab/ipsec"
	"github.com/spacelab-dev/spacelab/ipsec/ipsectest"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// BenchmarkEstablish measures a Go-to-Go tunnel from nothing to UP on both sides (Main Mode,
// Quick Mode with PFS modp2048) over the in-memory network. Its peer is the arithmetic floor:
// the two modp2048 Diffie-Hellman exchanges (Main Mode's and Quick Mode's PFS) as both ends
// compute them, nothing else.
func BenchmarkEstablish(b *testing.B) {
	var peer benchpeer.Peer
	b.Run("dh-floor", func(b *testing.B) {
		for b.Loop() {
			for range 2 {
				if err := ipsec.DHExchange(ipsec.MODP2048); err != nil {
					b.Fatal(err)
				}
			}
		}
		peer.Record(b, "dh-floor")
	})
	b.Run("go-go", func(b *testing.B) {
		for b.Loop() {
			n := ipsectest.NewNetwork()
			sdev, odev := ipsectest.NewDevice(), ipsectest.NewDevice()
			sg, err := ipsec.NewGateway(ipsec.GatewayConfig{Tunnels: []ipsec.Config{spaceTunnel()}, Device: sdev, Listen: n.Listen})
			if err != nil {
				b.Fatal(err)
			}
			og, err := ipsec.NewGateway(ipsec.GatewayConfig{Tunnels: []ipsec.Config{officeTunnel()}, Device: odev, Listen: n.Listen})
			if err != nil {
				b.Fatal(err)
			}
			for og.Endpoint("office").Status().State != ipsec.StateUp || sg.Endpoint("tunnel-1").Status().State != ipsec.StateUp {
				time.Sleep(100 * time.Microsecond)
			}
			og.Close()
			sg.Close()
		}
		peer.Compare(b)
	})
}

// BenchmarkStrongswanEstablish measures `swanctl --initiate` (IKEv1 Main Mode + Quick Mode,
// aes128-sha1-modp2048 with PFS, CHILD_SA installed on both sides) from a real strongSwan to
// spacelab's gateway, and to another strongSwan over the same topology: the strongSwan pair's
// reference median is 0.11 s.
func BenchmarkStrongswanEstablish(b *testing.B) {
	var ratio benchpeer.Peer // strongSwan → strongSwan, the peer of strongSwan → spacelab
	for _, peer := range []string{"strongswan", "spacelab"} {
		b.Run("strongswan-to-"+peer, func(b *testing.B) {
			sb := netnstest.Start(b)
			spec := interopSpec(spaceTunnelSpec(false), nil)
			if peer == "strongswan" {
				spec.Host("space-gw").Services = nil
			}
			if err := sb.Apply(context.Background(), spec); err != nil {
				b.Fatal(err)
			}
			if peer == "strongswan" {
				startCharonOn(b, sb, "space-gw", spaceSideCharon())
			}
			ss := startCharon(b, sb, defaultCharon())
			var total time.Duration
			for b.Loop() {
				took, ok, out := ss.initiate(10)
				if !ok {
					b.Fatalf("initiate: %s", out)
				}
				total += took
				b.StopTimer()
				ss.swanctl("--terminate", "--ike", "s2s", "--timeout", "5")
				time.Sleep(50 * time.Millisecond)
				b.StartTimer()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/establish")
			if peer == "strongswan" {
				ratio.Record(b, "strongswan")
			} else {
				ratio.Compare(b)
			}
		})
	}
}
