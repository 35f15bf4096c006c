//go:build amd64 && !purego

package ipsec

import "golang.org/x/sys/cpu"

//go:generate go run stitch_gen.go

// haveStitch reports whether the stitched AES-CBC + SHA path can run: AES-NI and the SHA
// extensions (with SSE4.1 and SSSE3 for the shuffles).
var haveStitch = haveAESAsm && cpuHasSHA() && cpu.X86.HasSSSE3 && cpu.X86.HasSSE41

// The functions of stitch_amd64.s (written by stitch_gen.go). cbcEnc* encrypt blocks AES
// blocks in place starting 24 bytes into pkt, chained from iv, and meanwhile run the hash
// over nh 64-byte blocks from pkt[0] (state: 5 or 8 words, host order).

func cpuHasSHA() bool

//go:noescape
func sha1Blocks(state *uint32, p *byte, n int)

//go:noescape
func sha256Blocks(state *uint32, p *byte, n int)

//go:noescape
func cbcEncSHA1_128(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcEncSHA1_192(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcEncSHA1_256(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcDecSHA1_128(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcDecSHA1_192(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcDecSHA1_256(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcEncSHA256_128(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcEncSHA256_192(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

//go:noescape
func cbcEncSHA256_256(keys, iv, pkt *byte, blocks int, state *uint32, nh int)

// fastPaths reports which assembly paths exist for a hash and AES key size: the
// compression function (for HMAC) and the stitched encryption.
func fastPaths(h Hash, keyLen int) (compress, stitched bool) {
	if !haveStitch || (h != SHA1 && h != SHA256) {
		return false, false
	}
	return true, keyLen == 16 || keyLen == 24 || keyLen == 32
}

func compressBlocks(h Hash, state *uint32, p *byte, n int) {
	if h == SHA1 {
		sha1Blocks(state, p, n)
	} else {
		sha256Blocks(state, p, n)
	}
}

// decStitched hashes and decrypts in one pass (SHA-1 only; others report false).
func decStitched(h Hash, rounds int, keys, iv, pkt *byte, blocks int, state *uint32, nh int) bool {
	switch {
	case h == SHA1 && rounds == 10:
		cbcDecSHA1_128(keys, iv, pkt, blocks, state, nh)
	case h == SHA1 && rounds == 12:
		cbcDecSHA1_192(keys, iv, pkt, blocks, state, nh)
	case h == SHA1 && rounds == 14:
		cbcDecSHA1_256(keys, iv, pkt, blocks, state, nh)
	default:
		return false
	}
	return true
}

func encStitched(h Hash, rounds int, keys, iv, pkt *byte, blocks int, state *uint32, nh int) {
	switch {
	case h == SHA1 && rounds == 10:
		cbcEncSHA1_128(keys, iv, pkt, blocks, state, nh)
	case h == SHA1 && rounds == 12:
		cbcEncSHA1_192(keys, iv, pkt, blocks, state, nh)
	case h == SHA1 && rounds == 14:
		cbcEncSHA1_256(keys, iv, pkt, blocks, state, nh)
	case h == SHA256 && rounds == 10:
		cbcEncSHA256_128(keys, iv, pkt, blocks, state, nh)
	case h == SHA256 && rounds == 12:
		cbcEncSHA256_192(keys, iv, pkt, blocks, state, nh)
	case h == SHA256 && rounds == 14:
		cbcEncSHA256_256(keys, iv, pkt, blocks, state, nh)
	default:
		panic("ipsec: no stitched encryption for this suite")
	}
}

// sha1x16Blocks runs the SHA-1 compression over n 64-byte blocks of sixteen messages, one per
// lane: message i starts at base+offs[i], and word w of lane i's state is state[16*w+i].
// It needs AVX-512 (haveSHA1x16).
//
//go:noescape
func sha1x16Blocks(state *uint32, base *byte, offs *int32, n int)

// cbcEnc16x128 encrypts sixteen messages of blocks AES blocks each in place with AES-128-CBC:
// lane i's message starts at addrs[2i] (addrs[2i+1] = addrs[2i]+8) and its IV is the 16 bytes
// before. It needs AVX-512 and VAES (haveAES16).
//
//go:noescape
func cbcEnc16x128(keys *byte, addrs *uint64, blocks int)

// haveAES16 reports whether cbcEnc16x128 can run (DQ for the 8-bit mask instructions).
var haveAES16 = haveAESAsm && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VAES

// haveSHA1x16 reports whether sha1x16Blocks can run: AVX-512 F (with the OS saving its
// registers, which HasAVX512F includes) and BW for the byte shuffle.
var haveSHA1x16 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
