; Tiled GEMM with per-channel requantisation (a Linear layer):
;   OUT[64×48] int8 = requant_c( A[64×96] · W[48×96]ᵀ + bias )
; Two row tiles of 32; the second tile's load and GEMM overlap the first tile's requant and store.
; Semaphores: s0 weights+bias+table loaded, s1 an A tile loaded, s2 a GEMM done, s3 a requant done.

.equ M, 64
.equ N, 48
.equ K, 96
.equ TM, 32

; DRAM layout (bytes)
.equ A_DRAM, 0x0000          ; int8 [M×K]
.equ W_DRAM, 0x2000          ; int8 [N×K]
.equ BIAS_DRAM, 0x4000       ; int32 [N]
.equ Q_DRAM, 0x4100          ; (m, c) int32 pairs [N]
.equ OUT_DRAM, 0x5000        ; int8 [M×N]

; scratchpad (16 banks of 64 KiB) and accumulator (8 banks of 8 Ki words): one bank per buffer
.equ A0_SP, 0x00000
.equ A1_SP, 0x10000
.equ W_SP, 0x20000
.equ Q_SP, 0x30000
.equ OUT0_SP, 0x40000
.equ OUT1_SP, 0x50000
.equ C0_ACC, 0x0000
.equ C1_ACC, 0x2000
.equ BIAS_ACC, 0x4000

.rand @A_DRAM, i8, count=M*K, seed=1
.rand @W_DRAM, i8, count=N*K, seed=2
.rand @BIAS_DRAM, i32, count=N, seed=3, min=-30000, max=30000
; per-channel (m, c) pairs, 4 per line
.data @Q_DRAM+0, i32, 1622305820, 42, 1843690974, 42, 1136030071, 41, 1608578331, 42
.data @Q_DRAM+32, i32, 1185095836, 40, 1316849787, 41, 2081059921, 40, 1891413223, 42
.data @Q_DRAM+64, i32, 1292730179, 42, 1609175468, 40, 1539165521, 41, 1673925646, 40
.data @Q_DRAM+96, i32, 1910052088, 40, 1228214052, 40, 2029019199, 40, 1357726908, 40
.data @Q_DRAM+128, i32, 1085151705, 40, 1536484108, 40, 1431264518, 41, 1747303005, 40
.data @Q_DRAM+160, i32, 1513502485, 40, 1496536349, 41, 1715386104, 40, 1849391301, 41
.data @Q_DRAM+192, i32, 1430129728, 40, 1640273662, 40, 1786393908, 41, 1081007014, 42
.data @Q_DRAM+224, i32, 1799369820, 40, 1739371411, 41, 1731009811, 41, 1751902367, 40
.data @Q_DRAM+256, i32, 2107150447, 41, 1451956826, 40, 1623888127, 40, 1841776601, 41
.data @Q_DRAM+288, i32, 1112541556, 42, 1973166468, 41, 1881980398, 42, 1093237514, 41
.data @Q_DRAM+320, i32, 1174087547, 42, 1462263463, 42, 1495768896, 40, 1602209183, 41
.data @Q_DRAM+352, i32, 1813296140, 42, 1835654425, 42, 1612532485, 41, 1305783594, 42

setup:
    load dram=W_DRAM, dstride=K, local=W_SP, lstride=K, rows=N, bytes=K
    load dram=BIAS_DRAM, dstride=4*N, space=acc, local=BIAS_ACC, lstride=N, rows=1, bytes=4*N
    load dram=Q_DRAM, dstride=8*N, local=Q_SP, lstride=8*N, rows=1, bytes=8*N, signal=s0
tile0:
    load dram=A_DRAM, dstride=K, local=A0_SP, lstride=K, rows=TM, bytes=K, signal=s1
    gemm wait=s0|s1, a=A0_SP, astride=K, b=W_SP, bstride=K, c=C0_ACC, cstride=N, init=bias, bias=BIAS_ACC, m=TM, n=N, k=K, signal=s2
    requant wait=s2, s=C0_ACC, sstride=N, d=OUT0_SP, dstride=N, rows=TM, cols=N, qmode=channel, qtab=Q_SP, signal=s3
    store wait=s3, dram=OUT_DRAM, dstride=N, local=OUT0_SP, lstride=N, rows=TM, bytes=N
tile1:
    load dram=A_DRAM+TM*K, dstride=K, local=A1_SP, lstride=K, rows=TM, bytes=K, signal=s1
    gemm wait=s1, a=A1_SP, astride=K, b=W_SP, bstride=K, c=C1_ACC, cstride=N, init=bias, bias=BIAS_ACC, m=TM, n=N, k=K, signal=s2
    requant wait=s2, s=C1_ACC, sstride=N, d=OUT1_SP, dstride=N, rows=TM, cols=N, qmode=channel, qtab=Q_SP, signal=s3
    store wait=s3, dram=OUT_DRAM+TM*N, dstride=N, local=OUT1_SP, lstride=N, rows=TM, bytes=N
