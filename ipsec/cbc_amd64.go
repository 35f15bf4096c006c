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
