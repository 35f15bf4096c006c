//go:build linux

package netns

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// TUN offloads. A TUN device opened with IFF_VNET_HDR and TUN_F_TSO4 receives TCP
// "super-packets" of up to 64 KiB from the kernel instead of MTU-sized segments, and accepts
// them back: one read or write then moves dozens of segments, and the kernel forwards one
// packet instead of dozens. The device splits what it reads into ordinary IPv4 packets
// (segmentation, with the checksums the kernel left to it) and coalesces consecutive TCP
// segments of one flow before writing them (receive offload), so its users only ever see
// plain packets.
const (
	vnetHdrLen        = 10 // struct virtio_net_hdr
	vnetNeedsCsum     = 1  // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vnetGSONone       = 0
	vnetGSOTCPv4      = 1
	vnetGSOECN        = 0x80
	tunFCSum          = 0x01 // TUN_F_CSUM
	tunFTSO4          = 0x02 // TUN_F_TSO4
	maxIPv4Packet     = 65535
	tcpFlagFIN        = 0x01
	tcpFlagSYN        = 0x02
	tcpFlagRST        = 0x04
	tcpFlagPSH        = 0x08
	tcpFlagACK        = 0x10
	tcpFlagURG        = 0x20
	tcpFlagCWR        = 0x80
	ipProtoTCP        = 6
	ipProtoUDP        = 17
	ipFlagMoreFrags   = 0x2000
	ipFragOffsetMask  = 0x1fff
	maxCoalescedBytes = maxIPv4Packet
)

var errShortBuffer = errors.New("netns: packet buffer too small for a segment")

// vnetHdr is the virtio-net header in front of every packet of an IFF_VNET_HDR device
// (little-endian, the native order of the architectures spacelab runs on).
type vnetHdr struct {
	flags      uint8
	gsoType    uint8
	hdrLen     uint16
	gsoSize    uint16
	csumStart  uint16
	csumOffset uint16
}

func parseVnetHdr(b []byte) vnetHdr {
	return vnetHdr{flags: b[0], gsoType: b[1], hdrLen: binary.LittleEndian.Uint16(b[2:]), gsoSize: binary.LittleEndian.Uint16(b[4:]),
		csumStart: binary.LittleEndian.Uint16(b[6:]), csumOffset: binary.LittleEndian.Uint16(b[8:])}
}

func (h vnetHdr) put(b []byte) {
	b[0], b[1] = h.flags, h.gsoType
	binary.LittleEndian.PutUint16(b[2:], h.hdrLen)
	binary.LittleEndian.PutUint16(b[4:], h.gsoSize)
	binary.LittleEndian.PutUint16(b[6:], h.csumStart)
	binary.LittleEndian.PutUint16(b[8:], h.csumOffset)
}

// checksumAdd adds b to a ones' complement sum (RFC 1071). It adds big-endian 64-bit words
// with end-around carry, 32 bytes per round: 2^16 ≡ 1 modulo 0xffff, so every 16-bit word
// weighs the same whatever its place in the 64-bit word, and checksumFold gives the 16-bit
// sum. The segmenter runs it over every byte a TCP super-packet carries.
func checksumAdd(sum uint64, b []byte) uint64 {
	var c uint64
	for len(b) >= 32 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), 0)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[8:]), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[16:]), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[24:]), c)
		sum += c // cannot overflow: after a carry out, sum ≤ 2^64-2
		b = b[32:]
	}
	for len(b) >= 8 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), 0)
		sum += c
		b = b[8:]
	}
	if len(b) >= 4 {
		sum, c = bits.Add64(sum, uint64(binary.BigEndian.Uint32(b)), 0)
		sum += c
		b = b[4:]
	}
	if len(b) >= 2 {
		sum, c = bits.Add64(sum, uint64(binary.BigEndian.Uint16(b)), 0)
		sum += c
		b = b[2:]
	}
	if len(b) == 1 {
		sum, c = bits.Add64(sum, uint64(b[0])<<8, 0)
		sum += c
	}
	return sum
}

func checksumFold(sum uint64) uint16 {
	for sum > 0xffff {
		sum = (sum & 0xffff) + sum>>16
	}
	return uint16(sum)
}

// pseudoHeaderSum is the IPv4 pseudo-header part of a TCP/UDP checksum.
func pseudoHeaderSum(ip []byte, proto uint8, length int) uint64 {
	sum := checksumAdd(0, ip[12:20])
	return sum + uint64(proto) + uint64(length)
}

func ipv4HeaderChecksum(ip []byte, ihl int) {
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], ^checksumFold(checksumAdd(0, ip[:ihl])))
}

// completeChecksum finishes a checksum the kernel left partial (VIRTIO_NET_HDR_F_NEEDS_CSUM):
// the field holds the pseudo-header sum; the sum over the rest goes in.
func completeChecksum(p []byte, start, offset int) bool {
	if start+offset+2 > len(p) || start > len(p) {
		return false
	}
	binary.BigEndian.PutUint16(p[start+offset:], ^checksumFold(checksumAdd(0, p[start:])))
	return true
}

// segmenter splits one TCPv4 super-packet into segments of gsoSize payload bytes.
type segmenter struct {
	pkt  []byte // headers and payload; nil when nothing is pending
	hl   int    // IP + TCP header length
	ihl  int
	mss  int
	off  int // next payload offset
	ipID uint16
	seq  uint32
}

