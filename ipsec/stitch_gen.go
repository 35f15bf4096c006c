//go:build ignore

// stitch_gen writes stitch_amd64.s: AES-CBC encryption stitched with SHA-1 and SHA-256 (the
// ESP seal path in one pass over the packet) and the plain compression functions the HMAC
// around them needs. Run it with go generate (see stitch_amd64.go).
//
// CBC encryption is one long dependency chain (each block needs the previous ciphertext), so a
// core waits on AESENC latency most of the time; the SHA extension instructions are another
// chain on other execution ports. Emitting the two chains interleaved lets the core work on
// both at once: the hash of a packet costs little more than its encryption.
package main

import (
	"bytes"
	"fmt"
	"math/bits"
	"os"
	"strings"
)

type asm struct{ b bytes.Buffer }

func (a *asm) p(format string, args ...any) { fmt.Fprintf(&a.b, "\t"+format+"\n", args...) }
func (a *asm) label(l string)               { fmt.Fprintf(&a.b, "%s:\n", l) }
func (a *asm) raw(s string)                 { a.b.WriteString(s) }

// aesSteps is the CBC encryption of four blocks at DI as a list of dependent steps. The chain
// value is in chain, key 0 in X12, the last key in X13, keys 1 and 2 in k1/k2 (registers),
// the others are read from (AX) through tmp.
func aesSteps(rounds int, chain, tmp, k1, k2 string) [][]string {
	var steps [][]string
	for b := 0; b < 4; b++ {
		off := 16 * b
		steps = append(steps, []string{
			fmt.Sprintf("MOVOU %d(DI), %s", off, tmp),
			fmt.Sprintf("PXOR %s, %s", tmp, chain),
			fmt.Sprintf("PXOR X12, %s", chain),
		})
		for r := 1; r < rounds; r++ {
			key := fmt.Sprintf("%d(AX)", 16*r)
			switch r {
			case 1:
				key = k1
			case 2:
				key = k2
			}
			if strings.HasPrefix(key, "X") {
				steps = append(steps, []string{fmt.Sprintf("AESENC %s, %s", key, chain)})
			} else {
				// SSE memory operands must be aligned; the plaintext register is free here.
				steps = append(steps, []string{fmt.Sprintf("MOVOU %s, %s", key, tmp), fmt.Sprintf("AESENC %s, %s", tmp, chain)})
			}
		}
		steps = append(steps, []string{
			fmt.Sprintf("AESENCLAST X13, %s", chain),
			fmt.Sprintf("MOVOU %s, %d(DI)", chain, off),
		})
	}
	return steps
}

// aesOne encrypts one block at DI (no interleaving).
func aesOne(a *asm, rounds int, chain, tmp, k1, k2 string) {
	all := aesSteps(rounds, chain, tmp, k1, k2)
	for _, s := range all[:rounds+1] {
		for _, l := range s {
			a.p("%s", l)
		}
	}
}

// interleave emits the hash groups with the AES steps spread evenly between them.
func interleave(a *asm, groups [][]string, steps [][]string) {
	done := 0
	for g, grp := range groups {
		for _, l := range grp {
			a.p("%s", l)
		}
		if steps == nil {
			continue
		}
		upto := len(steps) * (g + 1) / len(groups)
		for ; done < upto; done++ {
			for _, l := range steps[done] {
				a.p("%s", l)
			}
		}
	}
}

// SHA-1 registers: ABCD X2, E0 X3, E1 X4, MSG0-3 X5-X8, byte-flip mask X9, saved ABCD X10,
// saved E X11. The message block is at SI.
var sha1Msg = [4]string{"X5", "X6", "X7", "X8"}

