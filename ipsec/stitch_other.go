//go:build !amd64 || purego

package ipsec

const haveStitch = false

func fastPaths(h Hash, keyLen int) (compress, stitched bool) { return false, false }

func compressBlocks(h Hash, state *uint32, p *byte, n int) { panic("ipsec: no SHA assembly") }

func encStitched(h Hash, rounds int, keys, iv, pkt *byte, blocks int, state *uint32, nh int) {
	panic("ipsec: no stitched encryption")
}

func decStitched(h Hash, rounds int, keys, iv, pkt *byte, blocks int, state *uint32, nh int) bool {
	return false
}

const haveSHA1x16 = false

func sha1x16Blocks(state *uint32, base *byte, offs *int32, n int) { panic("ipsec: no SHA assembly") }

const haveAES16 = false

func cbcEnc16x128(keys *byte, addrs *uint64, blocks int) { panic("ipsec: no AES assembly") }
