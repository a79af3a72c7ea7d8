; A transformer MLP with ShiftGELU (16 tokens, 32 features, hidden 64):
;   h = X·W1ᵀ + b1 → requant to int8 → ShiftGELU with its output requant fused (int8)
;   y = g·W2ᵀ + b2 → requant to int16
; Semaphores: s0 weights, biases and tables loaded; s1 X loaded; s2 a GEMM done; s3 GELU done; s4 output ready.

.equ T, 16
.equ C, 32
.equ H, 64
.equ X0, -12                 ; ShiftGELU x0 of S_sigma = fl32(S·fl32(1.702)) for an input scale S = 0.05

.equ X_DRAM, 0x0000
.equ W1_DRAM, 0x0400
.equ B1_DRAM, 0x0C00
.equ W2_DRAM, 0x0D00
.equ B2_DRAM, 0x1500
.equ QT_DRAM, 0x1580         ; (m, c): fc1 → int8, GELU out → int8, fc2 → int16
.equ OUT_DRAM, 0x1600

.equ X_SP, 0x00000
.equ W1_SP, 0x10000
.equ W2_SP, 0x20000
.equ QT_SP, 0x30000
.equ H8_SP, 0x40000
.equ G8_SP, 0x50000
.equ O16_SP, 0x60000
.equ H_ACC, 0x0000
.equ O_ACC, 0x2000
.equ B1_ACC, 0x4000
.equ B2_ACC, 0x4100

.rand @X_DRAM, i8, count=T*C, seed=21
.rand @W1_DRAM, i8, count=H*C, seed=22
.rand @B1_DRAM, i32, count=H, seed=23, min=-4000, max=4000
.rand @W2_DRAM, i8, count=C*H, seed=24
.rand @B2_DRAM, i32, count=C, seed=25, min=-4000, max=4000
.data @QT_DRAM, i32, 1073741824, 40, 1073741824, 37, 1518500250, 38

weights:
    load dram=W1_DRAM, dstride=C, local=W1_SP, lstride=C, rows=H, bytes=C
    load dram=B1_DRAM, dstride=4*H, space=acc, local=B1_ACC, lstride=H, rows=1, bytes=4*H
    load dram=W2_DRAM, dstride=H, local=W2_SP, lstride=H, rows=C, bytes=H
    load dram=B2_DRAM, dstride=4*C, space=acc, local=B2_ACC, lstride=C, rows=1, bytes=4*C
    load dram=QT_DRAM, dstride=24, local=QT_SP, lstride=24, rows=1, bytes=24, signal=s0
    load dram=X_DRAM, dstride=C, local=X_SP, lstride=C, rows=T, bytes=C, signal=s1
fc1:
    gemm wait=s0|s1, a=X_SP, astride=C, b=W1_SP, bstride=C, c=H_ACC, cstride=H, init=bias, bias=B1_ACC, m=T, n=H, k=C, signal=s2
    requant wait=s2, s=H_ACC, sstride=H, d=H8_SP, dstride=H, rows=T, cols=H, qtab=QT_SP
gelu:
    shiftgelu s=H8_SP, sstride=H, d=G8_SP, dstride=H, dtype=i8, rows=T, cols=H, x0=X0, n=23, k=8, qmode=tensor, qtab=QT_SP+8, signal=s3
fc2:
    gemm wait=s3, a=G8_SP, astride=H, b=W2_SP, bstride=H, c=O_ACC, cstride=C, init=bias, bias=B2_ACC, m=T, n=C, k=H, signal=s2
    requant wait=s2, s=O_ACC, sstride=C, d=O16_SP, dstride=C, dtype=i16, rows=T, cols=C, qtab=QT_SP+16, signal=s4
    store wait=s4, dram=OUT_DRAM, dstride=2*C, local=O16_SP, lstride=2*C, rows=T, bytes=2*C