func sha1Groups() [][]string {
	var gs [][]string
	for r := 0; r < 20; r++ {
		var g []string
		m := sha1Msg[r%4]
		if r == 0 {
			g = append(g, "MOVO X2, X10", "MOVO X3, X11")
		}
		if r < 4 {
			g = append(g, fmt.Sprintf("MOVOU %d(SI), %s", 16*r, m), fmt.Sprintf("PSHUFB X9, %s", m))
		}
		if r == 0 {
			g = append(g, "PADDD X5, X3", "MOVO X2, X4", "SHA1RNDS4 $0, X3, X2")
			gs = append(gs, g)
			continue
		}
		cur, next := "X3", "X4"
		if r%2 == 1 {
			cur, next = "X4", "X3"
		}
		g = append(g, fmt.Sprintf("SHA1NEXTE %s, %s", m, cur), fmt.Sprintf("MOVO X2, %s", next))
		if r >= 3 && r <= 18 {
			g = append(g, fmt.Sprintf("SHA1MSG2 %s, %s", m, sha1Msg[(r+1)%4]))
		}
		g = append(g, fmt.Sprintf("SHA1RNDS4 $%d, %s, X2", r/5, cur))
		if r >= 1 && r <= 16 {
			g = append(g, fmt.Sprintf("SHA1MSG1 %s, %s", m, sha1Msg[(r+3)%4]))
		}
		if r >= 2 && r <= 17 {
			g = append(g, fmt.Sprintf("PXOR %s, %s", m, sha1Msg[(r+2)%4]))
		}
		if r == 19 {
			g = append(g, "SHA1NEXTE X11, X3", "PADDD X10, X2")
		}
		gs = append(gs, g)
	}
	return gs
}

func sha1Load(a *asm) {
	a.p("MOVOU (R8), X2")
	a.p("PSHUFD $0x1b, X2, X2")
	a.p("MOVL 16(R8), R9")
	a.p("PXOR X3, X3")
	a.p("PINSRD $3, R9, X3")
	a.p("MOVOU sha1Flip<>(SB), X9")
}

func sha1Store(a *asm) {
	a.p("PSHUFD $0x1b, X2, X2")
	a.p("MOVOU X2, (R8)")
	a.p("PEXTRD $3, X3, R9")
	a.p("MOVL R9, 16(R8)")
}

