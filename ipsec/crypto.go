package ipsec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
)

// Hash is an IKE hash algorithm (RFC 2409 Appendix A, RFC 4868); in IKEv1 it also selects the
// PRF (HMAC of the hash) and the ESP integrity algorithm of the same name.
type Hash uint8

// The hash algorithms, by their IKEv1 phase 1 attribute values.
const (
	SHA1   Hash = 2
	SHA256 Hash = 4
	SHA384 Hash = 5
	SHA512 Hash = 6
)

// String is the strongSwan name of the hash (sha1, sha256, …).
func (h Hash) String() string {
	switch h {
	case SHA1:
		return "sha1"
	case SHA256:
		return "sha256"
	case SHA384:
		return "sha384"
	case SHA512:
		return "sha512"
	}
	return fmt.Sprintf("hash%d", uint8(h))
}

func (h Hash) new() func() hash.Hash {
	switch h {
	case SHA1:
		return sha1.New
	case SHA256:
		return sha256.New
	case SHA384:
		return sha512.New384
	case SHA512:
		return sha512.New
	}
	return nil
}

// size is the digest size in bytes.
func (h Hash) size() int {
	switch h {
	case SHA1:
		return 20
	case SHA256:
		return 32
	case SHA384:
		return 48
	case SHA512:
		return 64
	}
	return 0
}

// espAuthID is the IPsec DOI authentication algorithm (RFC 2407 §4.5, RFC 4868 §2.4).
func (h Hash) espAuthID() uint64 {
	switch h {
	case SHA1:
		return 2 // HMAC-SHA
	case SHA256:
		return 5
	case SHA384:
		return 6
	case SHA512:
		return 7
	}
	return 0
}

func hashFromESPAuth(v uint64) Hash {
	switch v {
	case 2:
		return SHA1
	case 5:
		return SHA256
	case 6:
		return SHA384
	case 7:
		return SHA512
	}
	return 0
}

// icvLen is the truncated ESP ICV length: 96 bits for HMAC-SHA-1 (RFC 2404), half the digest
// for the SHA-2 family (RFC 4868).
func (h Hash) icvLen() int {
	if h == SHA1 {
		return 12
	}
	return h.size() / 2
}

// prf is HMAC with the negotiated hash (RFC 2409 §4: no PRF attribute means HMAC).
func prf(h Hash, key []byte, data ...[]byte) []byte {
	m := hmac.New(h.new(), key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

func digest(h Hash, data ...[]byte) []byte {
	d := h.new()()
	for _, x := range data {
		d.Write(x)
	}
	return d.Sum(nil)
}

// Group is a Diffie-Hellman group by its IANA number.
type Group uint16

// The supported groups: MODP (RFC 2409 §6.2, RFC 3526) and ECP (RFC 5903).
const (
	NoPFS    Group = 0 // in an ESP proposal: no perfect forward secrecy
	MODP1024 Group = 2
	MODP1536 Group = 5
	MODP2048 Group = 14
	ECP256   Group = 19
	ECP384   Group = 20
)

// String is the strongSwan name of the group (modp2048, ecp256, …).
func (g Group) String() string {
	switch g {
	case MODP1024:
		return "modp1024"
	case MODP1536:
		return "modp1536"
	case MODP2048:
		return "modp2048"
	case ECP256:
		return "ecp256"
	case ECP384:
		return "ecp384"
	case NoPFS:
		return "nopfs"
	}
	return fmt.Sprintf("group%d", uint16(g))
}

// The MODP primes; generator 2. Each is 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k);
// TestMODPPrimes recomputes them from pi.
var (
	modp1024 = mustHex("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF")
	modp1536 = mustHex("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF")
	modp2048 = mustHex("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF")
)

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("ipsec: bad constant")
	}
	return n
}

func (g Group) prime() *big.Int {
	switch g {
	case MODP1024:
		return modp1024
	case MODP1536:
		return modp1536
	case MODP2048:
		return modp2048
	}
	return nil
}

func (g Group) curve() ecdh.Curve {
	switch g {
	case ECP256:
		return ecdh.P256()
	case ECP384:
		return ecdh.P384()
	}
	return nil
}

func (g Group) supported() bool { return g.prime() != nil || g.curve() != nil }

// dhKey is one side's ephemeral Diffie-Hellman key.
type dhKey struct {
	group  Group
	x      *big.Int // MODP private exponent
	ec     *ecdh.PrivateKey
	public []byte // the KE payload data
}

// exponentBits is the size of MODP private exponents: more than twice the strength of the
// largest group (RFC 3526 §8 asks for at least 2x the symmetric strength).
const exponentBits = 384

