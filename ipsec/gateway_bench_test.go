package ipsec_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
	"github.com/spacelab-dev/spacelab/ipsec"
	"github.com/spacelab-dev/spacelab/ipsec/ipsectest"
)

// BenchmarkGatewayThroughput pushes 1400-byte packets from one gateway's device to the
// other's through a tunnel: over the in-memory network (the data path alone: device batch,
// ESP, demultiplexing) and over real UDP sockets on loopback (adding sendmmsg/recvmmsg).
func BenchmarkGatewayThroughput(b *testing.B) {
	var peer benchpeer.Peer
	for _, tc := range []struct {
		name   string
		listen func(b *testing.B) func(netip.AddrPort) (ipsec.Conn, error)
		a, c   netip.Addr
	}{
		{"in-memory", func(b *testing.B) func(netip.AddrPort) (ipsec.Conn, error) { return ipsectest.NewNetwork().Listen }, officeGW, spaceGW},
		{"loopback-udp", func(b *testing.B) func(netip.AddrPort) (ipsec.Conn, error) {
			return func(ap netip.AddrPort) (ipsec.Conn, error) {
				pc, err := net.ListenPacket("udp4", ap.String())
				if err != nil {
					b.Skipf("cannot bind %s (needs root for port 500): %v", ap, err)
				}
				return ipsec.NewUDPConn(pc)
			}
		}, netip.MustParseAddr("127.0.0.21"), netip.MustParseAddr("127.0.0.22")},
	} {
		if tc.name == "in-memory" {
			b.Run("udp-only", func(b *testing.B) { udpOnly(b); peer.Record(b, "udp-only") })
		}
		b.Run(tc.name, func(b *testing.B) {
			listen := tc.listen(b)
			oc, sc := officeTunnel(), spaceTunnel()
			oc.Local, oc.Peer, sc.Local, sc.Peer = tc.a, tc.c, tc.c, tc.a
			odev, sdev := ipsectest.NewDevice(), ipsectest.NewDevice()
			og, err := ipsec.NewGateway(ipsec.GatewayConfig{Tunnels: []ipsec.Config{oc}, Device: odev, Listen: listen})
			if err != nil {
				b.Fatal(err)
			}
			defer og.Close()
			sg, err := ipsec.NewGateway(ipsec.GatewayConfig{Tunnels: []ipsec.Config{sc}, Device: sdev, Listen: listen})
			if err != nil {
				b.Fatal(err)
			}
			defer sg.Close()
			waitStatus(b, og.Endpoint("office"), 5*time.Second, isUp)
			waitStatus(b, sg.Endpoint("tunnel-1"), time.Second, isUp)
			p := ipsectest.IPv4(officePC, dyno, 17, make([]byte, 1400-28))
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			b.ResetTimer()
			const window = 512
			sent, got := 0, 0
			timeout := time.NewTimer(time.Hour)
			for got < b.N {
				for sent < b.N && sent-got < window {
					odev.Inject(p)
					sent++
				}
				timeout.Reset(time.Second)
				select {
				case <-sdev.Out():
					got++
				case <-timeout.C:
					// Lost in a full queue: resend the difference.
					sent = got
				}
			}
			b.StopTimer()
			c := sg.Endpoint("tunnel-1").Status().Counters
			if c.ESPAuthFailed != 0 || c.ESPMalformed != 0 {
				b.Errorf("errors: %+v", c)
			}
			peer.Compare(b)
		})
	}
}

// udpOnly is BenchmarkGatewayThroughput's peer: the same packets, in the same window, from one
// loopback UDP socket to another and out of a receiving goroutine the way a plain Go program
// moves datagrams (a system call each), with no gateway and no ESP. The gateways batch their
// system calls (sendmmsg, recvmmsg), so over loopback they can beat it.
func udpOnly(b *testing.B) {
	rx, err := net.ListenPacket("udp4", "127.0.0.23:0")
	if err != nil {
		b.Skipf("cannot bind a loopback UDP socket: %v", err)
	}
	defer rx.Close()
	tx, err := net.Dial("udp4", rx.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	out := make(chan struct{}, 1024)
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := rx.ReadFrom(buf); err != nil {
				close(out)
				return
			}
			out <- struct{}{}
		}
	}()
	p := make([]byte, 1400)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	const window = 512
	sent, got := 0, 0
	timeout := time.NewTimer(time.Hour)
	for b.Loop() {
		for sent-got < window {
			tx.Write(p)
			sent++
		}
		timeout.Reset(time.Second)
		select {
		case <-out:
			got++
		case <-timeout.C:
			sent = got // lost in a full socket buffer: send the difference again
		}
	}
}
