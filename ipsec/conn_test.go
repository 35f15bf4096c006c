package ipsec

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestConnBatches sends and receives batches through the platform Conn and the portable
// golang.org/x/net one, in both combinations.
func TestConnBatches(t *testing.T) {
	open := func(kind string) (Conn, *net.UDPConn) {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c := pc.(*net.UDPConn)
		la := netip.MustParseAddrPort(c.LocalAddr().String())
		if kind == "x/net" {
			return newBatchConn(c, la), c
		}
		conn, err := NewUDPConn(c)
		if err != nil {
			t.Fatal(err)
		}
		return conn, c
	}
	for _, pair := range [][2]string{{"platform", "platform"}, {"platform", "x/net"}, {"x/net", "platform"}} {
		t.Run(pair[0]+"→"+pair[1], func(t *testing.T) {
			a, _ := open(pair[0])
			b, braw := open(pair[1])
			defer a.Close()
			defer b.Close()
			out := []Datagram{{Buf: []byte("one"), Addr: b.LocalAddr()}, {Buf: []byte("two!"), Addr: b.LocalAddr()}, {Buf: make([]byte, 1400), Addr: b.LocalAddr()}}
			if n, err := a.WriteBatch(out); n != 3 || err != nil {
				t.Fatalf("write: %d %v", n, err)
			}
			braw.SetReadDeadline(time.Now().Add(2 * time.Second))
			in := make([]Datagram, 8)
			for i := range in {
				in[i].Buf = make([]byte, 2048)
			}
			got := 0
			for got < 3 {
				n, err := b.ReadBatch(in[got:])
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				for i := got; i < got+n; i++ {
					if in[i].Addr != a.LocalAddr() {
						t.Errorf("sender %s, want %s", in[i].Addr, a.LocalAddr())
					}
				}
				got += n
			}
			if string(in[0].Buf[:in[0].N]) != "one" || string(in[1].Buf[:in[1].N]) != "two!" || in[2].N != 1400 {
				t.Errorf("datagrams: %q %q %d", in[0].Buf[:in[0].N], in[1].Buf[:in[1].N], in[2].N)
			}
		})
	}
}
