//go:build amd64 && !purego

package ipsec

import "golang.org/x/sys/cpu"

var haveAESAsm = cpu.X86.HasAES && cpu.X86.HasSSE41

//go:noescape
func cbcEncryptAsm(rounds int, keys *byte, iv *byte, buf *byte, blocks int)

//go:noescape
func cbcDecryptAsm(rounds int, keys *byte, iv *byte, buf *byte, blocks int)

//go:noescape
func aesInvMixColumns(dst, src *byte)

// cbcDecVAES decrypts blocks AES-CBC blocks in place at buf with the decryption round keys;
// the IV is the 16 bytes before buf (the ESP layout). Sixteen blocks at a time in ZMM
// registers: it needs AVX-512 and VAES (haveAES16).
//
//go:noescape
func cbcDecVAES(rounds int, keys *byte, buf *byte, blocks int)
