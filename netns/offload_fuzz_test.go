//go:build linux

package netns

import (
	"encoding/binary"
	"testing"
)

// FuzzVnetHeader feeds arbitrary virtio-net headers and packets, as a TUN device with
// IFF_VNET_HDR hands them over, to the code that reads them: checksum completion and TCP
// segmentation never panic or write out of bounds, segmentation ends, and its segments carry
// the super-packet's payload exactly once, each within the MSS.
func FuzzVnetHeader(f *testing.F) {
	ip := make([]byte, 40+3000)
	ip[0], ip[9] = 0x45, ipProtoTCP
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[32] = 5 << 4
	hdr := make([]byte, vnetHdrLen)
	vnetHdr{flags: vnetNeedsCsum, gsoType: vnetGSOTCPv4, hdrLen: 40, gsoSize: 1448, csumStart: 20, csumOffset: 16}.put(hdr)
	f.Add(append(append([]byte{}, hdr...), ip...))
	vnetHdr{flags: vnetNeedsCsum, csumStart: 20, csumOffset: 16}.put(hdr)
	f.Add(append(append([]byte{}, hdr...), ip[:60]...))
	f.Add([]byte{1, 1, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x4f})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < vnetHdrLen || len(raw) > maxIPv4Packet+vnetHdrLen {
			return
		}
		h := parseVnetHdr(raw)
		pkt := append([]byte(nil), raw[vnetHdrLen:]...)
		if h.flags&vnetNeedsCsum != 0 {
			completeChecksum(append([]byte(nil), pkt...), int(h.csumStart), int(h.csumOffset))
		}
		if _, ok := coalescable(pkt); ok {
			_ = sameFlow(pkt, pkt, tcpSegment{}, tcpSegment{})
		}
		var s segmenter
		if h.gsoType&^vnetGSOECN != vnetGSOTCPv4 || !s.start(pkt, h) {
			return
		}
		hl, mss, payload := s.hl, s.mss, len(pkt)-s.hl
		bufs := make([][]byte, 4)
		for i := range bufs {
			bufs[i] = make([]byte, maxIPv4Packet)
		}
		sizes := make([]int, len(bufs))
		got := 0
		for rounds := 0; s.pkt != nil; rounds++ {
			if rounds > payload+1 {
				t.Fatalf("segmentation of %d payload bytes in MSS %d does not end", payload, mss)
			}
			n, err := s.next(bufs, sizes)
			if err != nil {
				t.Fatalf("next: %v", err)
			}
			for i := range n {
				if sizes[i] <= hl || sizes[i]-hl > mss {
					t.Fatalf("segment of %d bytes (headers %d, MSS %d)", sizes[i], hl, mss)
				}
				got += sizes[i] - hl
			}
		}
		if got != payload {
			t.Fatalf("segments carry %d payload bytes of %d", got, payload)
		}
	})
}

// FuzzChecksumAdd compares the 64-bit checksum loop with RFC 1071's 16-bit one on arbitrary
// bytes, offsets and start sums (as pseudo-header sums give).
func FuzzChecksumAdd(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint64(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint8(1), ^uint64(0))
	f.Add(make([]byte, 100), uint8(3), uint64(0x1fffe))
	f.Fuzz(func(t *testing.T, b []byte, off uint8, sum uint64) {
		if int(off) > len(b) {
			return
		}
		b = b[off:]
		if got, want := checksumFold(checksumAdd(sum, b)), checksumFold(foldRef(sum, b)); got != want {
			t.Fatalf("checksum of %d bytes from %#x: %#04x, want %#04x", len(b), sum, got, want)
		}
	})
}
