/**
 * The output-stationary systolic array with the sequencer that runs one whole `gemm` instruction (every output
 * tile: row tiles outer, column tiles inner), generated for the accelerator configuration's rows × cols. The
 * protocol is the one of sim/array/detailed.ts (detailedOs), register for register:
 *   - PE(r,c) accumulates C[i0+r][j0+c]; A enters row r from the left, B column c from the top, both skewed, so
 *     PE(r,c) takes pair q (q < K' = k·passes; pass 0 the low bytes of int16 A, pass 1 the high bytes ×256) at
 *     s_t + q + r + c. A carries the pair's first / last / pass flags; rows and columns outside the tile get no
 *     operands (their PEs do nothing);
 *   - tile t's PEs are all done at D_t = s_t + K' + ru + cu − 2; on its last pair a PE deposits its sum into its
 *     output register, and the column's R output registers shift down into the accumulator during [D_t, D_t + R)
 *     (the bottom one first; init zero / acc / bias applied as each value is written, once);
 *   - s_0 = 0 and s_{t+1} = D_t + max(0, R − K'), so that a tile's deposits never meet the previous drain.
 * Two tile walkers run the same tile order: the stream walker (addresses of A and B, start times) and, behind it,
 * the drain walker (C addresses, drain times). Row r and column c read their operands through one tag delay line
 * of max(R, C) stages (the tag at stage s steps its A address by astride and its B address by bstride).
 * Cycle 0 is the cycle after the one `start` is sampled in; pair 0 is read in that start cycle (from the incoming
 * fields) so that PE(0,0) holds it in cycle 0, as the models have it; `cycles` counts the clock edges from cycle
 * 0 to the one that writes the last result, which is what arrayTiming() and detailedArray() call the gemm's cycles.
 */
import {
  ARRAY_AW,
  ARRAY_DW,
  ARRAY_TW as TW,
  type ArrayGeometry,
  type Emit,
  type GeneratedArray,
  emitARead,
  emitAccWrite,
  emitArrayHead,
  emitArrayTail,
  emitBRead,
  emitLatchFields,
  range,
} from './gemm-io.js';

export function osArrayName(g: ArrayGeometry): string {
  return `ivit_array_os_${g.rows}x${g.cols}`;
}

const AW = ARRAY_AW;
const DW = ARRAY_DW;

/** Zero-extend a DW-bit expression to `w` bits. */
const ext = (e: string, w: number): string => `{${w - DW}'d0, ${e}}`;

/**
 * One tile walker's position (prefix x: x_i0, x_j0) and what follows from it: rows and columns used (x_ru, x_cu),
 * whether the tile is the last of its row of tiles (x_jwrap) and of the gemm (x_last), and the next tile's i0, j0.
 */
function emitTileWalker(p: Emit, x: string, R: number, C: number): void {
  p(`  reg [${DW - 1}:0] ${x}_i0, ${x}_j0;`);
  p(`  wire [${DW - 1}:0] ${x}_ml = r_m - ${x}_i0; // rows left`);
  p(`  wire [${DW - 1}:0] ${x}_nl = r_n - ${x}_j0; // columns left`);
  p(`  wire [${DW - 1}:0] ${x}_ru = (${x}_ml >= ${DW}'d${R}) ? ${DW}'d${R} : ${x}_ml;`);
  p(`  wire [${DW - 1}:0] ${x}_cu = (${x}_nl >= ${DW}'d${C}) ? ${DW}'d${C} : ${x}_nl;`);
  p(`  wire ${x}_jwrap = (${x}_nl <= ${DW}'d${C});`);
  p(`  wire ${x}_last = ${x}_jwrap && (${x}_ml <= ${DW}'d${R});`);
  p(`  wire [${DW - 1}:0] ${x}_ni0 = ${x}_jwrap ? ${x}_i0 + ${DW}'d${R} : ${x}_i0;`);
  p(`  wire [${DW - 1}:0] ${x}_nj0 = ${x}_jwrap ? ${DW}'d0 : ${x}_j0 + ${DW}'d${C};`);
}

