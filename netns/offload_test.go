//go:build linux

package netns

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// checksumAddRef is RFC 1071's sum, 16 bits at a time: what checksumAdd must equal.
func checksumAddRef(sum uint64, b []byte) uint64 {
	for len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return sum
}

func TestChecksumAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 2000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	ones := bytes.Repeat([]byte{0xff}, 2000)
	// A sum that is a non-zero multiple of 0xffff folds to 0xffff, never 0.
	cancel := []byte{0x12, 0x34, 0xed, 0xcb}
	for _, c := range []struct {
		name string
		b    []byte
		sum  uint64
	}{
		{"empty", nil, 0},
		{"one byte", []byte{0xab}, 0},
		{"zeros", make([]byte, 100), 0},
		{"multiple of 0xffff", cancel, 0},
		{"all ones 2000", ones, 0},
		{"all ones odd", ones[:1999], 0xffffffffffff},
		{"pseudo-header start", random[:1500], 0x1_2345_6789},
		{"huge start", random[:37], ^uint64(0) - 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, want := checksumFold(checksumAdd(c.sum, c.b)), checksumFold(foldRef(c.sum, c.b)); got != want {
				t.Fatalf("checksum %#04x, want %#04x", got, want)
			}
		})
	}
	t.Run("every length and offset", func(t *testing.T) {
		for off := range 8 {
			for n := 0; off+n <= 200; n++ {
				b := random[off : off+n]
				if got, want := checksumFold(checksumAdd(0, b)), checksumFold(checksumAddRef(0, b)); got != want {
					t.Fatalf("offset %d length %d: %#04x, want %#04x", off, n, got, want)
				}
			}
		}
	})
}

// foldRef adds b to a start sum that may be as large as a uint64 holds, folding first so the
// 16-bit reference cannot overflow.
func foldRef(sum uint64, b []byte) uint64 {
	for sum > 0xffff {
		sum = (sum & 0xffff) + sum>>16
	}
	return checksumAddRef(sum, b)
}

// coalesceCopy is the super-packet of pkts (one flow, already checked) copied into one
// buffer with its virtio-net header: what a gathered write of coalesceHeaders' pieces must
// put on the device.
func coalesceCopy(pkts [][]byte, first tcpSegment) []byte {
	var payload []byte
	for _, q := range pkts[1:] {
		payload = append(payload, q[first.hl:]...)
	}
	ip := append(append([]byte(nil), pkts[0]...), payload...)
	binary.BigEndian.PutUint16(ip[2:4], uint16(len(ip)))
	ipv4HeaderChecksum(ip, first.ihl)
	ip[33] = (ip[33] &^ tcpFlagPSH) | (pkts[len(pkts)-1][33] & tcpFlagPSH)
	binary.BigEndian.PutUint16(ip[first.ihl+16:], checksumFold(pseudoHeaderSum(ip, ipProtoTCP, len(ip)-first.ihl)))
	out := make([]byte, vnetHdrLen, vnetHdrLen+len(ip))
	vnetHdr{flags: vnetNeedsCsum, gsoType: vnetGSOTCPv4, hdrLen: uint16(first.hl), gsoSize: uint16(first.payloadLen),
		csumStart: uint16(first.ihl), csumOffset: 16}.put(out)
	return append(out, ip...)
}

// gather runs coalesceHeaders on copies of pkts and concatenates the pieces as writev would.
func gather(pkts [][]byte, first tcpSegment) []byte {
	cp := make([][]byte, len(pkts))
	for i, p := range pkts {
		cp[i] = append([]byte(nil), p...)
	}
	vh := make([]byte, vnetHdrLen)
	n := coalesceHeaders(vh, cp, first)
	out := append(vh, cp[0]...)
	for _, q := range cp[1:] {
		out = append(out, q[first.hl:]...)
	}
	if len(out) != vnetHdrLen+n {
		panic("coalesceHeaders: length differs from the pieces")
	}
	return out
}