func (s *segmenter) start(pkt []byte, h vnetHdr) bool {
	if len(pkt) < 20 || pkt[0]>>4 != 4 || pkt[9] != ipProtoTCP || h.gsoSize == 0 {
		return false
	}
	ihl := int(pkt[0]&0x0f) * 4
	if ihl < 20 || len(pkt) < ihl+20 {
		return false
	}
	thl := int(pkt[ihl+12]>>4) * 4
	if thl < 20 || len(pkt) < ihl+thl {
		return false
	}
	*s = segmenter{pkt: pkt, ihl: ihl, hl: ihl + thl, mss: int(h.gsoSize), off: 0,
		ipID: binary.BigEndian.Uint16(pkt[4:6]), seq: binary.BigEndian.Uint32(pkt[ihl+4:])}
	return true
}

// next writes up to len(bufs) segments and reports how many.
func (s *segmenter) next(bufs [][]byte, sizes []int) (int, error) {
	payload := s.pkt[s.hl:]
	n := 0
	for n < len(bufs) && s.off < len(payload) {
		end := min(s.off+s.mss, len(payload))
		size := s.hl + end - s.off
		if len(bufs[n]) < size {
			s.pkt = nil
			return n, errShortBuffer
		}
		seg := bufs[n][:size]
		copy(seg, s.pkt[:s.hl])
		copy(seg[s.hl:], payload[s.off:end])
		binary.BigEndian.PutUint16(seg[2:4], uint16(size))
		binary.BigEndian.PutUint16(seg[4:6], s.ipID+uint16(s.off/s.mss))
		ipv4HeaderChecksum(seg, s.ihl)
		tcp := seg[s.ihl:]
		binary.BigEndian.PutUint32(tcp[4:8], s.seq+uint32(s.off))
		if end < len(payload) {
			tcp[13] &^= tcpFlagFIN | tcpFlagPSH
		}
		if s.off > 0 {
			tcp[13] &^= tcpFlagCWR
		}
		tcp[16], tcp[17] = 0, 0
		sum := checksumAdd(pseudoHeaderSum(seg, ipProtoTCP, len(tcp)), tcp)
		binary.BigEndian.PutUint16(tcp[16:18], ^checksumFold(sum))
		sizes[n] = size
		n++
		s.off = end
	}
	if s.off >= len(payload) {
		s.pkt = nil
	}
	return n, nil
}

// tcpSegment describes a plain IPv4 TCP packet for coalescing.
type tcpSegment struct {
	ihl, hl    int
	seq, ack   uint32
	flags      uint8
	payloadLen int
}

// coalescable parses p as a candidate for receive offload: IPv4 without options or
// fragmentation, TCP carrying data with only ACK (and PSH) set.
func coalescable(p []byte) (tcpSegment, bool) {
	var s tcpSegment
	if len(p) < 40 || p[0] != 0x45 || p[9] != ipProtoTCP || int(binary.BigEndian.Uint16(p[2:4])) != len(p) {
		return s, false
	}
	if binary.BigEndian.Uint16(p[6:8])&(ipFlagMoreFrags|ipFragOffsetMask) != 0 {
		return s, false
	}
	s.ihl = 20
	thl := int(p[32]>>4) * 4
	if thl < 20 || len(p) < 20+thl {
		return s, false
	}
	s.hl = 20 + thl
	s.flags = p[33]
	if s.flags&^(tcpFlagACK|tcpFlagPSH) != 0 || s.flags&tcpFlagACK == 0 {
		return s, false
	}
	s.payloadLen = len(p) - s.hl
	if s.payloadLen == 0 {
		return s, false
	}
	s.seq = binary.BigEndian.Uint32(p[24:28])
	s.ack = binary.BigEndian.Uint32(p[28:32])
	return s, true
}

// sameFlow reports whether q can follow p in one super-packet: same addresses, ports, TOS,
// TTL, DF, ACK number, window and TCP options (as Linux GRO requires).
func sameFlow(p, q []byte, ps, qs tcpSegment) bool {
	return ps.hl == qs.hl && ps.ack == qs.ack &&
		p[1] == q[1] && p[8] == q[8] && p[6]&0x40 == q[6]&0x40 &&
		string(p[12:20]) == string(q[12:20]) && // addresses
		string(p[20:24]) == string(q[20:24]) && // ports
		string(p[34:36]) == string(q[34:36]) && // window
		string(p[40:ps.hl]) == string(q[40:qs.hl]) // options
}

// coalesceHeaders prepares packets pkts[0..n) of one flow (already checked) to leave as one
// super-packet without copying them: it writes the virtio-net header into vh and rewrites
// pkts[0]'s IP and TCP headers in place for the whole (length, header checksum, PSH of the
// last segment, partial TCP checksum). The super-packet is vh, then pkts[0], then each
// further packet's payload (pkts[k][first.hl:]); it returns the IP packet's length.
func coalesceHeaders(vh []byte, pkts [][]byte, first tcpSegment) int {
	h := vnetHdr{flags: vnetNeedsCsum, gsoType: vnetGSOTCPv4, hdrLen: uint16(first.hl), gsoSize: uint16(first.payloadLen),
		csumStart: uint16(first.ihl), csumOffset: 16}
	h.put(vh)
	n := len(pkts[0])
	for _, q := range pkts[1:] {
		n += len(q) - first.hl
	}
	ip := pkts[0]
	binary.BigEndian.PutUint16(ip[2:4], uint16(n))
	ipv4HeaderChecksum(ip, first.ihl)
	last := pkts[len(pkts)-1]
	ip[33] = (ip[33] &^ tcpFlagPSH) | (last[33] & tcpFlagPSH)
	// CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel adds the rest.
	tcpLen := n - first.ihl
	binary.BigEndian.PutUint16(ip[first.ihl+16:], checksumFold(pseudoHeaderSum(ip, ipProtoTCP, tcpLen)))
	return n
}