// sha1x16 writes func sha1x16Blocks(state *uint32, base *byte, offs *int32, n int): SHA-1
// over n 64-byte blocks of sixteen messages at once, one message per 32-bit lane of the AVX-512
// registers (the SHA extensions compress one block at a time at a fixed rate; sixteen lanes of
// plain rotates, adds and three-input logic go several times faster per byte). Message i
// starts at base+offs[i]; its words are gathered into the lanes. The state is word-major:
// word w of lane i at state[16*w+i]. Registers: state Z0-Z4, saved state Z5-Z9, message
// schedule Z10-Z25 (a ring of sixteen), round constant Z26, scratch Z27/Z28, byte-flip mask
// Z29, gather offsets Z31.
func sha1x16(a *asm) {
	a.raw("\n// func sha1x16Blocks(state *uint32, base *byte, offs *int32, n int)\n")
	a.raw("TEXT ·sha1x16Blocks(SB), NOSPLIT, $0-32\n")
	a.p("MOVQ state+0(FP), R8")
	a.p("MOVQ base+8(FP), SI")
	a.p("MOVQ offs+16(FP), DX")
	a.p("MOVQ n+24(FP), CX")
	for i := 0; i < 5; i++ {
		a.p("VMOVDQU32 %d(R8), Z%d", 64*i, i)
	}
	a.p("VMOVDQU32 (DX), Z31")
	a.p("VMOVDQU32 sha1x16Flip<>(SB), Z29")
	a.label("sha1x16loop")
	a.p("TESTQ CX, CX")
	a.p("JZ sha1x16done")
	for i := 0; i < 5; i++ {
		a.p("VMOVDQA32 Z%d, Z%d", i, i+5)
	}
	w := func(t int) string { return fmt.Sprintf("Z%d", 10+t%16) }
	for t := 0; t < 16; t++ {
		a.p("KXNORW K0, K0, K1")
		a.p("VPGATHERDD %d(SI)(Z31*1), K1, %s", 4*t, w(t))
		a.p("VPSHUFB Z29, %s, %s", w(t), w(t))
	}
	st := []string{"Z0", "Z1", "Z2", "Z3", "Z4"}
	ks := []uint32{0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6}
	fs := []int{0xca, 0x96, 0xe8, 0x96} // Ch, parity, Maj, parity as VPTERNLOGD tables
	for t := 0; t < 80; t++ {
		A, B, C, D, E := st[0], st[1], st[2], st[3], st[4]
		if t >= 16 {
			a.p("VPTERNLOGD $0x96, %s, %s, %s", w(t-8), w(t-3), w(t))
			a.p("VPXORD %s, %s, %s", w(t-14), w(t), w(t))
			a.p("VPROLD $1, %s, %s", w(t), w(t))
		}
		if t%20 == 0 {
			a.p("MOVL $0x%08x, R9", ks[t/20])
			a.p("VPBROADCASTD R9, Z26")
		}
		a.p("VMOVDQA32 %s, Z27", B)
		a.p("VPTERNLOGD $0x%02x, %s, %s, Z27", fs[t/20], D, C)
		a.p("VPADDD %s, %s, %s", w(t), E, E)
		a.p("VPADDD Z26, %s, %s", E, E)
		a.p("VPADDD Z27, %s, %s", E, E)
		a.p("VPROLD $5, %s, Z28", A)
		a.p("VPADDD Z28, %s, %s", E, E)
		a.p("VPROLD $30, %s, %s", B, B)
		st = []string{E, A, B, C, D}
	}
	for i := 0; i < 5; i++ {
		a.p("VPADDD Z%d, Z%d, Z%d", i+5, i, i)
	}
	a.p("MOVL $64, R9")
	a.p("VPBROADCASTD R9, Z28")
	a.p("VPADDD Z28, Z31, Z31")
	a.p("DECQ CX")
	a.p("JMP sha1x16loop")
	a.label("sha1x16done")
	for i := 0; i < 5; i++ {
		a.p("VMOVDQU32 Z%d, %d(R8)", i, 64*i)
	}
	a.p("VZEROUPPER")
	a.p("RET")
}

// cbcEnc16 writes func cbcEnc16x128(keys *byte, addrs *uint64, blocks int): AES-128-CBC
// encryption in place of sixteen messages of the same length at once, four per ZMM register
// (VAES). Each message's chain is one long dependency, so one message at a time keeps the AES
// unit waiting; sixteen side by side keep it busy. addrs holds, per lane, the address of the
// message's first block and that address + 8 (the two quadwords a block is gathered and
// scattered as); the IV is the 16 bytes before it (the ESP layout). Registers: chains Z0-Z3,
// addresses Z4-Z7, round keys Z8-Z18, the step 16 in Z19, plaintext Z20-Z23.
func cbcEnc16(a *asm) {
	a.raw("\n// func cbcEnc16x128(keys *byte, addrs *uint64, blocks int)\n")
	a.raw("TEXT ·cbcEnc16x128(SB), NOSPLIT, $0-24\n")
	a.p("MOVQ keys+0(FP), AX")
	a.p("MOVQ addrs+8(FP), BX")
	a.p("MOVQ blocks+16(FP), DX")
	a.p("XORQ R9, R9")
	for r := 0; r <= 10; r++ {
		a.p("VBROADCASTI32X4 %d(AX), Z%d", 16*r, 8+r)
	}
	for c := 0; c < 4; c++ {
		a.p("VMOVDQU64 %d(BX), Z%d", 64*c, 4+c)
		a.p("KXNORB K0, K0, K1")
		a.p("VPGATHERQQ -16(R9)(Z%d*1), K1, Z%d", 4+c, c)
	}
	a.p("MOVQ $16, R10")
	a.p("VPBROADCASTQ R10, Z19")
	a.label("cbc16loop")
	a.p("TESTQ DX, DX")
	a.p("JZ cbc16done")
	for c := 0; c < 4; c++ {
		a.p("KXNORB K0, K0, K1")
		a.p("VPGATHERQQ (R9)(Z%d*1), K1, Z%d", 4+c, 20+c)
	}
	for c := 0; c < 4; c++ {
		a.p("VPTERNLOGQ $0x96, Z8, Z%d, Z%d", 20+c, c) // chain ^= plaintext ^ key 0
	}
	for r := 1; r < 10; r++ {
		for c := 0; c < 4; c++ {
			a.p("VAESENC Z%d, Z%d, Z%d", 8+r, c, c)
		}
	}
	for c := 0; c < 4; c++ {
		a.p("VAESENCLAST Z18, Z%d, Z%d", c, c)
	}
	for c := 0; c < 4; c++ {
		a.p("KXNORB K0, K0, K1")
		a.p("VPSCATTERQQ Z%d, K1, (R9)(Z%d*1)", c, 4+c)
		a.p("VPADDQ Z19, Z%d, Z%d", 4+c, 4+c)
	}
	a.p("DECQ DX")
	a.p("JMP cbc16loop")
	a.label("cbc16done")
	a.p("VZEROUPPER")
	a.p("RET")
}

