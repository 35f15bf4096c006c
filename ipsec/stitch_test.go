package ipsec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"math/rand/v2"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// TestFastMACAgainstCryptoHMAC checks the assembly HMAC-SHA-1/SHA-256 against crypto/hmac
// for every message length across several blocks and for key lengths around the block size.
func TestFastMACAgainstCryptoHMAC(t *testing.T) {
	if !haveStitch {
		t.Skip("this CPU has no AES-NI + SHA extensions; the portable path is crypto/hmac itself")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		h    Hash
		new  func() hash.Hash
	}{{"sha1", SHA1, sha1.New}, {"sha256", SHA256, sha256.New}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, keyLen := range []int{0, 20, 32, 63, 64, 65, 100} {
				key := make([]byte, keyLen)
				fill(rng, key)
				m := newFastMAC(tc.h, key, 16)
				msg := make([]byte, 300)
				fill(rng, msg)
				for n := 0; n <= len(msg); n++ {
					want := hmac.New(tc.new, key)
					want.Write(msg[:n])
					got := make([]byte, tc.new().Size())
					m.sum(msg[:n], got)
					if !bytes.Equal(got, want.Sum(nil)) {
						t.Fatalf("key %d bytes, message %d bytes: %x, crypto/hmac %x", keyLen, n, got, want.Sum(nil))
					}
				}
			}
		})
	}
}

// TestStitchedAgainstCryptoCipher checks the one-pass encryption + MAC against crypto/cipher's
// CBC followed by crypto/hmac over the ESP layout (8-byte header, 16-byte IV, ciphertext),
// for every AES key size, both hashes and every body length up to a jumbo frame's.
func TestStitchedAgainstCryptoCipher(t *testing.T) {
	if !haveStitch {
		t.Skip("this CPU has no AES-NI + SHA extensions")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	lengths := []int{}
	for n := 16; n <= 1024; n += 16 {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1440, 1456, 4096, 8976, 9184)
	for _, h := range []struct {
		h   Hash
		new func() hash.Hash
		icv int
	}{{SHA1, sha1.New, 12}, {SHA256, sha256.New, 16}} {
		for _, keyLen := range []int{16, 24, 32} {
			t.Run(fmt.Sprintf("%s/aes%d", h.h, 8*keyLen), func(t *testing.T) {
				encKey := make([]byte, keyLen)
				authKey := make([]byte, h.new().Size())
				fill(rng, encKey)
				fill(rng, authKey)
				c, err := newAESCBC(encKey)
				if err != nil {
					t.Fatal(err)
				}
				m := newFastMAC(h.h, authKey, keyLen)
				if !m.stitched {
					t.Fatal("no stitched path for a supported suite")
				}
				block, _ := aes.NewCipher(encKey)
				for _, n := range lengths {
					pkt := make([]byte, espHeaderLen+espIVLen+n+h.icv)
					fill(rng, pkt)
					want := bytes.Clone(pkt)
					body := want[espHeaderLen+espIVLen : len(want)-h.icv]
					cipher.NewCBCEncrypter(block, want[espHeaderLen:espHeaderLen+espIVLen]).CryptBlocks(body, body)
					mac := hmac.New(h.new, authKey)
					mac.Write(want[:len(want)-h.icv])
					copy(want[len(want)-h.icv:], mac.Sum(nil))

					m.sealStitched(c, pkt, n/aes.BlockSize, pkt[len(pkt)-h.icv:])
					if !bytes.Equal(pkt, want) {
						t.Fatalf("body %d bytes: stitched output differs from crypto/cipher + crypto/hmac", n)
					}
				}
			})
		}
	}
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// TestStitchedOpenAgainstCryptoCipher checks the one-pass ICV check + decryption against
// crypto/hmac over the ciphertext and crypto/cipher's CBC decryption, and that a changed byte
// anywhere in the authenticated part fails the check.
func TestStitchedOpenAgainstCryptoCipher(t *testing.T) {
	if !haveStitch {
		t.Skip("this CPU has no AES-NI + SHA extensions")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var lengths []int
	for n := 16; n <= 1024; n += 16 {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1440, 1456, 4096, 9184)
	const icvLen = 12
	for _, keyLen := range []int{16, 24, 32} {
		t.Run(fmt.Sprintf("sha1/aes%d", 8*keyLen), func(t *testing.T) {
			encKey, authKey := make([]byte, keyLen), make([]byte, 20)
			fill(rng, encKey)
			fill(rng, authKey)
			c, _ := newAESCBC(encKey)
			m := newFastMAC(SHA1, authKey, keyLen)
			block, _ := aes.NewCipher(encKey)
			for _, n := range lengths {
				pkt := make([]byte, espHeaderLen+espIVLen+n+icvLen)
				fill(rng, pkt)
				mac := hmac.New(sha1.New, authKey)
				mac.Write(pkt[:len(pkt)-icvLen])
				copy(pkt[len(pkt)-icvLen:], mac.Sum(nil))
				want := bytes.Clone(pkt)
				body := want[espHeaderLen+espIVLen : len(want)-icvLen]
				cipher.NewCBCDecrypter(block, want[espHeaderLen:espHeaderLen+espIVLen]).CryptBlocks(body, body)

				got := bytes.Clone(pkt)
				ok, handled := m.openStitched(c, got, n/aes.BlockSize, got[len(got)-icvLen:])
				if !handled || !ok {
					t.Fatalf("body %d bytes: handled %v, ICV ok %v", n, handled, ok)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("body %d bytes: decryption differs from crypto/cipher", n)
				}
				bad := bytes.Clone(pkt)
				bad[rng.IntN(len(bad)-icvLen)] ^= 0x40
				if ok, _ := m.openStitched(c, bad, n/aes.BlockSize, bad[len(bad)-icvLen:]); ok {
					t.Fatalf("body %d bytes: a changed byte passed the ICV check", n)
				}
			}
		})
	}
}

func BenchmarkMAC(b *testing.B) {
	msg := make([]byte, 1440)
	for _, tc := range []struct {
		name string
		h    Hash
		new  func() hash.Hash
	}{{"sha1", SHA1, sha1.New}, {"sha256", SHA256, sha256.New}} {
		key := make([]byte, tc.new().Size())
		var peer benchpeer.Peer
		b.Run(tc.name+"/crypto", func(b *testing.B) {
			m := hmac.New(tc.new, key)
			var sum [64]byte
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				m.Reset()
				m.Write(msg)
				m.Sum(sum[:0])
			}
			peer.Record(b, "crypto-hmac")
		})
		b.Run(tc.name+"/fast", func(b *testing.B) {
			m := newFastMAC(tc.h, key, 16)
			if m == nil {
				b.Skip("no assembly")
			}
			var icv [32]byte
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				m.sum(msg, icv[:16])
			}
			peer.Compare(b)
		})
	}
}