func newDHKey(g Group) (*dhKey, error) {
	if c := g.curve(); c != nil {
		k, err := c.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return &dhKey{group: g, ec: k, public: k.PublicKey().Bytes()[1:]}, nil // x|y without 0x04
	}
	p := g.prime()
	if p == nil {
		return nil, fmt.Errorf("ipsec: unsupported DH group %d", g)
	}
	b := make([]byte, exponentBits/8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	x := new(big.Int).SetBytes(b)
	x.SetBit(x, exponentBits-1, 1)
	y := new(big.Int).Exp(big.NewInt(2), x, p)
	return &dhKey{group: g, x: x, public: y.FillBytes(make([]byte, (p.BitLen()+7)/8))}, nil
}

var errBadPublic = errors.New("ipsec: invalid Diffie-Hellman public value")

// shared computes g^xy from the peer's KE data, padded to the group size (RFC 2409 §5).
func (k *dhKey) shared(peer []byte) ([]byte, error) {
	if c := k.group.curve(); c != nil {
		pub, err := c.NewPublicKey(append([]byte{4}, peer...))
		if err != nil {
			return nil, errBadPublic
		}
		return k.ec.ECDH(pub)
	}
	p := k.group.prime()
	size := (p.BitLen() + 7) / 8
	if len(peer) != size {
		return nil, fmt.Errorf("%w: %d bytes for %s", errBadPublic, len(peer), k.group)
	}
	y := new(big.Int).SetBytes(peer)
	pm1 := new(big.Int).Sub(p, big.NewInt(1))
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pm1) >= 0 {
		return nil, errBadPublic
	}
	z := new(big.Int).Exp(y, k.x, p)
	return z.FillBytes(make([]byte, size)), nil
}

// phase1Keys are the keys of an ISAKMP SA (RFC 2409 §5).
type phase1Keys struct {
	skeyid, d, a, e []byte
	enc             []byte // the cipher key, expanded from SKEYID_e
}

// derivePhase1 computes SKEYID (pre-shared key method) and its derivatives.
func derivePhase1(h Hash, psk, ni, nr, gxy []byte, ci, cr [8]byte, keyLen int) phase1Keys {
	var k phase1Keys
	k.skeyid = prf(h, psk, ni, nr)
	k.d = prf(h, k.skeyid, gxy, ci[:], cr[:], []byte{0})
	k.a = prf(h, k.skeyid, k.d, gxy, ci[:], cr[:], []byte{1})
	k.e = prf(h, k.skeyid, k.a, gxy, ci[:], cr[:], []byte{2})
	k.enc = expandKey(h, k.e, keyLen)
	return k
}

// expandKey stretches SKEYID_e when the PRF output is shorter than the key (RFC 2409
// Appendix B): Ka = K1 | K2 | …, K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1).
func expandKey(h Hash, e []byte, n int) []byte {
	if len(e) >= n {
		return append([]byte(nil), e[:n]...)
	}
	var out []byte
	k := prf(h, e, []byte{0})
	for {
		out = append(out, k...)
		if len(out) >= n {
			return out[:n]
		}
		k = prf(h, e, k)
	}
}

// keymat derives Quick Mode key material for one SA (RFC 2409 §5.5), expanded to n bytes.
func keymat(h Hash, skeyidD, gxy []byte, proto uint8, spi, ni, nr []byte, n int) []byte {
	var out, k []byte
	for len(out) < n {
		if k == nil {
			k = prf(h, skeyidD, gxy, []byte{proto}, spi, ni, nr)
		} else {
			k = prf(h, skeyidD, k, gxy, []byte{proto}, spi, ni, nr)
		}
		out = append(out, k...)
	}
	return out[:n]
}

// phase2IV is the first IV of a Quick Mode or informational exchange (RFC 2409 Appendix B):
// hash(last phase 1 CBC block | M-ID), truncated to the block size.
func phase2IV(h Hash, lastBlock []byte, msgID uint32) []byte {
	var m [4]byte
	binary.BigEndian.PutUint32(m[:], msgID)
	return digest(h, lastBlock, m[:])[:aes.BlockSize]
}

// cbcEncrypt pads plain with zeros to the block size and encrypts it in place of a copy; it
// returns the ciphertext, whose last block is the next IV.
func cbcEncrypt(block cipher.Block, iv, plain []byte) []byte {
	n := len(plain)
	if r := n % aes.BlockSize; r != 0 {
		n += aes.BlockSize - r
	}
	out := make([]byte, n)
	copy(out, plain)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
	return out
}

func cbcDecrypt(block cipher.Block, iv, ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", errMalformed, len(ct))
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ct)
	return out, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("ipsec: no randomness: " + err.Error())
	}
	return b
}

func randomUint32() uint32 {
	for {
		v := binary.BigEndian.Uint32(randomBytes(4))
		if v != 0 {
			return v
		}
	}
}
