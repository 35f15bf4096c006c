//go:build amd64 && !purego

#include "textflag.h"

// func cbcEncryptAsm(rounds int, keys *byte, iv *byte, buf *byte, blocks int)
// Encrypts blocks 16-byte blocks of buf in place: C[i] = E(P[i] ^ C[i-1]), C[-1] = iv.
TEXT ·cbcEncryptAsm(SB), NOSPLIT, $0-40
	MOVQ rounds+0(FP), CX
	MOVQ keys+8(FP), AX
	MOVQ iv+16(FP), BX
	MOVQ buf+24(FP), DI
	MOVQ blocks+32(FP), DX
	MOVOU (BX), X0
	// Round keys 0, 1..9 and the last stay in registers; AES-192/256 load their extra
	// middle keys from memory.
	MOVOU 0(AX), X2
	MOVOU 16(AX), X3
	MOVOU 32(AX), X4
	MOVOU 48(AX), X5
	MOVOU 64(AX), X6
	MOVOU 80(AX), X7
	MOVOU 96(AX), X8
	MOVOU 112(AX), X9
	MOVOU 128(AX), X10
	MOVOU 144(AX), X11
	MOVQ CX, R8
	SHLQ $4, R8
	MOVOU (AX)(R8*1), X12 // last round key
encloop:
	TESTQ DX, DX
	JZ encdone
	MOVOU (DI), X1
	PXOR X1, X0
	PXOR X2, X0
	AESENC X3, X0
	AESENC X4, X0
	AESENC X5, X0
	AESENC X6, X0
	AESENC X7, X0
	AESENC X8, X0
	AESENC X9, X0
	AESENC X10, X0
	AESENC X11, X0
	CMPQ CX, $10
	JEQ enclast
	MOVOU 160(AX), X13
	AESENC X13, X0
	MOVOU 176(AX), X13
	AESENC X13, X0
	CMPQ CX, $12
	JEQ enclast
	MOVOU 192(AX), X13
	AESENC X13, X0
	MOVOU 208(AX), X13
	AESENC X13, X0
enclast:
	AESENCLAST X12, X0
	MOVOU X0, (DI)
	ADDQ $16, DI
	DECQ DX
	JMP encloop
encdone:
	RET

// func cbcDecryptAsm(rounds int, keys *byte, iv *byte, buf *byte, blocks int)
// Decrypts in place, four blocks at a time: P[i] = D(C[i]) ^ C[i-1].
TEXT ·cbcDecryptAsm(SB), NOSPLIT, $0-40
	MOVQ rounds+0(FP), CX
	MOVQ keys+8(FP), AX
	MOVQ iv+16(FP), BX
	MOVQ buf+24(FP), DI
	MOVQ blocks+32(FP), DX
	MOVOU (BX), X15       // previous ciphertext block
	MOVOU (AX), X14       // round key 0
	MOVQ CX, R8
	SHLQ $4, R8
	MOVOU (AX)(R8*1), X13 // last round key
dec4:
	CMPQ DX, $4
	JB dec1
	MOVOU 0(DI), X0
	MOVOU 16(DI), X1
	MOVOU 32(DI), X2
	MOVOU 48(DI), X3
	MOVO X0, X4
	MOVO X1, X5
	MOVO X2, X6
	MOVO X3, X7
	PXOR X14, X0
	PXOR X14, X1
	PXOR X14, X2
	PXOR X14, X3
	LEAQ 16(AX), R9
	MOVQ CX, R10
	DECQ R10
dec4round:
	MOVOU (R9), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	ADDQ $16, R9
	DECQ R10
	JNZ dec4round
	AESDECLAST X13, X0
	AESDECLAST X13, X1
	AESDECLAST X13, X2
	AESDECLAST X13, X3
	PXOR X15, X0
	PXOR X4, X1
	PXOR X5, X2
	PXOR X6, X3
	MOVO X7, X15
	MOVOU X0, 0(DI)
	MOVOU X1, 16(DI)
	MOVOU X2, 32(DI)
	MOVOU X3, 48(DI)
	ADDQ $64, DI
	SUBQ $4, DX
	JMP dec4
dec1:
	TESTQ DX, DX
	JZ decdone
	MOVOU (DI), X0
	MOVO X0, X4
	PXOR X14, X0
	LEAQ 16(AX), R9
	MOVQ CX, R10
	DECQ R10
dec1round:
	MOVOU (R9), X8
	AESDEC X8, X0
	ADDQ $16, R9
	DECQ R10
	JNZ dec1round
	AESDECLAST X13, X0
	PXOR X15, X0
	MOVO X4, X15
	MOVOU X0, (DI)
	ADDQ $16, DI
	DECQ DX
	JMP dec1
decdone:
	RET

// func aesInvMixColumns(dst, src *byte)
TEXT ·aesInvMixColumns(SB), NOSPLIT, $0-16
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVOU (SI), X0
	AESIMC X0, X1
	MOVOU X1, (DI)
	RET
