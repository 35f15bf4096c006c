package ipsec

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"unsafe"
)

// fastMAC is HMAC-SHA-1 or HMAC-SHA-256 (RFC 2104) on the assembly compression functions,
// with the key's inner and outer blocks hashed once per SA: a packet costs its own blocks,
// the padding block and one outer block, and no allocation. With stitched encryption
// (stitch_amd64.s) the packet's blocks are hashed while they are encrypted.
type fastMAC struct {
	words        int // state words: 5 (SHA-1) or 8 (SHA-256)
	size         int // digest bytes
	inner, outer [8]uint32
	hash         Hash
	stitched     bool // encryption and MAC in one pass (fastPaths)
}

var (
	sha1IV   = [8]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0}
	sha256IV = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
)

// newFastMAC returns the MAC for a hash and key, or nil where the CPU or hash has no fast path.
func newFastMAC(h Hash, key []byte, encKeyLen int) *fastMAC {
	compress, stitched := fastPaths(h, encKeyLen)
	if !compress {
		return nil
	}
	m := &fastMAC{hash: h, stitched: stitched}
	switch h {
	case SHA1:
		m.words, m.size, m.inner = 5, sha1.Size, sha1IV
		if len(key) > 64 {
			s := sha1.Sum(key)
			key = s[:]
		}
	case SHA256:
		m.words, m.size, m.inner = 8, sha256.Size, sha256IV
		if len(key) > 64 {
			s := sha256.Sum256(key)
			key = s[:]
		}
	}
	m.outer = m.inner
	var ipad, opad [64]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	compressBlocks(h, &m.inner[0], &ipad[0], 1)
	compressBlocks(h, &m.outer[0], &opad[0], 1)
	return m
}

// finish completes the inner hash whose state has taken the first full blocks of a message of
// n bytes (the key block not counted), given the rest of the message, and writes the first
// len(icv) bytes of the HMAC into icv.
func (m *fastMAC) finish(st *[8]uint32, rest []byte, n int, icv []byte) {
	var blk [128]byte
	r := copy(blk[:], rest)
	blk[r] = 0x80
	nb := 1
	if r+1+8 > 64 {
		nb = 2
	}
	binary.BigEndian.PutUint64(blk[64*nb-8:], uint64(64+n)*8)
	compressBlocks(m.hash, &st[0], &blk[0], nb)
	// Outer hash: the inner digest, padded, in one block.
	var ob [64]byte
	for i := 0; i < m.words; i++ {
		binary.BigEndian.PutUint32(ob[4*i:], st[i])
	}
	ob[m.size] = 0x80
	binary.BigEndian.PutUint64(ob[56:], uint64(64+m.size)*8)
	out := m.outer
	compressBlocks(m.hash, &out[0], &ob[0], 1)
	var sum [32]byte
	for i := 0; i < m.words; i++ {
		binary.BigEndian.PutUint32(sum[4*i:], out[i])
	}
	copy(icv, sum[:len(icv)])
}

// sum writes the truncated HMAC of msg into icv.
func (m *fastMAC) sum(msg, icv []byte) {
	st := m.inner
	nh := len(msg) / 64
	if nh > 0 {
		compressBlocks(m.hash, &st[0], &msg[0], nh)
	}
	m.finish(&st, msg[64*nh:], len(msg), icv)
}

// sealStitched encrypts body (which starts espHeaderLen+espIVLen bytes into pkt) with iv and
// writes the ICV over pkt[:len(pkt)-len(icv)] into icv, in one pass.
func (m *fastMAC) sealStitched(c *aesCBC, pkt []byte, blocks int, icv []byte) {
	n := len(pkt) - len(icv)
	st := m.inner
	nh := n / 64
	encStitched(m.hash, c.rounds, &c.enc[0], &pkt[espHeaderLen], &pkt[0], blocks, &st[0], nh)
	m.finish(&st, pkt[64*nh:n], n, icv)
}

// openStitched checks the ICV of pkt (its last len(icv) bytes) and decrypts the body in place in
// one pass where the suite has a stitched decryption, and reports whether the ICV matched;
// handled false means the caller must take the two-pass way (nothing was touched).
func (m *fastMAC) openStitched(c *aesCBC, pkt []byte, blocks int, icv []byte) (ok, handled bool) {
	if !m.stitched || m.hash != SHA1 {
		return false, false
	}
	n := len(pkt) - len(icv)
	nh := n / 64
	var rest [64]byte // the partial last hash block, taken before it is decrypted
	r := copy(rest[:], pkt[64*nh:n])
	st := m.inner
	decStitched(m.hash, c.rounds, &c.dec[0], &pkt[espHeaderLen], &pkt[0], blocks, &st[0], nh)
	var sum [32]byte
	m.finish(&st, rest[:r], n, sum[:len(icv)])
	return hmac.Equal(sum[:len(icv)], icv), true
}

// Multi-buffer HMAC: sixteen messages hashed side by side, one per lane of the AVX-512
// registers (sha1x16Blocks). The SHA extensions compress one block at a time at a rate two
// interleaved chains do not raise on this class of CPU; sixteen lanes of plain SIMD SHA-1
// take a quarter of the time per byte. ESP batches (a TCP super-packet from the device is
// ~45 packets of one SA, as is a coalesced datagram from the socket) fill the lanes.
const (
	macLanes    = 16
	minMACBatch = 8 // fewer messages leave too many lanes idle to win
)