// SHA-256 registers: SHA256RNDS2 reads W+K from X0 implicitly, so X0 is the scratch for it.
// STATE0 X1 (ABEF), STATE1 X2 (CDGH), MSG0-3 X3-X6, temp X7, byte-flip mask X8, saved X9/X10.
// The AES chain lives in X11, its plaintext in X14, key 1 in X15, key 2 from memory.
var sha256Msg = [4]string{"X3", "X4", "X5", "X6"}

func sha256Groups() [][]string {
	var gs [][]string
	for r := 0; r < 16; r++ {
		var g []string
		m := sha256Msg[r%4]
		if r == 0 {
			g = append(g, "MOVO X1, X9", "MOVO X2, X10")
		}
		if r < 4 {
			g = append(g, fmt.Sprintf("MOVOU %d(SI), %s", 16*r, m), fmt.Sprintf("PSHUFB X8, %s", m))
		}
		g = append(g,
			fmt.Sprintf("MOVOU sha256K<>+%d(SB), X0", 16*r),
			fmt.Sprintf("PADDD %s, X0", m),
			"SHA256RNDS2 X0, X1, X2")
		// The next-but-one message words: W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
		if r >= 3 && r <= 14 {
			nx := sha256Msg[(r+1)%4]
			g = append(g,
				fmt.Sprintf("MOVO %s, X7", m),
				fmt.Sprintf("PALIGNR $4, %s, X7", sha256Msg[(r+3)%4]),
				fmt.Sprintf("PADDD X7, %s", nx),
				fmt.Sprintf("SHA256MSG2 %s, %s", m, nx))
		}
		g = append(g, "PSHUFD $0x0e, X0, X0", "SHA256RNDS2 X0, X2, X1")
		if r >= 1 && r <= 12 {
			g = append(g, fmt.Sprintf("SHA256MSG1 %s, %s", m, sha256Msg[(r+3)%4]))
		}
		if r == 15 {
			g = append(g, "PADDD X9, X1", "PADDD X10, X2")
		}
		gs = append(gs, g)
	}
	return gs
}

func sha256Load(a *asm) {
	// State words a..h at (R8); the instructions want ABEF and CDGH.
	a.p("MOVOU (R8), X1")   // a b c d
	a.p("MOVOU 16(R8), X2") // e f g h
	a.p("PSHUFD $0xb1, X1, X1")
	a.p("PSHUFD $0x1b, X2, X2")
	a.p("MOVO X1, X7")
	a.p("PALIGNR $8, X2, X1")
	a.p("PBLENDW $0xf0, X7, X2")
	a.p("MOVOU sha256Flip<>(SB), X8")
}

