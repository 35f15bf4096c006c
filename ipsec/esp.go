package ipsec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ESP framing (RFC 4303 §2, RFC 3602 §3): SPI, sequence number, a 16-byte explicit IV, the
// encrypted payload with padding, pad length and next header, then the truncated ICV.
const (
	espHeaderLen   = 8
	espIVLen       = aes.BlockSize
	nextHeaderIPv4 = 4
	nextHeaderNone = 59 // a dummy packet (RFC 4303 §2.6), dropped silently
	// espOverhead is the largest growth of a packet: header, IV, up to 17 bytes of padding and
	// trailer, and a 32-byte ICV (HMAC-SHA-512-256).
	espOverhead = espHeaderLen + espIVLen + aes.BlockSize + 1 + 32
)

// Errors of ESP decapsulation; each is counted by the endpoint.
var (
	errESPShort    = errors.New("ipsec: ESP packet too short")
	errESPAuth     = errors.New("ipsec: ESP integrity check failed")
	errESPReplay   = errors.New("ipsec: ESP packet replayed or outside the window")
	errESPPadding  = errors.New("ipsec: ESP padding invalid")
	errESPNextHdr  = errors.New("ipsec: ESP next header is not IPv4")
	errESPDummy    = errors.New("ipsec: ESP dummy packet")
	errSeqOverflow = errors.New("ipsec: ESP sequence numbers exhausted")
)

// benchCopyOnly replaces ESP's cryptography by the copy into the ESP frame: no encryption, no
// ICV computed or checked (the ICV bytes are left as they are). Only the package's tests set it
// (TestIperfThroughput's "copy" mode, from SPACELAB_IPSEC_BENCH_COPY_ONLY in the sandbox
// process): it measures what user-space forwarding over TUN and UDP costs without ESP's
// cryptography, the ceiling the real tunnel can approach. Nothing outside tests reads the
// variable from the environment.
var benchCopyOnly bool

// espSA is one direction of an IPsec SA: its keys and, outbound, the sequence counter, inbound,
// the replay window. It is safe for concurrent use: per-packet cipher and MAC state comes
// from a pool, so several goroutines may seal or open at once.
type espSA struct {
	spi    uint32
	cbc    *aesCBC
	ivGen  cipher.Block // encrypts the sequence number into an unpredictable IV
	integ  Hash
	icvLen int
	fast   *fastMAC      // assembly HMAC, stitched with encryption where possible; nil: crypto/hmac
	seq    atomic.Uint64 // last sequence number used (outbound)
	replay replayWindow  // inbound
	pool   sync.Pool     // *espState

	packets, bytes atomic.Uint64
}

// espState is the per-goroutine MAC state of an SA.
type espState struct {
	mac hash.Hash
	sum [64]byte
	ctr [aes.BlockSize]byte
}

func newESPSA(spi uint32, encKey, authKey []byte, integ Hash) (*espSA, error) {
	cbc, err := newAESCBC(encKey)
	if err != nil {
		return nil, err
	}
	ivGen, err := aes.NewCipher(randomBytes(16))
	if err != nil {
		return nil, err
	}
	s := &espSA{spi: spi, cbc: cbc, ivGen: ivGen, integ: integ, icvLen: integ.icvLen(),
		fast: newFastMAC(integ, authKey, len(encKey))}
	key := append([]byte(nil), authKey...)
	s.pool.New = func() any { return &espState{mac: hmac.New(integ.new(), key)} }
	return s, nil
}

// sealedLen is the ESP packet length for an inner packet of n bytes.
func (s *espSA) sealedLen(n int) int {
	pt := n + 2
	pt += (aes.BlockSize - pt%aes.BlockSize) % aes.BlockSize
	return espHeaderLen + espIVLen + pt + s.icvLen
}

// nextSeq reserves the next outbound sequence number; ESP without extended sequence numbers
// must not wrap (RFC 4303 §3.3.3), the SA has to be rekeyed first.
func (s *espSA) nextSeq() (uint32, error) {
	n := s.seq.Add(1)
	if n > 0xffffffff {
		return 0, errSeqOverflow
	}
	return uint32(n), nil
}

