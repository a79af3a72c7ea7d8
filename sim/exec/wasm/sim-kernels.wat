;; The simulator's datapath kernels, working in place in the machine memory (scratchpad, accumulator buffer and a
;; workspace, all in the one imported memory; every address below is a byte offset into it).
;; Element widths w are the bytes an element occupies there: 1, 2 or 4 (accumulator words are always 4).
;; Exactness: values are at most 32-bit and multipliers int32, so every product z·m fits an i64 (|z·m| ≤ 2^62);
;; the callers only pass shifts 0 ≤ c ≤ 62, where the rounding shift below is exact.
(module
  (import "env" "memory" (memory 1))
  (import "gemm" "gemm" (func $gemm_i8 (param i32 i32 i32 i32 i32 i32)))
  (import "gemm" "gemm_i16_i8" (func $gemm_i16 (param i32 i32 i32 i32 i32 i32)))

  ;; The per-element steps are written out in each loop: V8 does not inline wasm calls, and a call per step costs
  ;; more than the step. Loads and stores pick the access by the element's width (a loop-invariant branch).
  ;; Rounding v / 2^sh has no branch either (a data-dependent one mispredicts half the time): it is
  ;; floor((v + half - 1 + u) / 2^sh) with half = 2^(sh-1) and u = 1 where a tie goes up (always when $up, else when
  ;; floor(v / 2^sh) is odd), and sh = 0 keeps v. v + half < 2^63, so the sum cannot overflow.

  ;; requant: d[r][c] = clamp_bits(round(s[r][c]·m / 2^sh)), the pair (m, sh) at tab + c·tabStep (tabStep 8: one
  ;; per column, 0: one for all); ties upward when $up, else to even (numerics.md §2)
  (func (export "requant")
    (param $src i32) (param $srcRow i32) (param $srcW i32)
    (param $dst i32) (param $dstRow i32) (param $dstW i32)
    (param $rows i32) (param $cols i32) (param $tab i32) (param $tabStep i32) (param $bits i32) (param $up i32)
    (local $r i32) (local $s i32) (local $d i32) (local $t i32) (local $end i32)
    (local $hi i64) (local $lo i64) (local $v i64) (local $sh i64) (local $half i64) (local $up64 i64)
    (local.set $hi (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $bits) (i32.const 1)))) (i64.const 1)))
    (local.set $lo (i64.sub (i64.const -1) (local.get $hi)))
    (local.set $up64 (i64.extend_i32_u (local.get $up)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $srcRow))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstRow))))
        (local.set $end (i32.add (local.get $d) (i32.mul (local.get $cols) (local.get $dstW))))
        (local.set $t (local.get $tab))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_u (local.get $d) (local.get $end)))
            (local.set $v (i64.mul (if (result i64) (i32.eq (local.get $srcW) (i32.const 4))
                  (then (i64.load32_s (local.get $s)))
                  (else
                    (if (result i64) (i32.eq (local.get $srcW) (i32.const 1))
                      (then (i64.load8_s (local.get $s)))
                      (else (i64.load16_s (local.get $s)))))) (i64.load32_s (local.get $t))))
            (local.set $sh (i64.load32_u offset=4 (local.get $t)))
            (local.set $half (i64.shr_u (i64.shl (i64.const 1) (local.get $sh)) (i64.const 1)))
            (local.set $v
              (select
                (i64.shr_s
                  (i64.add (i64.add (local.get $v) (i64.sub (local.get $half) (i64.const 1)))
                    (i64.or (local.get $up64) (i64.and (i64.shr_s (local.get $v) (local.get $sh)) (i64.const 1))))
                  (local.get $sh))
                (local.get $v)
                (i64.ne (local.get $sh) (i64.const 0))))
            (local.set $v (select (local.get $hi) (local.get $v) (i64.gt_s (local.get $v) (local.get $hi))))
            (local.set $v (select (local.get $lo) (local.get $v) (i64.lt_s (local.get $v) (local.get $lo))))
            (if (i32.eq (local.get $dstW) (i32.const 1))
              (then (i64.store8 (local.get $d) (local.get $v)))
              (else
                (if (i32.eq (local.get $dstW) (i32.const 2))
                  (then (i64.store16 (local.get $d) (local.get $v)))
                  (else (i64.store32 (local.get $d) (local.get $v))))))
            (local.set $s (i32.add (local.get $s) (local.get $srcW)))
            (local.set $d (i32.add (local.get $d) (local.get $dstW)))
            (local.set $t (i32.add (local.get $t) (local.get $tabStep)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; resadd: d = clamp_bits(round(x·mx / 2^shx) + round(y·my / 2^shy)), each branch with its own table
  (func (export "resadd")
    (param $x i32) (param $xRow i32) (param $xW i32) (param $tx i32) (param $txStep i32)
    (param $y i32) (param $yRow i32) (param $yW i32) (param $ty i32) (param $tyStep i32)
    (param $dst i32) (param $dstRow i32) (param $dstW i32)
    (param $rows i32) (param $cols i32) (param $bits i32) (param $up i32)
    (local $r i32) (local $px i32) (local $py i32) (local $d i32) (local $qx i32) (local $qy i32) (local $end i32)
    (local $hi i64) (local $lo i64) (local $v i64) (local $w i64) (local $sh i64) (local $half i64) (local $up64 i64)
    (local.set $hi (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $bits) (i32.const 1)))) (i64.const 1)))
    (local.set $lo (i64.sub (i64.const -1) (local.get $hi)))
    (local.set $up64 (i64.extend_i32_u (local.get $up)))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $px (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $xRow))))
        (local.set $py (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $yRow))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $dstRow))))
        (local.set $end (i32.add (local.get $d) (i32.mul (local.get $cols) (local.get $dstW))))
        (local.set $qx (local.get $tx))
        (local.set $qy (local.get $ty))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_u (local.get $d) (local.get $end)))
            (local.set $v (i64.mul (if (result i64) (i32.eq (local.get $xW) (i32.const 4))
                  (then (i64.load32_s (local.get $px)))
                  (else
                    (if (result i64) (i32.eq (local.get $xW) (i32.const 1))
                      (then (i64.load8_s (local.get $px)))
                      (else (i64.load16_s (local.get $px)))))) (i64.load32_s (local.get $qx))))
            (local.set $sh (i64.load32_u offset=4 (local.get $qx)))
            (local.set $half (i64.shr_u (i64.shl (i64.const 1) (local.get $sh)) (i64.const 1)))
            (local.set $v
              (select
                (i64.shr_s
                  (i64.add (i64.add (local.get $v) (i64.sub (local.get $half) (i64.const 1)))
                    (i64.or (local.get $up64) (i64.and (i64.shr_s (local.get $v) (local.get $sh)) (i64.const 1))))
                  (local.get $sh))
                (local.get $v)
                (i64.ne (local.get $sh) (i64.const 0))))
            (local.set $w (i64.mul (if (result i64) (i32.eq (local.get $yW) (i32.const 4))
                  (then (i64.load32_s (local.get $py)))
                  (else
                    (if (result i64) (i32.eq (local.get $yW) (i32.const 1))
                      (then (i64.load8_s (local.get $py)))
                      (else (i64.load16_s (local.get $py)))))) (i64.load32_s (local.get $qy))))
            (local.set $sh (i64.load32_u offset=4 (local.get $qy)))
            (local.set $half (i64.shr_u (i64.shl (i64.const 1) (local.get $sh)) (i64.const 1)))
            (local.set $w
              (select
                (i64.shr_s
                  (i64.add (i64.add (local.get $w) (i64.sub (local.get $half) (i64.const 1)))
                    (i64.or (local.get $up64) (i64.and (i64.shr_s (local.get $w) (local.get $sh)) (i64.const 1))))
                  (local.get $sh))
                (local.get $w)
                (i64.ne (local.get $sh) (i64.const 0))))
            (local.set $v (i64.add (local.get $v) (local.get $w)))
            (local.set $v (select (local.get $hi) (local.get $v) (i64.gt_s (local.get $v) (local.get $hi))))
            (local.set $v (select (local.get $lo) (local.get $v) (i64.lt_s (local.get $v) (local.get $lo))))
            (if (i32.eq (local.get $dstW) (i32.const 1))
              (then (i64.store8 (local.get $d) (local.get $v)))
              (else
                (if (i32.eq (local.get $dstW) (i32.const 2))
                  (then (i64.store16 (local.get $d) (local.get $v)))
                  (else (i64.store32 (local.get $d) (local.get $v))))))
            (local.set $px (i32.add (local.get $px) (local.get $xW)))
            (local.set $py (i32.add (local.get $py) (local.get $yW)))
            (local.set $d (i32.add (local.get $d) (local.get $dstW)))
            (local.set $qx (i32.add (local.get $qx) (local.get $txStep)))
            (local.set $qy (i32.add (local.get $qy) (local.get $tyStep)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; Copy n rows of k bytes (row starts srcRow apart, bytes step apart) into [nPad × dp], zero-padded.
  (func $stage_i8 (param $dst i32) (param $src i32) (param $n i32) (param $nPad i32) (param $srcRow i32) (param $step i32) (param $k i32) (param $dp i32)
    (local $j i32) (local $q i32) (local $s i32) (local $d i32)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $s (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $srcRow))))
        (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $dp))))
        (if (i32.eq (local.get $step) (i32.const 1))
          (then (memory.copy (local.get $d) (local.get $s) (local.get $k)))
          (else
            (local.set $q (i32.const 0))
            (block $q_done
              (loop $elem
                (br_if $q_done (i32.ge_u (local.get $q) (local.get $k)))
                (i32.store8 (i32.add (local.get $d) (local.get $q)) (i32.load8_u (i32.add (local.get $s) (i32.mul (local.get $q) (local.get $step)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $elem)))))
        (memory.fill (i32.add (local.get $d) (local.get $k)) (i32.const 0) (i32.sub (local.get $dp) (local.get $k)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $row)))
    (memory.fill (i32.add (local.get $dst) (i32.mul (local.get $n) (local.get $dp))) (i32.const 0)
      (i32.mul (i32.sub (local.get $nPad) (local.get $n)) (local.get $dp))))

  ;; Copy m rows of k int16 values (row starts srcRow bytes apart) into [mPad × dp] int16, zero-padded.
  (func $stage_i16 (param $dst i32) (param $src i32) (param $m i32) (param $mPad i32) (param $srcRow i32) (param $k i32) (param $dp i32)
    (local $i i32) (local $d i32)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $i) (local.get $dp)) (i32.const 1))))
        (memory.copy (local.get $d) (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $srcRow))) (i32.shl (local.get $k) (i32.const 1)))
        (memory.fill (i32.add (local.get $d) (i32.shl (local.get $k) (i32.const 1))) (i32.const 0) (i32.shl (i32.sub (local.get $dp) (local.get $k)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
    (memory.fill (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $m) (local.get $dp)) (i32.const 1))) (i32.const 0)
      (i32.shl (i32.mul (i32.sub (local.get $mPad) (local.get $m)) (local.get $dp)) (i32.const 1))))

  ;; C = init + A·Bᵀ into the accumulator rows at $c (cRow bytes apart); init 0: zero, 1: C itself, 2: the bias row.
  ;; A (int8 when $wide is 0, else int16) and B are staged at $ws with the kernel's padding: m up to mp (even),
  ;; n up to np (a multiple of 4), depth k up to dp. Returns −1, or i·n + j of the first sum outside int32
  ;; (the caller reports it; nothing after it was written).
  (func (export "gemm")
    (param $a i32) (param $aRow i32) (param $wide i32) (param $b i32) (param $bRow i32) (param $bStep i32)
    (param $c i32) (param $cRow i32) (param $init i32) (param $bias i32)
    (param $m i32) (param $n i32) (param $k i32) (param $mp i32) (param $np i32) (param $dp i32) (param $ws i32)
    (result i32)
    (local $aBytes i32) (local $bOff i32) (local $raw i32) (local $i i32) (local $j i32) (local $src i32) (local $dst i32) (local $v i64)
    (local.set $aBytes (i32.and (i32.add (i32.shl (i32.mul (local.get $mp) (local.get $dp)) (local.get $wide)) (i32.const 15)) (i32.const -16)))
    (local.set $bOff (i32.add (local.get $ws) (local.get $aBytes)))
    (local.set $raw (i32.add (local.get $bOff) (i32.and (i32.add (i32.mul (local.get $np) (local.get $dp)) (i32.const 15)) (i32.const -16))))
    (if (local.get $wide)
      (then
        (call $stage_i16 (local.get $ws) (local.get $a) (local.get $m) (local.get $mp) (local.get $aRow) (local.get $k) (local.get $dp))
        (call $stage_i8 (local.get $bOff) (local.get $b) (local.get $n) (local.get $np) (local.get $bRow) (local.get $bStep) (local.get $k) (local.get $dp))
        (call $gemm_i16 (local.get $ws) (local.get $bOff) (local.get $mp) (local.get $np) (local.get $dp) (local.get $raw)))
      (else
        (call $stage_i8 (local.get $ws) (local.get $a) (local.get $m) (local.get $mp) (local.get $aRow) (i32.const 1) (local.get $k) (local.get $dp))
        (call $stage_i8 (local.get $bOff) (local.get $b) (local.get $n) (local.get $np) (local.get $bRow) (local.get $bStep) (local.get $k) (local.get $dp))
        (call $gemm_i8 (local.get $ws) (local.get $bOff) (local.get $mp) (local.get $np) (local.get $dp) (local.get $raw))))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $src (i32.add (local.get $raw) (i32.shl (i32.mul (local.get $i) (local.get $np)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRow))))
        (if (i32.eqz (local.get $init))
          (then (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
          (else
            (local.set $j (i32.const 0))
            (block $cols_done
              (loop $col
                (br_if $cols_done (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $v
                  (i64.add
                    (i64.load32_s (local.get $src))
                    (i64.load32_s (if (result i32) (i32.eq (local.get $init) (i32.const 1))
                      (then (local.get $dst))
                      (else (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
                (if (i32.or
                      (i64.gt_s (local.get $v) (i64.const 2147483647))
                      (i64.lt_s (local.get $v) (i64.const -2147483648)))
                  (then (return (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)))))
                (i64.store32 (local.get $dst) (local.get $v))
                (local.set $src (i32.add (local.get $src) (i32.const 4)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $col)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row)))
    (i32.const -1)))
