; Residual add and I-LayerNorm (20 tokens, 48 channels):
;   x' = clamp16( RNE(branch·mx/2^cx) + RNE(x·my/2^cy) )        (residual add, int16)
;   y  = requant_c( LN(x') + B )                                  (I-LayerNorm with its per-channel requant fused, int8)
; The store of x' and the LayerNorm both read x' from the same scratchpad bank, so they take turns (a bank conflict).
; Semaphores: s0 inputs and tables loaded; s1 x' ready; s2 y ready.

.equ T, 20
.equ C, 48

.equ X_DRAM, 0x0000          ; int16 residual stream [T×C]
.equ BR_DRAM, 0x1000         ; int32 branch accumulator [T×C]
.equ QR_DRAM, 0x2000         ; (m, c) pairs: branch, identity
.equ LNB_DRAM, 0x2100        ; int32 LayerNorm integer bias [C]
.equ QLN_DRAM, 0x2200        ; per-channel (m, c) pairs [C]
.equ X2_DRAM, 0x3000         ; int16 x' [T×C]
.equ Y_DRAM, 0x4000          ; int8 y [T×C]

.equ X_SP, 0x00000
.equ QR_SP, 0x10000
.equ LNB_SP, 0x10100
.equ QLN_SP, 0x10200
.equ X2_SP, 0x20000
.equ Y_SP, 0x30000
.equ BR_ACC, 0x0000

.rand @X_DRAM, i16, count=T*C, seed=31, min=-8000, max=8000
.rand @BR_DRAM, i32, count=T*C, seed=32, min=-1048576, max=1048576
.data @QR_DRAM, i32, 1073741824, 39, 1073741824, 31
.rand @LNB_DRAM, i32, count=C, seed=33, min=-67108864, max=67108864
.data @QLN_DRAM+0, i32, 1769167388, 52, -1177436136, 53, 1275884552, 51, -1534802662, 52
.data @QLN_DRAM+32, i32, -1971759693, 51, -1985389843, 53, 1339604497, 53, 1206589560, 52
.data @QLN_DRAM+64, i32, 1180234062, 51, 1359732566, 51, 1326698720, 53, -1461848773, 53
.data @QLN_DRAM+96, i32, 1477191778, 53, 1208580123, 53, 1516034799, 53, 1991989311, 52
.data @QLN_DRAM+128, i32, 2046947864, 51, 1459787981, 51, 1249524127, 53, 2136996099, 53
.data @QLN_DRAM+160, i32, 2037605917, 51, 1327286152, 51, -1808301079, 52, -1979332148, 53
.data @QLN_DRAM+192, i32, 1240430531, 53, 1747509478, 52, 2140342821, 52, 1221409128, 52
.data @QLN_DRAM+224, i32, 2091860244, 51, 1204028421, 52, 2030748088, 52, -1818929950, 52
.data @QLN_DRAM+256, i32, -1837095188, 51, -2133939461, 52, 1351497831, 52, 1913299918, 52
.data @QLN_DRAM+288, i32, -1246788851, 52, 1670396815, 52, 1671646502, 52, 1890733284, 51
.data @QLN_DRAM+320, i32, -1251950101, 51, -1574827253, 53, 1465320167, 51, 1386579495, 52
.data @QLN_DRAM+352, i32, 1757955194, 53, 1189690674, 53, 1916369105, 52, 1296086038, 52

inputs:
    load dram=X_DRAM, dstride=2*C, local=X_SP, lstride=2*C, rows=T, bytes=2*C
    load dram=BR_DRAM, dstride=4*C, space=acc, local=BR_ACC, lstride=C, rows=T, bytes=4*C
    load dram=QR_DRAM, dstride=16, local=QR_SP, lstride=16, rows=1, bytes=16
    load dram=LNB_DRAM, dstride=4*C, local=LNB_SP, lstride=4*C, rows=1, bytes=4*C
    load dram=QLN_DRAM, dstride=8*C, local=QLN_SP, lstride=8*C, rows=1, bytes=8*C, signal=s0
residual:
    resadd wait=s0, x=BR_ACC, xstride=C, y=X_SP, ystride=C, d=X2_SP, dstride=C, rows=T, cols=C, qx=QR_SP, qy=QR_SP+8, signal=s1
    store wait=s1, dram=X2_DRAM, dstride=2*C, local=X2_SP, lstride=2*C, rows=T, bytes=2*C
layernorm:
    layernorm s=X2_SP, sstride=C, d=Y_SP, dspace=spad, dstride=C, dtype=i8, rows=T, cols=C, bmode=table, btab=LNB_SP, qmode=channel, qtab=QLN_SP, signal=s2
    store wait=s2, dram=Y_DRAM, dstride=C, local=Y_SP, lstride=C, rows=T, bytes=C