// seal encrypts inner into dst as an ESP packet with sequence number seq and returns its
// length. dst must hold sealedLen(len(inner)) bytes; inner and dst must not overlap unless
// inner already sits at dst[espHeaderLen+espIVLen:].
func (s *espSA) seal(dst, inner []byte, seq uint32) int {
	total := s.sealedLen(len(inner))
	dst = dst[:total]
	binary.BigEndian.PutUint32(dst[0:4], s.spi)
	binary.BigEndian.PutUint32(dst[4:8], seq)
	st := s.pool.Get().(*espState)
	iv, body := s.frame(dst, inner, seq, &st.ctr)
	switch {
	case benchCopyOnly:
		s.pool.Put(st)
	case s.fast != nil && s.fast.stitched:
		s.pool.Put(st)
		s.fast.sealStitched(s.cbc, dst, len(body)/aes.BlockSize, dst[total-s.icvLen:])
	case s.fast != nil:
		s.pool.Put(st)
		s.cbc.encrypt(iv, body)
		s.fast.sum(dst[:total-s.icvLen], dst[total-s.icvLen:])
	default:
		s.cbc.encrypt(iv, body)
		st.mac.Reset()
		st.mac.Write(dst[:total-s.icvLen])
		sum := st.mac.Sum(st.sum[:0])
		copy(dst[total-s.icvLen:], sum[:s.icvLen])
		s.pool.Put(st)
	}
	s.packets.Add(1)
	s.bytes.Add(uint64(len(inner)))
	return total
}

// frame writes the ESP header, the IV and the padded plaintext of inner into dst (of
// sealedLen(len(inner)) bytes) and returns the IV and the body to encrypt; ctr is scratch.
func (s *espSA) frame(dst, inner []byte, seq uint32, ctr *[aes.BlockSize]byte) (iv, body []byte) {
	total := len(dst)
	binary.BigEndian.PutUint32(dst[0:4], s.spi)
	binary.BigEndian.PutUint32(dst[4:8], seq)
	// IV: the sequence number and SPI encrypted under a random per-SA key: unpredictable to
	// an observer (RFC 3602 §2.3), and cheaper than reading the system's random source.
	binary.BigEndian.PutUint32(ctr[8:12], s.spi)
	binary.BigEndian.PutUint32(ctr[12:16], seq)
	iv = dst[espHeaderLen : espHeaderLen+espIVLen]
	s.ivGen.Encrypt(iv, ctr[:])
	body = dst[espHeaderLen+espIVLen : total-s.icvLen]
	copy(body, inner)
	pad := len(body) - len(inner) - 2
	for i := 0; i < pad; i++ {
		body[len(inner)+i] = byte(i + 1)
	}
	body[len(body)-2] = byte(pad)
	body[len(body)-1] = nextHeaderIPv4
	return iv, body
}

// sealBatch seals several packets of this SA as seal does, each inner[i] into dst[i] with
// sequence number seqs[i], and returns the sealed lengths in lens. With enough packets the
// ICVs are computed side by side (sumBatch) after each packet is encrypted; the bytes are
// those seal writes. b is the caller's scratch.
func (s *espSA) sealBatch(b *batchMAC, dst, inner [][]byte, seqs []uint32, lens []int) {
	for len(dst) > 0 {
		// A run of packets of one sealed length: the sixteen-lane encryption wants equal
		// lengths (the segments of a TCP super-packet are).
		total := s.sealedLen(len(inner[0]))
		k := 1
		for k < min(len(dst), macLanes) && s.sealedLen(len(inner[k])) == total {
			k++
		}
		if benchCopyOnly || !s.fast.canBatch(k) {
			for i := range k {
				lens[i] = s.seal(dst[i], inner[i], seqs[i])
			}
		} else {
			var msgs, icvs [macLanes][]byte
			lanes := haveAES16 && s.cbc.rounds == 10
			for i := range k {
				d := dst[i][:total]
				iv, body := s.frame(d, inner[i], seqs[i], &b.ctr)
				if lanes {
					b.addrs[2*i] = uint64(uintptr(unsafe.Pointer(&body[0])))
					b.addrs[2*i+1] = b.addrs[2*i] + 8
				} else {
					s.cbc.encrypt(iv, body)
				}
				msgs[i], icvs[i] = d[:total-s.icvLen], d[total-s.icvLen:]
				lens[i] = total
				s.bytes.Add(uint64(len(inner[i])))
			}
			if lanes {
				for i := k; i < macLanes; i++ { // idle lanes encrypt the last packet again, identically
					b.addrs[2*i], b.addrs[2*i+1] = b.addrs[2*k-2], b.addrs[2*k-1]
				}
				cbcEnc16x128(&s.cbc.enc[0], &b.addrs[0], (total-espHeaderLen-espIVLen-s.icvLen)/aes.BlockSize)
				runtime.KeepAlive(dst)
			}
			s.fast.sumBatch(b, msgs[:k], icvs[:k])
			s.packets.Add(uint64(k))
		}
		dst, inner, seqs, lens = dst[k:], inner[k:], seqs[k:], lens[k:]
	}
}

