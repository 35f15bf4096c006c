package ipsec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// TestAESCBCMatchesStandardLibrary compares the CBC implementation with crypto/cipher for
// every key size and lengths from 0 to 40 blocks (decrypt and decryptPrefixed, which takes
// the sixteen-block VAES path where the CPU has it), and checks the FIPS 197 Appendix C vectors.
func TestAESCBCMatchesStandardLibrary(t *testing.T) {
	for _, keyLen := range []int{16, 24, 32} {
		key := make([]byte, keyLen)
		rand.Read(key)
		c, err := newAESCBC(key)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := aes.NewCipher(key)
		for blocks := 0; blocks <= 40; blocks++ {
			iv := make([]byte, 16)
			rand.Read(iv)
			plain := make([]byte, 16*blocks)
			rand.Read(plain)
			want := make([]byte, len(plain))
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, plain)
			got := append([]byte(nil), plain...)
			c.encrypt(iv, got)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, %d blocks: encryption differs", c, blocks)
			}
			prefixed := append(append([]byte(nil), iv...), got...)
			c.decrypt(iv, got)
			if !bytes.Equal(got, plain) {
				t.Fatalf("%s, %d blocks: decryption differs", c, blocks)
			}
			c.decryptPrefixed(prefixed)
			if !bytes.Equal(prefixed[16:], plain) || !bytes.Equal(prefixed[:16], iv) {
				t.Fatalf("%s, %d blocks: decryption after the IV (VAES: %v) differs", c, blocks, haveAES16)
			}
		}
	}
	for _, v := range []struct{ key, out string }{
		{"000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"},
		{"000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191"},
		{"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "8ea2b7ca516745bfeafc49904b496089"},
	} {
		key, _ := hex.DecodeString(v.key)
		c, _ := newAESCBC(key)
		buf, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
		c.encrypt(make([]byte, 16), buf) // CBC with a zero IV on one block is the cipher itself
		if hex.EncodeToString(buf) != v.out {
			t.Errorf("FIPS 197 vector for %d-bit key: %x", len(key)*8, buf)
		}
	}
}

func BenchmarkAESCBC(b *testing.B) {
	key, iv := make([]byte, 16), make([]byte, 16)
	c, _ := newAESCBC(key)
	std, _ := aes.NewCipher(key)
	buf := make([]byte, 1408)
	var encPeer, decPeer benchpeer.Peer // crypto/cipher's CBC over crypto/aes
	b.Run("stdlib-encrypt", func(b *testing.B) {
		b.SetBytes(1408)
		for b.Loop() {
			cipher.NewCBCEncrypter(std, iv).CryptBlocks(buf, buf)
		}
		encPeer.Record(b, "stdlib")
	})
	b.Run("encrypt", func(b *testing.B) {
		b.SetBytes(1408)
		for b.Loop() {
			c.encrypt(iv, buf)
		}
		encPeer.Compare(b)
	})
	b.Run("stdlib-decrypt", func(b *testing.B) {
		b.SetBytes(1408)
		for b.Loop() {
			cipher.NewCBCDecrypter(std, iv).CryptBlocks(buf, buf)
		}
		decPeer.Record(b, "stdlib")
	})
	b.Run("decrypt", func(b *testing.B) {
		b.SetBytes(1408)
		for b.Loop() {
			c.decrypt(iv, buf)
		}
		decPeer.Compare(b)
	})
	b.Run("decrypt-prefixed", func(b *testing.B) { // the ESP layout; VAES where the CPU has it
		pkt := make([]byte, 16+1408)
		b.SetBytes(1408)
		for b.Loop() {
			c.decryptPrefixed(pkt)
		}
		decPeer.Compare(b)
	})
}