func sha256Store(a *asm) {
	a.p("PSHUFD $0x1b, X1, X1")
	a.p("PSHUFD $0xb1, X2, X2")
	a.p("MOVO X1, X7")
	a.p("PBLENDW $0xf0, X2, X1")
	a.p("PALIGNR $8, X7, X2")
	a.p("MOVOU X1, (R8)")
	a.p("MOVOU X2, 16(R8)")
}

type hashDef struct {
	name        string
	groups      func() [][]string
	load, store func(*asm)
	chain, tmp  string // AES registers that the hash leaves alone
	k1, k2      string
}

var hashes = []hashDef{
	{"SHA1", sha1Groups, sha1Load, sha1Store, "X0", "X1", "X14", "X15"},
	{"SHA256", sha256Groups, sha256Load, sha256Store, "X11", "X14", "X15", "32(AX)"},
}

// stitched writes func cbcEnc<hash>_<bits>(keys, iv, pkt *byte, blocks int, state *uint32, nh int).
// The ciphertext starts 24 bytes into pkt (after the ESP header and IV); the hash covers nh
// 64-byte blocks from pkt[0]. Hash block j is taken once the blocks it covers are ciphertext:
// four AES blocks go first, then each iteration hashes one block and encrypts the next four.
func stitched(a *asm, h hashDef, rounds int) {
	name := fmt.Sprintf("cbcEnc%s_%d", h.name, 32*(rounds-6))
	a.raw(fmt.Sprintf("\n// func %s(keys, iv, pkt *byte, blocks int, state *uint32, nh int)\n", name))
	a.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-48\n", name))
	a.p("MOVQ keys+0(FP), AX")
	a.p("MOVQ iv+8(FP), BX")
	a.p("MOVQ pkt+16(FP), SI")
	a.p("MOVQ blocks+24(FP), DX")
	a.p("MOVQ state+32(FP), R8")
	a.p("MOVQ nh+40(FP), CX")
	a.p("LEAQ 24(SI), DI")
	a.p("MOVOU (BX), %s", h.chain)
	a.p("MOVOU (AX), X12")
	a.p("MOVOU %d(AX), X13", 16*rounds)
	a.p("MOVOU 16(AX), %s", h.k1)
	if strings.HasPrefix(h.k2, "X") {
		a.p("MOVOU 32(AX), %s", h.k2)
	}
	h.load(a)
	l := func(s string) string { return fmt.Sprintf("%s%s_%d", strings.ToLower(h.name), s, rounds) }
	a.p("MOVQ $4, R10")
	a.label(l("pro"))
	a.p("TESTQ DX, DX")
	a.p("JZ %s", l("tail"))
	a.p("TESTQ R10, R10")
	a.p("JZ %s", l("loop"))
	aesOne(a, rounds, h.chain, h.tmp, h.k1, h.k2)
	a.p("ADDQ $16, DI")
	a.p("DECQ DX")
	a.p("DECQ R10")
	a.p("JMP %s", l("pro"))
	a.label(l("loop"))
	a.p("CMPQ DX, $4")
	a.p("JB %s", l("one"))
	a.p("TESTQ CX, CX")
	a.p("JZ %s", l("one"))
	interleave(a, h.groups(), aesSteps(rounds, h.chain, h.tmp, h.k1, h.k2))
	a.p("ADDQ $64, SI")
	a.p("DECQ CX")
	a.p("ADDQ $64, DI")
	a.p("SUBQ $4, DX")
	a.p("JMP %s", l("loop"))
	a.label(l("one"))
	a.p("TESTQ DX, DX")
	a.p("JZ %s", l("tail"))
	aesOne(a, rounds, h.chain, h.tmp, h.k1, h.k2)
	a.p("ADDQ $16, DI")
	a.p("DECQ DX")
	a.p("JMP %s", l("one"))
	a.label(l("tail"))
	a.p("TESTQ CX, CX")
	a.p("JZ %s", l("done"))
	interleave(a, h.groups(), nil)
	a.p("ADDQ $64, SI")
	a.p("DECQ CX")
	a.p("JMP %s", l("tail"))
	a.label(l("done"))
	h.store(a)
	a.p("RET")
}

