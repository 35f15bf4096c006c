//go:build linux

package ipsec

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// TestConnSegmentation sends runs of equal-sized datagrams, which the Linux Conn hands to the
// kernel as one segmented message each: the receiver must see every datagram, intact.
func TestConnSegmentation(t *testing.T) {
	pa, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	pb, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	a, _ := NewUDPConn(pa)
	b, _ := NewUDPConn(pb)
	defer a.Close()
	defer b.Close()
	var out []Datagram
	sizes := []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 500, 1200, 1200, 64}
	for i, n := range sizes {
		buf := make([]byte, n)
		for j := range buf {
			buf[j] = byte(i + j) // every byte in its place: a run's iovecs must join exactly
		}
		out = append(out, Datagram{Buf: buf, Addr: b.LocalAddr()})
	}
	for round := 0; round < 2; round++ {
		if n, err := a.WriteBatch(out); n != len(out) || err != nil {
			t.Fatalf("write: %d %v", n, err)
		}
		pb.SetReadDeadline(time.Now().Add(2 * time.Second))
		in := make([]Datagram, 32)
		for i := range in {
			in[i].Buf = make([]byte, 65536)
		}
		// Datagrams may come back coalesced (UDP_GRO): split them by Seg.
		var got [][]byte
		for len(got) < len(sizes) {
			n, err := b.ReadBatch(in)
			if err != nil {
				t.Fatalf("read after %d: %v", len(got), err)
			}
			for _, d := range in[:n] {
				buf, seg := d.Buf[:d.N], d.Seg
				if seg == 0 {
					seg = len(buf)
				}
				for len(buf) > 0 {
					m := min(seg, len(buf))
					got = append(got, append([]byte(nil), buf[:m]...))
					buf = buf[m:]
				}
			}
		}
		for i, n := range sizes {
			d := got[i]
			if len(d) != n || !bytes.Equal(d, out[i].Buf) {
				t.Fatalf("round %d datagram %d: %d bytes starting %d, want %d bytes of %d", round, i, len(d), d[0], n, i)
			}
		}
	}
	t.Logf("segmentation offload in use: %v", a.(*mmsgConn).gso)
}