// tcpPacket builds an IPv4/TCP packet with a timestamp option and valid checksums.
func tcpPacket(seq uint32, flags uint8, payload []byte) []byte {
	const hl = 20 + 32
	p := make([]byte, hl+len(payload))
	p[0], p[8], p[9] = 0x45, 64, ipProtoTCP
	binary.BigEndian.PutUint16(p[2:4], uint16(len(p)))
	binary.BigEndian.PutUint16(p[4:6], 7)
	p[6] = 0x40 // DF
	copy(p[12:16], []byte{172, 16, 0, 10})
	copy(p[16:20], []byte{10, 0, 1, 10})
	tcp := p[20:]
	binary.BigEndian.PutUint16(tcp[0:2], 40000)
	binary.BigEndian.PutUint16(tcp[2:4], 5201)
	binary.BigEndian.PutUint32(tcp[4:8], seq)
	binary.BigEndian.PutUint32(tcp[8:12], 99)
	tcp[12] = 8 << 4
	tcp[13] = flags
	binary.BigEndian.PutUint16(tcp[14:16], 502)
	copy(tcp[20:32], []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2})
	copy(p[hl:], payload)
	ipv4HeaderChecksum(p, 20)
	binary.BigEndian.PutUint16(tcp[16:18], ^checksumFold(checksumAdd(pseudoHeaderSum(p, ipProtoTCP, len(tcp)), tcp)))
	return p
}

func checksumsValid(t *testing.T, p []byte) {
	t.Helper()
	if checksumFold(checksumAdd(0, p[:20])) != 0xffff {
		t.Errorf("IP header checksum invalid")
	}
	if checksumFold(checksumAdd(pseudoHeaderSum(p, p[9], len(p)-20), p[20:])) != 0xffff {
		t.Errorf("transport checksum invalid")
	}
}

func TestSegmentAndCoalesceRoundTrip(t *testing.T) {
	payload := make([]byte, 5000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	super := tcpPacket(1000, tcpFlagACK|tcpFlagPSH, payload)
	var s segmenter
	if !s.start(super, vnetHdr{gsoType: vnetGSOTCPv4, gsoSize: 1400, flags: vnetNeedsCsum}) {
		t.Fatal("start")
	}
	bufs := make([][]byte, 8)
	for i := range bufs {
		bufs[i] = make([]byte, 2000)
	}
	sizes := make([]int, 8)
	n, err := s.next(bufs[:2], sizes) // a small batch first: the rest stays pending
	if err != nil || n != 2 || s.pkt == nil {
		t.Fatalf("first batch: %d %v", n, err)
	}
	m, err := s.next(bufs[2:], sizes[2:])
	if err != nil || m != 2 || s.pkt != nil {
		t.Fatalf("second batch: %d %v", m, err)
	}
	var segs [][]byte
	var got []byte
	for i := 0; i < 4; i++ {
		seg := bufs[i][:sizes[i]]
		checksumsValid(t, seg)
		if seq := binary.BigEndian.Uint32(seg[24:28]); seq != 1000+uint32(1400*i) {
			t.Errorf("segment %d: seq %d", i, seq)
		}
		if psh := seg[33]&tcpFlagPSH != 0; psh != (i == 3) {
			t.Errorf("segment %d: PSH %v", i, psh)
		}
		got = append(got, seg[52:]...)
		segs = append(segs, seg)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("payload differs after segmentation")
	}
	// Coalescing the segments gives the super-packet back, with a partial checksum.
	first, ok := coalescable(segs[0])
	if !ok {
		t.Fatal("segment not coalescable")
	}
	for i := 1; i < 4; i++ {
		q, ok := coalescable(segs[i])
		if !ok || !sameFlow(segs[0], segs[i], first, q) {
			t.Fatalf("segment %d not of the same flow", i)
		}
	}
	want := coalesceCopy(segs, first)
	out := gather(segs, first)
	if !bytes.Equal(out, want) {
		t.Fatal("super-packet gathered from the segments in place differs from the copied one")
	}
	n = len(out)
	h := parseVnetHdr(out)
	if h.gsoType != vnetGSOTCPv4 || h.gsoSize != 1400 || h.hdrLen != 52 || h.csumStart != 20 || h.csumOffset != 16 {
		t.Errorf("vnet header %+v", h)
	}
	pkt := out[vnetHdrLen:n]
	if !bytes.Equal(pkt[52:], payload) || pkt[33]&tcpFlagPSH == 0 {
		t.Fatal("coalesced packet differs")
	}
	if !completeChecksum(pkt, 20, 16) {
		t.Fatal("completeChecksum")
	}
	checksumsValid(t, pkt)
	// Another flow, a gap in sequence numbers or a SYN is not merged.
	other := tcpPacket(1000+5000, tcpFlagACK, payload[:100])
	other[19] = 11
	ipv4HeaderChecksum(other, 20)
	q, _ := coalescable(other)
	if sameFlow(segs[0], other, first, q) {
		t.Error("different destination merged")
	}
	if _, ok := coalescable(tcpPacket(1, tcpFlagSYN|tcpFlagACK, payload[:10])); ok {
		t.Error("SYN is coalescable")
	}
}
