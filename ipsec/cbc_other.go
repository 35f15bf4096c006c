//go:build !amd64 || purego

package ipsec

const haveAESAsm = false

func cbcEncryptAsm(rounds int, keys *byte, iv *byte, buf *byte, blocks int) {
	panic("ipsec: no AES assembly")
}

func cbcDecryptAsm(rounds int, keys *byte, iv *byte, buf *byte, blocks int) {
	panic("ipsec: no AES assembly")
}

func aesInvMixColumns(dst, src *byte) { panic("ipsec: no AES assembly") }

func cbcDecVAES(rounds int, keys *byte, buf *byte, blocks int) { panic("ipsec: no AES assembly") }
