package ipsec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// aesCBC is AES in CBC mode for ESP (RFC 3602). Where the CPU has AES instructions it runs
// assembly that keeps the round keys in registers and, when decrypting, works on four blocks
// at once (CBC decryption is parallel); the standard library's CBC calls its block function
// once per 16 bytes. Elsewhere it is crypto/cipher's CBC.
type aesCBC struct {
	rounds int
	enc    [240]byte // encryption round keys
	dec    [240]byte // decryption round keys (equivalent inverse cipher)
	block  cipher.Block
}

func newAESCBC(key []byte) (*aesCBC, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	c := &aesCBC{block: block, rounds: len(key)/4 + 6}
	if haveAESAsm {
		c.expand(key)
	}
	return c, nil
}

// encrypt encrypts buf (a multiple of 16 bytes) in place with iv.
func (c *aesCBC) encrypt(iv, buf []byte) {
	if len(buf)%aes.BlockSize != 0 || len(iv) != aes.BlockSize {
		panic("ipsec: CBC on a partial block")
	}
	if haveAESAsm {
		if len(buf) > 0 {
			cbcEncryptAsm(c.rounds, &c.enc[0], &iv[0], &buf[0], len(buf)/aes.BlockSize)
		}
		return
	}
	cipher.NewCBCEncrypter(c.block, iv).CryptBlocks(buf, buf)
}

// decryptPrefixed decrypts buf[16:] in place with the IV buf[:16] (the ESP layout: the IV
// just before the body). Where the CPU has VAES it decrypts sixteen blocks at a time
// (cbcDecVAES), which needs the IV in front.
func (c *aesCBC) decryptPrefixed(buf []byte) {
	if len(buf) < aes.BlockSize || len(buf)%aes.BlockSize != 0 {
		panic("ipsec: CBC on a partial block")
	}
	if haveAES16 && len(buf) > aes.BlockSize {
		cbcDecVAES(c.rounds, &c.dec[0], &buf[aes.BlockSize], len(buf)/aes.BlockSize-1)
		return
	}
	c.decrypt(buf[:aes.BlockSize], buf[aes.BlockSize:])
}

// decrypt decrypts buf in place with iv; iv must not overlap buf.
func (c *aesCBC) decrypt(iv, buf []byte) {
	if len(buf)%aes.BlockSize != 0 || len(iv) != aes.BlockSize {
		panic("ipsec: CBC on a partial block")
	}
	if haveAESAsm {
		if len(buf) > 0 {
			cbcDecryptAsm(c.rounds, &c.dec[0], &iv[0], &buf[0], len(buf)/aes.BlockSize)
		}
		return
	}
	cipher.NewCBCDecrypter(c.block, iv).CryptBlocks(buf, buf)
}

// sbox is the AES S-box, computed from its definition (FIPS 197 §5.1.1): the multiplicative
// inverse in GF(2^8) followed by the affine transformation.
var sbox = func() (s [256]byte) {
	mul := func(a, b byte) byte {
		var p byte
		for b != 0 {
			if b&1 != 0 {
				p ^= a
			}
			hi := a & 0x80
			a <<= 1
			if hi != 0 {
				a ^= 0x1b
			}
			b >>= 1
		}
		return p
	}
	for x := 0; x < 256; x++ {
		inv := byte(0)
		if x != 0 {
			inv = 1
			for i := 0; i < 254; i++ {
				inv = mul(inv, byte(x))
			}
		}
		rot := func(v byte, n uint) byte { return v<<n | v>>(8-n) }
		s[x] = inv ^ rot(inv, 1) ^ rot(inv, 2) ^ rot(inv, 3) ^ rot(inv, 4) ^ 0x63
	}
	return s
}()

// expand computes the round keys (FIPS 197 §5.2) and the decryption keys of the equivalent
// inverse cipher (§5.3.5: InvMixColumns of the middle round keys, in reverse order).
func (c *aesCBC) expand(key []byte) {
	nk := len(key) / 4
	w := make([]uint32, 4*(c.rounds+1))
	for i := 0; i < nk; i++ {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	sub := func(v uint32) uint32 {
		return uint32(sbox[v>>24])<<24 | uint32(sbox[v>>16&0xff])<<16 | uint32(sbox[v>>8&0xff])<<8 | uint32(sbox[v&0xff])
	}
	rcon := uint32(1)
	for i := nk; i < len(w); i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = sub(t<<8|t>>24) ^ rcon<<24
			rcon <<= 1
			if rcon&0x100 != 0 {
				rcon ^= 0x11b
			}
		case nk > 6 && i%nk == 4:
			t = sub(t)
		}
		w[i] = w[i-nk] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(c.enc[4*i:], v)
	}
	n := c.rounds
	copy(c.dec[0:16], c.enc[16*n:16*n+16])
	for r := 1; r < n; r++ {
		aesInvMixColumns(&c.dec[16*r], &c.enc[16*(n-r)])
	}
	copy(c.dec[16*n:16*n+16], c.enc[0:16])
}

func (c *aesCBC) String() string {
	return fmt.Sprintf("aes-cbc(%d rounds, asm=%v)", c.rounds, haveAESAsm)
}