// decSteps is the CBC decryption of four blocks at DI in states s[0..3], with keys (the
// equivalent inverse cipher's) read from (AX) through tmp and the previous ciphertext in prev.
// The last step reads each ciphertext block for the chaining before it stores the plaintext.
func decSteps(rounds int, s [4]string, prev, tmp string) [][]string {
	var steps [][]string
	first := []string{}
	for b := 0; b < 4; b++ {
		first = append(first, fmt.Sprintf("MOVOU %d(DI), %s", 16*b, s[b]))
	}
	first = append(first, fmt.Sprintf("MOVOU (AX), %s", tmp))
	for b := 0; b < 4; b++ {
		first = append(first, fmt.Sprintf("PXOR %s, %s", tmp, s[b]))
	}
	steps = append(steps, first)
	for r := 1; r <= rounds; r++ {
		op := "AESDEC"
		if r == rounds {
			op = "AESDECLAST"
		}
		st := []string{fmt.Sprintf("MOVOU %d(AX), %s", 16*r, tmp)}
		for b := 0; b < 4; b++ {
			st = append(st, fmt.Sprintf("%s %s, %s", op, tmp, s[b]))
		}
		steps = append(steps, st)
	}
	last := []string{fmt.Sprintf("PXOR %s, %s", prev, s[0])}
	for b := 1; b < 4; b++ {
		last = append(last, fmt.Sprintf("MOVOU %d(DI), %s", 16*(b-1), prev), fmt.Sprintf("PXOR %s, %s", prev, s[b]))
	}
	last = append(last, fmt.Sprintf("MOVOU 48(DI), %s", prev))
	for b := 0; b < 4; b++ {
		last = append(last, fmt.Sprintf("MOVOU %s, %d(DI)", s[b], 16*b))
	}
	steps = append(steps, last)
	return steps
}

// decOne decrypts one block at DI (state s, its ciphertext kept in c).
func decOne(a *asm, rounds int, s, c, prev, tmp string) {
	a.p("MOVOU (DI), %s", s)
	a.p("MOVO %s, %s", s, c)
	a.p("MOVOU (AX), %s", tmp)
	a.p("PXOR %s, %s", tmp, s)
	for r := 1; r <= rounds; r++ {
		op := "AESDEC"
		if r == rounds {
			op = "AESDECLAST"
		}
		a.p("MOVOU %d(AX), %s", 16*r, tmp)
		a.p("%s %s, %s", op, tmp, s)
	}
	a.p("PXOR %s, %s", prev, s)
	a.p("MOVO %s, %s", c, prev)
	a.p("MOVOU %s, (DI)", s)
}