// batchMAC is the scratch of one multi-buffer HMAC computation (a goroutine's; never shared).
type batchMAC struct {
	state [5 * macLanes]uint32
	offs  [macLanes]int32
	sums  [macLanes][32]byte
	// The finishing blocks (finishBatch): each lane's rest of its message, padded, in up to
	// tailBlocks blocks, then its outer block.
	tail  [macLanes][tailBlocks * 64]byte
	inner [5 * macLanes]uint32 // the lanes' inner digests as they complete
	ctr   [16]byte             // IV generation's input (sealBatch)
	addrs [2 * macLanes]uint64 // the lanes' blocks (sealBatch)
}

// tailBlocks bounds the padded rest of a message that finishBatch hashes in the lanes: a rest
// of up to 118 bytes (messages of one length have less than 64).
const tailBlocks = 3

// canBatch reports whether sumBatch computes n messages in fewer passes than sum would.
func (m *fastMAC) canBatch(n int) bool {
	return m != nil && m.hash == SHA1 && haveSHA1x16 && n >= minMACBatch
}

// sumBatch writes the truncated HMAC of each msgs[i] into icvs[i] (len(msgs) ≤ macLanes). The
// lanes take the full blocks all messages have, then the rest, the padding and the outer
// blocks (finishBatch). It falls back to sum per message where the messages lie too far
// apart in memory for the gather's 32-bit offsets.
func (m *fastMAC) sumBatch(b *batchMAC, msgs, icvs [][]byte) {
	n := len(msgs)
	common := -1
	base := unsafe.Pointer(unsafe.SliceData(msgs[0]))
	for i := 0; i < macLanes; i++ {
		j := min(i, n-1) // idle lanes repeat the last message
		if len(msgs[j]) == 0 {
			common = 0
			break
		}
		d := int64(uintptr(unsafe.Pointer(unsafe.SliceData(msgs[j])))) - int64(uintptr(base))
		if d != int64(int32(d)) || d+int64(len(msgs[j])) != int64(int32(d+int64(len(msgs[j])))) {
			common = 0
			break
		}
		b.offs[i] = int32(d)
		if nb := len(msgs[j]) / 64; common < 0 || nb < common {
			common = nb
		}
	}
	if common <= 0 {
		for i, msg := range msgs {
			m.sum(msg, icvs[i])
		}
		return
	}
	for w := 0; w < 5; w++ {
		for l := 0; l < macLanes; l++ {
			b.state[macLanes*w+l] = m.inner[w]
		}
	}
	sha1x16Blocks(&b.state[0], (*byte)(base), &b.offs[0], common)
	m.finishBatch(b, msgs, icvs, 64*common)
	runtime.KeepAlive(msgs)
}

// finishBatch completes sumBatch in the lanes: b.state holds each lane's inner hash after the
// first done bytes of its message. Each lane's rest of the message (beyond what tailBlocks
// padded blocks hold, the excess blocks are compressed on their own first) is padded into
// b.tail and hashed sixteen lanes at a time, a lane's inner digest taken after its last block;
// the outer blocks of all lanes are then one more step. Nothing per message runs the
// one-lane compression unless the messages' lengths differ by more than a block or two.
func (m *fastMAC) finishBatch(b *batchMAC, msgs, icvs [][]byte, done int) {
	n := len(msgs)
	var nbs [macLanes]int
	steps := 0
	for i, msg := range msgs {
		rest := msg[done:]
		if extra := (len(rest)+9+63)/64 - tailBlocks; extra > 0 {
			// Too long for the tail blocks: this lane's extra blocks go the one-lane way.
			var st [8]uint32
			for w := 0; w < 5; w++ {
				st[w] = b.state[macLanes*w+i]
			}
			compressBlocks(m.hash, &st[0], &rest[0], extra)
			for w := 0; w < 5; w++ {
				b.state[macLanes*w+i] = st[w]
			}
			rest = rest[64*extra:]
		}
		t := b.tail[i][:]
		r := copy(t, rest)
		t[r] = 0x80
		nb := (r + 9 + 63) / 64
		clear(t[r+1 : 64*nb-8])
		binary.BigEndian.PutUint64(t[64*nb-8:], uint64(64+len(msg))*8)
		nbs[i] = nb
		steps = max(steps, nb)
	}
	base := unsafe.Pointer(&b.tail[0][0])
	for k := 0; k < steps; k++ {
		for l := 0; l < macLanes; l++ {
			j := min(l, n-1) // idle lanes repeat the last message
			b.offs[l] = int32(tailBlocks*64*j + 64*min(k, nbs[j]-1))
		}
		sha1x16Blocks(&b.state[0], (*byte)(base), &b.offs[0], 1)
		for i := range n {
			if nbs[i] == k+1 {
				for w := 0; w < 5; w++ {
					b.inner[macLanes*w+i] = b.state[macLanes*w+i]
				}
			}
		}
	}
	// Outer hash: each lane's inner digest, padded, in one block (the tail's first block).
	for i := range n {
		ob := b.tail[i][:64]
		for w := 0; w < 5; w++ {
			binary.BigEndian.PutUint32(ob[4*w:], b.inner[macLanes*w+i])
		}
		ob[m.size] = 0x80
		clear(ob[m.size+1 : 56])
		binary.BigEndian.PutUint64(ob[56:], uint64(64+m.size)*8)
	}
	for l := 0; l < macLanes; l++ {
		b.offs[l] = int32(tailBlocks * 64 * min(l, n-1))
	}
	for w := 0; w < 5; w++ {
		for l := 0; l < macLanes; l++ {
			b.state[macLanes*w+l] = m.outer[w]
		}
	}
	sha1x16Blocks(&b.state[0], (*byte)(base), &b.offs[0], 1)
	for i := range n {
		var sum [20]byte
		for w := 0; w < 5; w++ {
			binary.BigEndian.PutUint32(sum[4*w:], b.state[macLanes*w+i])
		}
		copy(icvs[i], sum[:len(icvs[i])])
	}
	runtime.KeepAlive(msgs)
}