// openBatch opens several ESP packets of this SA in place as open does: inner[i] and errs[i]
// are open(pkts[i])'s results. With enough packets the ICVs are computed side by side
// (sumBatch) over the ciphertexts, then each authentic packet is decrypted. b is the caller's
// scratch.
func (s *espSA) openBatch(b *batchMAC, pkts, inner [][]byte, errs []error) {
	for len(pkts) > 0 {
		k := min(len(pkts), macLanes)
		if benchCopyOnly || !s.fast.canBatch(k) {
			for i := range k {
				inner[i], errs[i] = s.open(pkts[i])
			}
		} else {
			s.openLanes(b, pkts[:k], inner[:k], errs[:k])
		}
		pkts, inner, errs = pkts[k:], inner[k:], errs[k:]
	}
}

func (s *espSA) openLanes(b *batchMAC, pkts, inner [][]byte, errs []error) {
	var msgs, icvs [macLanes][]byte
	var idx [macLanes]int
	k := 0
	for i, pkt := range pkts {
		inner[i], errs[i] = nil, nil
		if len(pkt) < espHeaderLen+espIVLen+aes.BlockSize+s.icvLen || (len(pkt)-espHeaderLen-espIVLen-s.icvLen)%aes.BlockSize != 0 {
			errs[i] = errESPShort
			continue
		}
		if !s.replay.check(binary.BigEndian.Uint32(pkt[4:8])) {
			errs[i] = errESPReplay
			continue
		}
		msgs[k], icvs[k], idx[k] = pkt[:len(pkt)-s.icvLen], b.sums[k][:s.icvLen], i
		k++
	}
	if k == 0 {
		return
	}
	if s.fast.canBatch(k) {
		s.fast.sumBatch(b, msgs[:k], icvs[:k])
	} else {
		for j := range k {
			s.fast.sum(msgs[j], icvs[j])
		}
	}
	for j := range k {
		i := idx[j]
		pkt := pkts[i]
		if !hmac.Equal(icvs[j], pkt[len(pkt)-s.icvLen:]) {
			errs[i] = errESPAuth
			continue
		}
		if !s.replay.update(binary.BigEndian.Uint32(pkt[4:8])) {
			errs[i] = errESPReplay
			continue
		}
		s.cbc.decryptPrefixed(pkt[espHeaderLen : len(pkt)-s.icvLen])
		inner[i], errs[i] = s.unpad(pkt[espHeaderLen+espIVLen : len(pkt)-s.icvLen])
	}
}