// stitchedDec writes func cbcDecSHA1_<bits>(keys, iv, pkt *byte, blocks int, state *uint32, nh int):
// the hash of nh 64-byte blocks from pkt[0] over the ciphertext, and the decryption in place of
// the blocks from pkt[24]. A hash block is loaded into registers before the blocks it covers
// are overwritten: after hash block j, AES blocks up to 4j+1 may be decrypted, so each
// iteration loads hash block j and decrypts blocks 4j-2..4j+1. The caller copies the partial
// last hash block before, since it is decrypted here.
func stitchedDec(a *asm, rounds int) {
	h := hashes[0] // SHA-1: X2-X11; the AES states X0, X1, X12, X13, previous block X14, key X15
	st := [4]string{"X0", "X1", "X12", "X13"}
	prev, tmp := "X14", "X15"
	name := fmt.Sprintf("cbcDec%s_%d", h.name, 32*(rounds-6))
	a.raw(fmt.Sprintf("\n// func %s(keys, iv, pkt *byte, blocks int, state *uint32, nh int)\n", name))
	a.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-48\n", name))
	a.p("MOVQ keys+0(FP), AX")
	a.p("MOVQ iv+8(FP), BX")
	a.p("MOVQ pkt+16(FP), SI")
	a.p("MOVQ blocks+24(FP), DX")
	a.p("MOVQ state+32(FP), R8")
	a.p("MOVQ nh+40(FP), CX")
	a.p("LEAQ 24(SI), DI")
	a.p("MOVOU (BX), %s", prev)
	h.load(a)
	l := func(s string) string { return fmt.Sprintf("dec%s_%d", s, rounds) }
	a.p("TESTQ CX, CX")
	a.p("JZ %s", l("tail"))
	interleave(a, h.groups(), nil)
	a.p("ADDQ $64, SI")
	a.p("DECQ CX")
	a.p("MOVQ $2, R10")
	a.label(l("pro"))
	a.p("TESTQ DX, DX")
	a.p("JZ %s", l("tail"))
	a.p("TESTQ R10, R10")
	a.p("JZ %s", l("loop"))
	decOne(a, rounds, st[0], st[1], prev, tmp)
	a.p("ADDQ $16, DI")
	a.p("DECQ DX")
	a.p("DECQ R10")
	a.p("JMP %s", l("pro"))
	a.label(l("loop"))
	a.p("CMPQ DX, $4")
	a.p("JB %s", l("tail"))
	a.p("TESTQ CX, CX")
	a.p("JZ %s", l("tail"))
	interleave(a, h.groups(), decSteps(rounds, st, prev, tmp))
	a.p("ADDQ $64, SI")
	a.p("DECQ CX")
	a.p("ADDQ $64, DI")
	a.p("SUBQ $4, DX")
	a.p("JMP %s", l("loop"))
	a.label(l("tail"))
	a.p("TESTQ CX, CX")
	a.p("JZ %s", l("one"))
	interleave(a, h.groups(), nil)
	a.p("ADDQ $64, SI")
	a.p("DECQ CX")
	a.p("JMP %s", l("tail"))
	a.label(l("one"))
	a.p("TESTQ DX, DX")
	a.p("JZ %s", l("done"))
	decOne(a, rounds, st[0], st[1], prev, tmp)
	a.p("ADDQ $16, DI")
	a.p("DECQ DX")
	a.p("JMP %s", l("one"))
	a.label(l("done"))
	h.store(a)
	a.p("RET")
}

// blocks writes func <hash>Blocks(state *uint32, p *byte, n int): n 64-byte blocks.
func blocks(a *asm, h hashDef) {
	name := strings.ToLower(h.name) + "Blocks"
	a.raw(fmt.Sprintf("\n// func %s(state *uint32, p *byte, n int)\n", name))
	a.raw(fmt.Sprintf("TEXT ·%s(SB), NOSPLIT, $0-24\n", name))
	a.p("MOVQ state+0(FP), R8")
	a.p("MOVQ p+8(FP), SI")
	a.p("MOVQ n+16(FP), CX")
	h.load(a)
	a.label(name + "loop")
	a.p("TESTQ CX, CX")
	a.p("JZ %sdone", name)
	interleave(a, h.groups(), nil)
	a.p("ADDQ $64, SI")
	a.p("DECQ CX")
	a.p("JMP %sloop", name)
	a.label(name + "done")
	h.store(a)
	a.p("RET")
}

// sha256K are the SHA-256 round constants (FIPS 180-4 §4.2.2): the first 32 bits of the
// fractional parts of the cube roots of the first 64 primes, computed here.
func sha256K() []uint32 {
	var k []uint32
	for n := 2; len(k) < 64; n++ {
		prime := true
		for d := 2; d*d <= n; d++ {
			if n%d == 0 {
				prime = false
			}
		}
		if !prime {
			continue
		}
		k = append(k, cbrtFrac(uint64(n)))
	}
	return k
}

