;; Integer matrix products for the golden model.
;; gemm: int8 × int8 → int32 matrix product, C[i][j] = Σ_k A[i][k] · B[j][k], with WebAssembly SIMD.
;; A is [rows × dp] and B is [cols × dp] int8, row-major, dp a multiple of 16 (zero-padded by the caller);
;; rows is even and cols a multiple of 4 (also padded). C is [rows × cols] int32.
;; The memory is imported: the golden model gives the kernel a memory of its own, the simulator its machine memory.
;; Two rows × four columns per pass: per 16 k, 6 loads and 12 sign-extensions feed 16 i32x4.dot_i16x8_s
;; (128 multiply-adds). No overflow is possible: |a·b| ≤ 2^14 and the caller keeps dp < 2^17.
(module
  (import "env" "memory" (memory 1))
  (func (export "gemm") (param $a i32) (param $b i32) (param $rows i32) (param $cols i32) (param $dp i32) (param $out i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $ra0 i32) (local $ra1 i32) (local $rb0 i32) (local $rb1 i32) (local $rb2 i32) (local $rb3 i32) (local $o i32)
    (local $a0l v128) (local $a0h v128) (local $a1l v128) (local $a1h v128) (local $bl v128) (local $bh v128) (local $v v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $i (i32.const 0))
    (block $rows_done
      (loop $row_loop
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $ra0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $dp))))
        (local.set $ra1 (i32.add (local.get $ra0) (local.get $dp)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $rb0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $dp))))
            (local.set $rb1 (i32.add (local.get $rb0) (local.get $dp)))
            (local.set $rb2 (i32.add (local.get $rb1) (local.get $dp)))
            (local.set $rb3 (i32.add (local.get $rb2) (local.get $dp)))
            (local.set $s00 (v128.const i32x4 0 0 0 0)) (local.set $s01 (v128.const i32x4 0 0 0 0))
            (local.set $s02 (v128.const i32x4 0 0 0 0)) (local.set $s03 (v128.const i32x4 0 0 0 0))
            (local.set $s10 (v128.const i32x4 0 0 0 0)) (local.set $s11 (v128.const i32x4 0 0 0 0))
            (local.set $s12 (v128.const i32x4 0 0 0 0)) (local.set $s13 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $k_loop
                (br_if $k_done (i32.ge_u (local.get $k) (local.get $dp)))
                (local.set $v (v128.load (i32.add (local.get $ra0) (local.get $k))))
                (local.set $a0l (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $a0h (i16x8.extend_high_i8x16_s (local.get $v)))
                (local.set $v (v128.load (i32.add (local.get $ra1) (local.get $k))))
                (local.set $a1l (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $a1h (i16x8.extend_high_i8x16_s (local.get $v)))
                ;; column 0
                (local.set $v (v128.load (i32.add (local.get $rb0) (local.get $k))))
                (local.set $bl (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $bh (i16x8.extend_high_i8x16_s (local.get $v)))
                (local.set $s00 (i32x4.add (local.get $s00) (i32x4.add (i32x4.dot_i16x8_s (local.get $a0l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a0h) (local.get $bh)))))
                (local.set $s10 (i32x4.add (local.get $s10) (i32x4.add (i32x4.dot_i16x8_s (local.get $a1l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a1h) (local.get $bh)))))
                ;; column 1
                (local.set $v (v128.load (i32.add (local.get $rb1) (local.get $k))))
                (local.set $bl (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $bh (i16x8.extend_high_i8x16_s (local.get $v)))
                (local.set $s01 (i32x4.add (local.get $s01) (i32x4.add (i32x4.dot_i16x8_s (local.get $a0l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a0h) (local.get $bh)))))
                (local.set $s11 (i32x4.add (local.get $s11) (i32x4.add (i32x4.dot_i16x8_s (local.get $a1l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a1h) (local.get $bh)))))
                ;; column 2
                (local.set $v (v128.load (i32.add (local.get $rb2) (local.get $k))))
                (local.set $bl (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $bh (i16x8.extend_high_i8x16_s (local.get $v)))
                (local.set $s02 (i32x4.add (local.get $s02) (i32x4.add (i32x4.dot_i16x8_s (local.get $a0l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a0h) (local.get $bh)))))
                (local.set $s12 (i32x4.add (local.get $s12) (i32x4.add (i32x4.dot_i16x8_s (local.get $a1l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a1h) (local.get $bh)))))
                ;; column 3
                (local.set $v (v128.load (i32.add (local.get $rb3) (local.get $k))))
                (local.set $bl (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $bh (i16x8.extend_high_i8x16_s (local.get $v)))
                (local.set $s03 (i32x4.add (local.get $s03) (i32x4.add (i32x4.dot_i16x8_s (local.get $a0l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a0h) (local.get $bh)))))
                (local.set $s13 (i32x4.add (local.get $s13) (i32x4.add (i32x4.dot_i16x8_s (local.get $a1l) (local.get $bl)) (i32x4.dot_i16x8_s (local.get $a1h) (local.get $bh)))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $k_loop)))
            ;; horizontal sums → C[i][j..j+3] and C[i+1][j..j+3]
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
            (call $store4 (local.get $o) (local.get $s00) (local.get $s01) (local.get $s02) (local.get $s03))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $cols) (i32.const 2))))
            (call $store4 (local.get $o) (local.get $s10) (local.get $s11) (local.get $s12) (local.get $s13))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $col_loop)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $row_loop))))
  ;; int16 A [rows × dp] (dp a multiple of 8, in elements) × int8 B [cols × dp] → int32 C. For Shiftmax
  ;; probabilities (≤ 2^15) times int8 values: |a·b| < 2^22, so the caller keeps dp < 2^9 to stay in int32.
  (func (export "gemm_i16_i8") (param $a i32) (param $b i32) (param $rows i32) (param $cols i32) (param $dp i32) (param $out i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $ra0 i32) (local $ra1 i32) (local $rb0 i32) (local $rb1 i32) (local $rb2 i32) (local $rb3 i32) (local $o i32)
    (local $a0 v128) (local $a1 v128) (local $bv v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $i (i32.const 0))
    (block $rows_done
      (loop $row_loop
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $ra0 (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $dp)) (i32.const 1))))
        (local.set $ra1 (i32.add (local.get $ra0) (i32.shl (local.get $dp) (i32.const 1))))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $col_loop
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $rb0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $dp))))
            (local.set $rb1 (i32.add (local.get $rb0) (local.get $dp)))
            (local.set $rb2 (i32.add (local.get $rb1) (local.get $dp)))
            (local.set $rb3 (i32.add (local.get $rb2) (local.get $dp)))
            (local.set $s00 (v128.const i32x4 0 0 0 0)) (local.set $s01 (v128.const i32x4 0 0 0 0))
            (local.set $s02 (v128.const i32x4 0 0 0 0)) (local.set $s03 (v128.const i32x4 0 0 0 0))
            (local.set $s10 (v128.const i32x4 0 0 0 0)) (local.set $s11 (v128.const i32x4 0 0 0 0))
            (local.set $s12 (v128.const i32x4 0 0 0 0)) (local.set $s13 (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.const 0))
            (block $k_done
              (loop $k_loop
                (br_if $k_done (i32.ge_u (local.get $k) (local.get $dp)))
                (local.set $a0 (v128.load (i32.add (local.get $ra0) (i32.shl (local.get $k) (i32.const 1)))))
                (local.set $a1 (v128.load (i32.add (local.get $ra1) (i32.shl (local.get $k) (i32.const 1)))))
                (local.set $bv (v128.load8x8_s (i32.add (local.get $rb0) (local.get $k))))
                (local.set $s00 (i32x4.add (local.get $s00) (i32x4.dot_i16x8_s (local.get $a0) (local.get $bv))))
                (local.set $s10 (i32x4.add (local.get $s10) (i32x4.dot_i16x8_s (local.get $a1) (local.get $bv))))
                (local.set $bv (v128.load8x8_s (i32.add (local.get $rb1) (local.get $k))))
                (local.set $s01 (i32x4.add (local.get $s01) (i32x4.dot_i16x8_s (local.get $a0) (local.get $bv))))
                (local.set $s11 (i32x4.add (local.get $s11) (i32x4.dot_i16x8_s (local.get $a1) (local.get $bv))))
                (local.set $bv (v128.load8x8_s (i32.add (local.get $rb2) (local.get $k))))
                (local.set $s02 (i32x4.add (local.get $s02) (i32x4.dot_i16x8_s (local.get $a0) (local.get $bv))))
                (local.set $s12 (i32x4.add (local.get $s12) (i32x4.dot_i16x8_s (local.get $a1) (local.get $bv))))
                (local.set $bv (v128.load8x8_s (i32.add (local.get $rb3) (local.get $k))))
                (local.set $s03 (i32x4.add (local.get $s03) (i32x4.dot_i16x8_s (local.get $a0) (local.get $bv))))
                (local.set $s13 (i32x4.add (local.get $s13) (i32x4.dot_i16x8_s (local.get $a1) (local.get $bv))))
                (local.set $k (i32.add (local.get $k) (i32.const 8)))
                (br $k_loop)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
            (call $store4 (local.get $o) (local.get $s00) (local.get $s01) (local.get $s02) (local.get $s03))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $cols) (i32.const 2))))
            (call $store4 (local.get $o) (local.get $s10) (local.get $s11) (local.get $s12) (local.get $s13))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $col_loop)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $row_loop))))
  ;; Store the lane sums of four accumulators as four consecutive i32.
  (func $store4 (param $p i32) (param $x v128) (param $y v128) (param $z v128) (param $w v128)
    (i32.store offset=0 (local.get $p) (call $hsum (local.get $x)))
    (i32.store offset=4 (local.get $p) (call $hsum (local.get $y)))
    (i32.store offset=8 (local.get $p) (call $hsum (local.get $z)))
    (i32.store offset=12 (local.get $p) (call $hsum (local.get $w))))
  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))))