// open authenticates and decrypts the ESP packet pkt in place and returns the inner packet, a
// slice of pkt. The caller has matched the SPI.
func (s *espSA) open(pkt []byte) ([]byte, error) {
	if len(pkt) < espHeaderLen+espIVLen+aes.BlockSize+s.icvLen {
		return nil, errESPShort
	}
	body := pkt[espHeaderLen+espIVLen : len(pkt)-s.icvLen]
	if len(body)%aes.BlockSize != 0 {
		return nil, errESPShort
	}
	seq := binary.BigEndian.Uint32(pkt[4:8])
	if !s.replay.check(seq) {
		return nil, errESPReplay
	}
	if benchCopyOnly {
		if !s.replay.update(seq) {
			return nil, errESPReplay
		}
		return s.unpad(body)
	}
	// One pass where the suite allows: the ICV is computed over the ciphertext while it is
	// decrypted (a packet that fails the check is dropped, its plaintext never used).
	if s.fast != nil {
		ok, handled := s.fast.openStitched(s.cbc, pkt, len(body)/aes.BlockSize, pkt[len(pkt)-s.icvLen:])
		if handled {
			if !ok {
				return nil, errESPAuth
			}
			if !s.replay.update(seq) {
				return nil, errESPReplay
			}
			return s.unpad(body)
		}
	}
	if !s.authentic(pkt) {
		return nil, errESPAuth
	}
	if !s.replay.update(seq) {
		return nil, errESPReplay
	}
	s.cbc.decrypt(pkt[espHeaderLen:espHeaderLen+espIVLen], body)
	return s.unpad(body)
}

// unpad checks the padding and next header of a decrypted body and returns the inner packet.
func (s *espSA) unpad(body []byte) ([]byte, error) {
	pad := int(body[len(body)-2])
	next := body[len(body)-1]
	if pad+2 > len(body) {
		return nil, errESPPadding
	}
	n := len(body) - 2 - pad
	for i := 0; i < pad; i++ {
		if body[n+i] != byte(i+1) {
			return nil, errESPPadding
		}
	}
	switch next {
	case nextHeaderIPv4:
	case nextHeaderNone:
		return nil, errESPDummy
	default:
		return nil, errESPNextHdr
	}
	s.packets.Add(1)
	s.bytes.Add(uint64(n))
	return body[:n], nil
}

// authentic checks the ICV at the end of pkt.
func (s *espSA) authentic(pkt []byte) bool {
	icv := pkt[len(pkt)-s.icvLen:]
	if s.fast != nil {
		var sum [32]byte
		s.fast.sum(pkt[:len(pkt)-s.icvLen], sum[:s.icvLen])
		return hmac.Equal(sum[:s.icvLen], icv)
	}
	st := s.pool.Get().(*espState)
	defer s.pool.Put(st)
	st.mac.Reset()
	st.mac.Write(pkt[:len(pkt)-s.icvLen])
	sum := st.mac.Sum(st.sum[:0])
	return hmac.Equal(sum[:s.icvLen], icv)
}

// replayWindow is the anti-replay window of an inbound SA (RFC 4303 §3.4.3), a ring of bitmap
// words as in RFC 6479: advancing the window clears whole words instead of shifting bits.
type replayWindow struct {
	mu     sync.Mutex
	top    uint32 // highest sequence number accepted
	bitmap [replayWords]uint64
}

const (
	replayWords = 64                     // ring size in 64-bit words (a power of two)
	replaySize  = (replayWords - 1) * 64 // usable window: 4032 packets
)

// check reports whether seq may be new, without recording it (done before the ICV check).
func (w *replayWindow) check(seq uint32) bool {
	if seq == 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq > w.top {
		return true
	}
	if w.top-seq >= replaySize {
		return false
	}
	idx := (seq >> 6) & (replayWords - 1)
	return w.bitmap[idx]&(1<<(seq&63)) == 0
}

// update records seq after the packet authenticated; false means it was seen meanwhile.
func (w *replayWindow) update(seq uint32) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq > w.top {
		cur := w.top >> 6
		next := seq >> 6
		diff := next - cur
		if diff > replayWords {
			diff = replayWords
		}
		for i := uint32(1); i <= diff; i++ {
			w.bitmap[(cur+i)&(replayWords-1)] = 0
		}
		w.top = seq
	} else if w.top-seq >= replaySize {
		return false
	}
	idx := (seq >> 6) & (replayWords - 1)
	bit := uint64(1) << (seq & 63)
	if w.bitmap[idx]&bit != 0 {
		return false
	}
	w.bitmap[idx] |= bit
	return true
}