// cbrtFrac returns floor(frac(cbrt(n)) * 2^32) exactly, by integer cube root of n * 2^96.
func cbrtFrac(n uint64) uint32 {
	// x = floor(cbrt(n * 2^96)) = floor(cbrt(n) * 2^32); binary search on 64-bit x with 192-bit cube.
	lo, hi := uint64(0), uint64(1)<<40
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if cubeLE(mid, n) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return uint32(lo)
}

// cubeLE reports x^3 <= n * 2^96 using 64-bit limbs.
func cubeLE(x, n uint64) bool {
	// x < 2^40, so x^2 < 2^80 and x^3 < 2^120: two limbs suffice.
	sqHi, sqLo := bits.Mul64(x, x)
	// (sqHi*2^64 + sqLo) * x
	aHi, aLo := bits.Mul64(sqLo, x)
	bHi, bLo := bits.Mul64(sqHi, x)
	_ = bHi // zero: x^3 < 2^128
	hi := aHi + bLo
	lo := aLo
	// n * 2^96 = (n << 32) * 2^64
	wantHi := n << 32
	return hi < wantHi || (hi == wantHi && lo == 0)
}

func main() {
	a := &asm{}
	a.raw("// Code generated by stitch_gen.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	a.raw("\n// Byte order masks: message words are big-endian.\n")
	a.raw("DATA sha1Flip<>+0(SB)/8, $0x08090a0b0c0d0e0f\nDATA sha1Flip<>+8(SB)/8, $0x0001020304050607\nGLOBL sha1Flip<>(SB), RODATA|NOPTR, $16\n")
	a.raw("DATA sha256Flip<>+0(SB)/8, $0x0405060700010203\nDATA sha256Flip<>+8(SB)/8, $0x0c0d0e0f08090a0b\nGLOBL sha256Flip<>(SB), RODATA|NOPTR, $16\n")
	for i := 0; i < 8; i++ { // the 32-bit words' byte order, in each 128-bit lane of a ZMM register
		a.raw(fmt.Sprintf("DATA sha1x16Flip<>+%d(SB)/8, $0x0405060700010203\n", 8*i))
		i++
		a.raw(fmt.Sprintf("DATA sha1x16Flip<>+%d(SB)/8, $0x0c0d0e0f08090a0b\n", 8*i))
	}
	a.raw("GLOBL sha1x16Flip<>(SB), RODATA|NOPTR, $64\n")
	a.raw("\n// SHA-256 round constants (FIPS 180-4 §4.2.2).\n")
	for i, k := range sha256K() {
		a.raw(fmt.Sprintf("DATA sha256K<>+%d(SB)/4, $0x%08x\n", 4*i, k))
	}
	a.raw("GLOBL sha256K<>(SB), RODATA|NOPTR, $256\n")
	a.raw("\n// func cpuHasSHA() bool: CPUID leaf 7, EBX bit 29 (the SHA extensions).\n")
	a.raw("TEXT ·cpuHasSHA(SB), NOSPLIT, $0-1\n")
	a.p("XORL AX, AX")
	a.p("CPUID")
	a.p("CMPL AX, $7")
	a.p("JB nosha")
	a.p("MOVL $7, AX")
	a.p("XORL CX, CX")
	a.p("CPUID")
	a.p("SHRL $29, BX")
	a.p("ANDL $1, BX")
	a.p("MOVB BX, ret+0(FP)")
	a.p("RET")
	a.label("nosha")
	a.p("MOVB $0, ret+0(FP)")
	a.p("RET")
	for _, h := range hashes {
		blocks(a, h)
		for _, rounds := range []int{10, 12, 14} {
			stitched(a, h, rounds)
		}
	}
	for _, rounds := range []int{10, 12, 14} {
		stitchedDec(a, rounds)
	}
	sha1x16(a)
	cbcEnc16(a)
	if err := os.WriteFile("stitch_amd64.s", a.b.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