export function buildOsArray(g: ArrayGeometry): GeneratedArray {
  const R = g.rows;
  const C = g.cols;
  if (!Number.isInteger(R) || !Number.isInteger(C) || R < 2 || C < 1)
    throw new RangeError(`os-array: rows must be an integer ≥ 2 and cols ≥ 1, got ${R}×${C} (one row would need its next tile in the start cycle)`);
  const top = osArrayName(g);
  const S = Math.max(R, C); // tag delay line t_*[0..S-1]: stage s feeds row s's A read and column s's B read
  const L: string[] = [];
  const p: Emit = (s) => {
    L.push(s);
  };
  emitArrayHead(p, top, `rtl-gen/array/os-array.ts (output-stationary ${R}×${C} array and gemm sequencer)`, g);
  const w2 = `${TW}'d2`;
  // Derived from the latched fields (and, for the start edge, from the incoming ones).
  p(`  wire [${TW - 1}:0] kd = r_a16 ? {${TW - DW - 1}'d0, r_k, 1'b0} : ${ext('r_k', TW)}; // K' = k·passes`);
  p(`  wire [${TW - 1}:0] kr = (kd > ${TW}'d${R}) ? kd : ${TW}'d${R}; // max(K', R): a tile's stream plus its gap`);
  p(`  wire [${TW - 1}:0] f_kd = f_a16 ? {${TW - DW - 1}'d0, f_k, 1'b0} : ${ext('f_k', TW)};`);
  p(`  wire [${DW - 1}:0] f_ru = (f_m >= ${DW}'d${R}) ? ${DW}'d${R} : f_m;`);
  p(`  wire [${DW - 1}:0] f_cu = (f_n >= ${DW}'d${C}) ? ${DW}'d${C} : f_n;`);
  p(`  wire [${AW - 1}:0] cTop = ${AW}'d${R - 1} * ${ext('r_cstride', AW)}; // (R−1)·cstride: the bottom row of a tile`);
  p(`  wire [${AW - 1}:0] cTile = ${AW}'d${R} * ${ext('r_cstride', AW)};`);
  // The fields in force in the start cycle, where pair 0 is read (row 0, column 0) and shifted into stage 1.
  p('  wire x_a16 = busy ? r_a16 : f_a16;');
  p(`  wire [${AW - 1}:0] x_a = busy ? r_a : f_a;`);
  p(`  wire [${AW - 1}:0] x_b = busy ? r_b : f_b;`);
  p(`  wire [${DW - 1}:0] x_astride = busy ? r_astride : f_astride;`);
  p(`  wire [${DW - 1}:0] x_bstride = busy ? r_bstride : f_bstride;`);
  p(`  wire [${TW - 1}:0] u = cycles + ${TW}'d1; // the stream walker runs one cycle ahead: it prepares cycle u's registers`);

  // Stream walker.
  emitTileWalker(p, 's', R, C);
  p(`  reg [${TW - 1}:0] sCur;  // s_t`);
  p('  reg s_on, s_pass;       // pairs left in the tile; the pass of the next pair');
  p(`  reg [${DW - 1}:0] s_kk;  // the next pair's reduction index`);
  p(`  reg [${AW - 1}:0] s_aoff, s_boff, s_kb; // i0·astride, j0·bstride, kk·bstep`);
  p(`  wire [${TW - 1}:0] sNext = sCur + kr + ${ext('s_ru', TW)} + ${ext('s_cu', TW)} - ${w2}; // s_{t+1} = D_t + max(0, R − K')`);
  p(`  wire advance = busy && !s_last && (u + ${TW}'d1 == sNext);`);
  p('  wire inj = busy && s_on;');
  p(`  wire kEnd = (s_kk == r_k - ${DW}'d1);`);

  // Drain walker.
  emitTileWalker(p, 'd', R, C);
  p(`  reg [${TW - 1}:0] dStart; // D_t of the tile it drains`);
  p(`  reg [${AW - 1}:0] d_coff, d_addr; // i0·cstride; the C address of the row leaving the bottom, column 0`);
  p(`  wire dOn = busy && (cycles >= dStart);`);
  p(`  wire [${TW - 1}:0] dRel = cycles - dStart;`);
  p(`  wire dEnd = (dRel == ${TW}'d${R - 1});`);
  p(`  wire rowOk = (dRel + ${ext('d_ru', TW)} >= ${TW}'d${R}); // the leaving row R−1−dRel is inside C`);
  p(`  wire [${DW - 1}:0] d_nml = r_m - d_ni0;`);
  p(`  wire [${DW - 1}:0] d_nnl = r_n - d_nj0;`);
  p(`  wire [${DW - 1}:0] d_nru = (d_nml >= ${DW}'d${R}) ? ${DW}'d${R} : d_nml;`);
  p(`  wire [${DW - 1}:0] d_ncu = (d_nnl >= ${DW}'d${C}) ? ${DW}'d${C} : d_nnl;`);
  p(`  wire [${TW - 1}:0] dNext = dStart + kr + ${ext('d_nru', TW)} + ${ext('d_ncu', TW)} - ${w2}; // D_{t+1} = D_t + max(K', R) + ru' + cu' − 2`);
  p(`  wire [${AW - 1}:0] d_ncoff = d_jwrap ? d_coff + cTile : d_coff;`);
  p('  wire finish = dOn && dEnd && d_last;');

  // Tag delay line: stage 0 is the stream walker's pair (in the start cycle, pair 0 from the incoming fields).
  p(`  reg t_v [0:${S - 1}];`);
  p(`  reg t_pass [0:${S - 1}];`);
  p(`  reg t_first [0:${S - 1}];`);
  p(`  reg t_last [0:${S - 1}];`);
  p(`  reg [${AW - 1}:0] t_ael [0:${S - 1}]; // (i0 + s)·astride + kk`);
  p(`  reg [${AW - 1}:0] t_bel [0:${S - 1}]; // (j0 + s)·bstride + kk·bstep`);
  p(`  reg [${DW - 1}:0] t_ru [0:${S - 1}];`);
  p(`  reg [${DW - 1}:0] t_cu [0:${S - 1}];`);
  p('  always @* begin');
  p('    t_v[0] = busy ? s_on : start;');
  p('    t_pass[0] = busy && s_pass;');
  p(`    t_first[0] = !busy || (s_kk == ${DW}'d0 && !s_pass);`);
  p(`    t_last[0] = busy ? (kEnd && (s_pass == r_a16)) : (f_k == ${DW}'d1 && !f_a16);`);
  p(`    t_ael[0] = busy ? s_aoff + ${ext('s_kk', AW)} : ${AW}'d0;`);
  p(`    t_bel[0] = busy ? s_boff + s_kb : ${AW}'d0;`);
  p('    t_ru[0] = busy ? s_ru : f_ru;');
  p('    t_cu[0] = busy ? s_cu : f_cu;');
  p('  end');

  // Operand reads.
  p(`  wire signed [8:0] a_val [0:${R - 1}];`);
  for (const r of range(R)) {
    emitARead(p, r, { el: `t_ael[${r}]`, pass: `t_pass[${r}]`, ...(r === 0 ? { a16: 'x_a16', base: 'x_a' } : {}) });
    p(`  wire aOk_${r} = t_v[${r}] && (t_ru[${r}] > ${DW}'d${r});`);
  }
  p(`  wire signed [7:0] b_val [0:${C - 1}];`);
  for (const c of range(C)) {
    emitBRead(p, c, `${c === 0 ? 'x_b' : 'r_b'} + t_bel[${c}]`);
    p(`  wire bOk_${c} = t_v[${c}] && (t_cu[${c}] > ${DW}'d${c});`);
  }

  // PEs.
  const N = R * C;
  p(`  reg signed [8:0] pe_a [0:${N - 1}];`);
  p(`  reg pe_av [0:${N - 1}];`);
  p(`  reg pe_first [0:${N - 1}];`);
  p(`  reg pe_last [0:${N - 1}];`);
  p(`  reg pe_pass [0:${N - 1}];`);
  p(`  reg signed [7:0] pe_b [0:${N - 1}];`);
  p(`  reg pe_bv [0:${N - 1}];`);
  p(`  reg [31:0] pe_acc [0:${N - 1}];`);
  p(`  reg [31:0] pe_o [0:${N - 1}]; // output registers: column c's drain chain`);
  for (const x of range(N)) {
    p(`  wire signed [17:0] prod_${x} = pe_a[${x}] * $signed({pe_b[${x}][7], pe_b[${x}]});`);
    p(`  wire [31:0] term_${x} = pe_pass[${x}] ? {{6{prod_${x}[17]}}, prod_${x}, 8'd0} : {{14{prod_${x}[17]}}, prod_${x}};`);
    p(`  wire [31:0] sum_${x} = pe_first[${x}] ? term_${x} : pe_acc[${x}] + term_${x};`);
    p(`  wire act_${x} = pe_av[${x}] && pe_bv[${x}];`);
  }

  // Accumulator writes from the bottom output registers.
  for (const c of range(C)) {
    emitAccWrite(p, c, {
      first: "1'b1",
      j: `d_j0 + ${DW}'d${c}`,
      addr: `d_addr + ${AW}'d${c}`,
      contrib: `pe_o[${(R - 1) * C + c}]`,
      we: `dOn && rowOk && (d_cu > ${DW}'d${c})`,
    });
  }

  // Sequential logic.
  p('  always @(posedge clk) begin');
  p("    done <= 1'b0;");
  p('    if (start && !busy) begin');
  emitLatchFields(p);
  p("      busy <= 1'b1;");
  p(`      cycles <= ${TW}'d0;`);
  p(`      sCur <= ${TW}'d0; s_i0 <= ${DW}'d0; s_j0 <= ${DW}'d0; s_aoff <= ${AW}'d0; s_boff <= ${AW}'d0;`);
  p('      // pair 0 was read in this cycle');
  p(`      if (f_k == ${DW}'d1) begin s_kk <= ${DW}'d0; s_kb <= ${AW}'d0; s_pass <= f_a16; s_on <= f_a16; end`);
  p(`      else begin s_kk <= ${DW}'d1; s_kb <= ${ext('f_bstep', AW)}; s_pass <= 1'b0; s_on <= 1'b1; end`);
  p(`      dStart <= f_kd + ${ext('f_ru', TW)} + ${ext('f_cu', TW)} - ${w2};`);
  p(`      d_i0 <= ${DW}'d0; d_j0 <= ${DW}'d0; d_coff <= ${AW}'d0;`);
  p(`      d_addr <= f_c + ${AW}'d${R - 1} * ${ext('f_cstride', AW)};`);
  p('    end else if (busy) begin');
  p(`      cycles <= cycles + ${TW}'d1;`);
  p("      if (finish) begin busy <= 1'b0; done <= 1'b1; end");
  p('      if (advance) begin');
  p('        sCur <= sNext; s_i0 <= s_ni0; s_j0 <= s_nj0;');
  p(`        if (s_jwrap) begin s_aoff <= s_aoff + ${AW}'d${R} * ${ext('r_astride', AW)}; s_boff <= ${AW}'d0; end`);
  p(`        else s_boff <= s_boff + ${AW}'d${C} * ${ext('r_bstride', AW)};`);
  p(`        s_on <= 1'b1; s_kk <= ${DW}'d0; s_kb <= ${AW}'d0; s_pass <= 1'b0;`);
  p('      end else if (inj) begin');
  p(`        if (kEnd) begin s_kk <= ${DW}'d0; s_kb <= ${AW}'d0; if (s_pass == r_a16) s_on <= 1'b0; else s_pass <= 1'b1; end`);
  p(`        else begin s_kk <= s_kk + ${DW}'d1; s_kb <= s_kb + ${ext('r_bstep', AW)}; end`);
  p('      end');
  p('      if (dOn) begin');
  p('        if (dEnd) begin');
  p('          d_i0 <= d_ni0; d_j0 <= d_nj0; d_coff <= d_ncoff; dStart <= dNext;');
  p(`          d_addr <= r_c + d_ncoff + cTop + ${ext('d_nj0', AW)};`);
  p(`        end else d_addr <= d_addr - ${ext('r_cstride', AW)};`);
  p('      end');
  p('    end');
  // Tag delay line (stage 1 takes the start cycle's pair 0 with the incoming strides).
  for (let k = 1; k < S; k++) {
    const [as, bs] = k === 1 ? ['x_astride', 'x_bstride'] : ['r_astride', 'r_bstride'];
    p(
      `    t_v[${k}] <= t_v[${k - 1}] && (busy || start); t_pass[${k}] <= t_pass[${k - 1}]; t_first[${k}] <= t_first[${k - 1}]; t_last[${k}] <= t_last[${k - 1}];`,
    );
    p(`    t_ael[${k}] <= t_ael[${k - 1}] + ${ext(as, AW)}; t_bel[${k}] <= t_bel[${k - 1}] + ${ext(bs, AW)};`);
    p(`    t_ru[${k}] <= t_ru[${k - 1}]; t_cu[${k}] <= t_cu[${k - 1}];`);
  }
  for (const r of range(R)) {
    for (const c of range(C)) {
      const x = r * C + c;
      if (c === 0) {
        p(`    pe_a[${x}] <= aOk_${r} ? a_val[${r}] : 9'sd0; pe_av[${x}] <= aOk_${r};`);
        p(`    pe_first[${x}] <= t_first[${r}]; pe_last[${x}] <= t_last[${r}]; pe_pass[${x}] <= t_pass[${r}];`);
      } else {
        p(`    pe_a[${x}] <= pe_a[${x - 1}]; pe_av[${x}] <= pe_av[${x - 1}];`);
        p(`    pe_first[${x}] <= pe_first[${x - 1}]; pe_last[${x}] <= pe_last[${x - 1}]; pe_pass[${x}] <= pe_pass[${x - 1}];`);
      }
      if (r === 0) p(`    pe_b[${x}] <= bOk_${c} ? b_val[${c}] : 8'sd0; pe_bv[${x}] <= bOk_${c};`);
      else p(`    pe_b[${x}] <= pe_b[${x - C}]; pe_bv[${x}] <= pe_bv[${x - C}];`);
      p(`    if (act_${x}) pe_acc[${x}] <= sum_${x};`);
      p(`    if (act_${x} && pe_last[${x}]) pe_o[${x}] <= sum_${x}; else if (dOn) pe_o[${x}] <= ${r === 0 ? "32'd0" : `pe_o[${x - C}]`};`);
    }
  }
  p('  end');
  // Valid bits start clear (the shift registers carry no reset).
  p('  integer iv;');
  p(`  initial for (iv = 0; iv < ${N}; iv = iv + 1) begin pe_av[iv] = 1'b0; pe_bv[iv] = 1'b0; end`);
  emitArrayTail(p);
  return { top, files: new Map([[`${top}.v`, L.join('\n') + '\n']]), geometry: { rows: R, cols: C } };
}
