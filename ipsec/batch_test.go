package ipsec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// batchSizes are the batch sizes the batched tests run: below the multi-buffer threshold,
// at it, one full set of lanes, a set and a rest, and a TCP super-packet's worth and more.
var batchSizes = []int{1, minMACBatch - 1, minMACBatch, macLanes - 1, macLanes, macLanes + 3, 45, 64}

// batchLengths gives the inner packet lengths of a batch: all equal (segments of one
// super-packet), or mixed, including lengths with no full hash block in common.
func batchLengths(rng *rand.Rand, n int, mixed bool) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1400
		if mixed {
			out[i] = 20 + rng.IntN(1480)
		}
	}
	return out
}

// TestSumBatchAgainstCryptoHMAC checks the multi-buffer HMAC-SHA-1 against crypto/hmac for
// messages of every length around the block boundaries, side by side in one buffer or in
// separate allocations.
func TestSumBatchAgainstCryptoHMAC(t *testing.T) {
	if !haveStitch || !haveSHA1x16 {
		t.Skip("this CPU has no SHA extensions or no AVX-512: batches take the one-packet path, tested on its own")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	key := make([]byte, 20)
	fill(rng, key)
	m := newFastMAC(SHA1, key, 16)
	var b batchMAC
	for _, k := range []int{1, 2, minMACBatch, macLanes} {
		for start := 0; start < 300; start += 7 {
			msgs := make([][]byte, k)
			icvs := make([][]byte, k)
			for i := range msgs {
				msgs[i] = make([]byte, start+i*13)
				fill(rng, msgs[i])
				icvs[i] = make([]byte, sha1.Size)
			}
			m.sumBatch(&b, msgs, icvs)
			for i, msg := range msgs {
				want := hmac.New(sha1.New, key)
				want.Write(msg)
				if !bytes.Equal(icvs[i], want.Sum(nil)) {
					t.Fatalf("%d messages, message %d of %d bytes: %x, crypto/hmac %x", k, i, len(msg), icvs[i], want.Sum(nil))
				}
			}
		}
	}
}

// TestSealBatchAgainstCryptoCipher checks that a batch sealed side by side has the bytes of
// the straightforward path: seal of each packet alone with the same sequence number, and
// crypto/cipher's CBC + crypto/hmac over the ESP layout with the packet's IV.
func TestSealBatchAgainstCryptoCipher(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, mixed := range []bool{false, true} {
		for _, n := range batchSizes {
			t.Run(fmt.Sprintf("mixed=%v/%d", mixed, n), func(t *testing.T) {
				out, _ := testSAPair(t, SHA1, 16)
				ref, _ := testSAPair(t, SHA1, 16)
				ref.ivGen = out.ivGen // the same IVs for the same sequence numbers
				block, _ := aes.NewCipher(bytes.Repeat([]byte{7}, 16))
				authKey := bytes.Repeat([]byte{9}, SHA1.size())
				lengths := batchLengths(rng, n, mixed)
				dst, inner := make([][]byte, n), make([][]byte, n)
				seqs, lens := make([]uint32, n), make([]int, n)
				for i, l := range lengths {
					inner[i] = innerPacket(l)
					fill(rng, inner[i][20:])
					dst[i] = make([]byte, out.sealedLen(l))
					seqs[i] = uint32(100 + i)
				}
				var b batchMAC
				out.sealBatch(&b, dst, inner, seqs, lens)
				for i := range dst {
					if lens[i] != len(dst[i]) {
						t.Fatalf("packet %d: sealed %d bytes, want %d", i, lens[i], len(dst[i]))
					}
					alone := make([]byte, len(dst[i]))
					ref.seal(alone, inner[i], seqs[i])
					if !bytes.Equal(alone, dst[i]) {
						t.Fatalf("packet %d (%d bytes): batch differs from seal", i, len(inner[i]))
					}
					want := bytes.Clone(dst[i])
					body := want[espHeaderLen+espIVLen : len(want)-12]
					copy(body, inner[i])
					pad := len(body) - len(inner[i]) - 2
					for j := 0; j < pad; j++ {
						body[len(inner[i])+j] = byte(j + 1)
					}
					body[len(body)-2], body[len(body)-1] = byte(pad), nextHeaderIPv4
					cipher.NewCBCEncrypter(block, want[espHeaderLen:espHeaderLen+espIVLen]).CryptBlocks(body, body)
					mac := hmac.New(sha1.New, authKey)
					mac.Write(want[:len(want)-12])
					copy(want[len(want)-12:], mac.Sum(nil))
					if !bytes.Equal(want, dst[i]) {
						t.Fatalf("packet %d (%d bytes): batch differs from crypto/cipher + crypto/hmac", i, len(inner[i]))
					}
				}
			})
		}
	}
}

// TestOpenBatchAgainstCryptoCipher seals packets with crypto/cipher + crypto/hmac alone and
// opens them in batches: every packet gives back its inner packet, a changed byte fails its
// packet's check and no other's, a replayed packet is refused.
func TestOpenBatchAgainstCryptoCipher(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	block, _ := aes.NewCipher(bytes.Repeat([]byte{7}, 16))
	authKey := bytes.Repeat([]byte{9}, SHA1.size())
	reference := func(inner []byte, seq uint32) []byte {
		pt := len(inner) + 2
		pt += (16 - pt%16) % 16
		pkt := make([]byte, espHeaderLen+espIVLen+pt+12)
		pkt[0], pkt[1], pkt[2], pkt[3] = 0, 0, 0x12, 0x34
		pkt[4], pkt[5], pkt[6], pkt[7] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
		fill(rng, pkt[espHeaderLen:espHeaderLen+espIVLen])
		body := pkt[espHeaderLen+espIVLen : len(pkt)-12]
		copy(body, inner)
		for j := 0; j < pt-len(inner)-2; j++ {
			body[len(inner)+j] = byte(j + 1)
		}
		body[len(body)-2], body[len(body)-1] = byte(pt-len(inner)-2), nextHeaderIPv4
		cipher.NewCBCEncrypter(block, pkt[espHeaderLen:espHeaderLen+espIVLen]).CryptBlocks(body, body)
		mac := hmac.New(sha1.New, authKey)
		mac.Write(pkt[:len(pkt)-12])
		copy(pkt[len(pkt)-12:], mac.Sum(nil))
		return pkt
	}
	for _, mixed := range []bool{false, true} {
		for _, n := range batchSizes {
			t.Run(fmt.Sprintf("mixed=%v/%d", mixed, n), func(t *testing.T) {
				_, in := testSAPair(t, SHA1, 16)
				lengths := batchLengths(rng, n, mixed)
				want := make([][]byte, n)
				pkts := make([][]byte, n)
				for i, l := range lengths {
					want[i] = innerPacket(l)
					fill(rng, want[i][20:])
					pkts[i] = reference(want[i], uint32(1+i))
				}
				forged := n / 2
				pkts[forged][espHeaderLen+espIVLen+rng.IntN(len(pkts[forged])-espHeaderLen-espIVLen-12)] ^= 0x80
				sent := make([][]byte, n)
				for i := range pkts {
					sent[i] = bytes.Clone(pkts[i])
				}
				inner, errs := make([][]byte, n), make([]error, n)
				var b batchMAC
				in.openBatch(&b, pkts, inner, errs)
				for i := range pkts {
					if i == forged {
						if !errors.Is(errs[i], errESPAuth) {
							t.Fatalf("packet %d: a changed byte gave %v, want the integrity error", i, errs[i])
						}
						continue
					}
					if errs[i] != nil || !bytes.Equal(inner[i], want[i]) {
						t.Fatalf("packet %d (%d bytes): %v, inner packet equal %v", i, len(want[i]), errs[i], bytes.Equal(inner[i], want[i]))
					}
				}
				in.openBatch(&b, sent, inner, errs)
				for i := range sent {
					if i != forged && !errors.Is(errs[i], errESPReplay) {
						t.Fatalf("packet %d replayed: %v, want the replay error", i, errs[i])
					}
				}
			})
		}
	}
}

// TestBatchNoAllocation checks that sealing and opening a batch allocate nothing (the assembly
// paths; the portable one is crypto/cipher's).
func TestBatchNoAllocation(t *testing.T) {
	if !haveStitch {
		t.Skip("this CPU has no AES-NI + SHA extensions: the portable path makes a crypto/cipher CBC mode per packet")
	}
	out, in := testSAPair(t, SHA1, 16)
	const n = 45
	dst, inner, sealed := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	seqs, lens := make([]uint32, n), make([]int, n)
	opened, errs := make([][]byte, n), make([]error, n)
	for i := range dst {
		inner[i] = innerPacket(1400)
		dst[i] = make([]byte, out.sealedLen(1400))
	}
	var b batchMAC
	allocs := testing.AllocsPerRun(20, func() {
		for i := range seqs {
			seqs[i], _ = out.nextSeq()
		}
		out.sealBatch(&b, dst, inner, seqs, lens)
		for i := range dst {
			sealed[i] = dst[i][:lens[i]]
		}
		in.openBatch(&b, sealed, opened, errs)
	})
	if allocs != 0 {
		t.Errorf("sealing and opening %d packets allocated %v times", n, allocs)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
}

// BenchmarkESPBatch seals and opens 45 packets of 1,400 bytes (a 64 KiB TCP super-packet's
// segments) per operation, side by side and one at a time.
func BenchmarkESPBatch(b *testing.B) {
	const n = 45
	var sealPeer, openPeer benchpeer.Peer // single, the peer of batch
	for _, mode := range []string{"single", "batch"} {
		out, in := testSAPair(b, SHA1, 16)
		dst, inner, sealed := make([][]byte, n), make([][]byte, n), make([][]byte, n)
		seqs, lens := make([]uint32, n), make([]int, n)
		opened, errs := make([][]byte, n), make([]error, n)
		for i := range dst {
			inner[i] = innerPacket(1400)
			dst[i] = make([]byte, out.sealedLen(1400))
		}
		var bm batchMAC
		b.Run("seal/"+mode, func(b *testing.B) {
			b.SetBytes(n * 1400)
			b.ReportAllocs()
			for b.Loop() {
				for i := range seqs {
					seqs[i], _ = out.nextSeq()
				}
				if mode == "batch" {
					out.sealBatch(&bm, dst, inner, seqs, lens)
				} else {
					for i := range dst {
						lens[i] = out.seal(dst[i], inner[i], seqs[i])
					}
				}
			}
			if mode == "batch" {
				sealPeer.Compare(b)
			} else {
				sealPeer.Record(b, "single")
			}
		})
		b.Run("open/"+mode, func(b *testing.B) {
			b.SetBytes(n * 1400)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := range seqs {
					seqs[i], _ = out.nextSeq()
				}
				out.sealBatch(&bm, dst, inner, seqs, lens)
				for i := range dst {
					sealed[i] = dst[i][:lens[i]]
				}
				b.StartTimer()
				if mode == "batch" {
					in.openBatch(&bm, sealed, opened, errs)
				} else {
					for i := range sealed {
						opened[i], errs[i] = in.open(sealed[i])
					}
				}
			}
			if mode == "batch" {
				openPeer.Compare(b)
			} else {
				openPeer.Record(b, "single")
			}
		})
	}
}
