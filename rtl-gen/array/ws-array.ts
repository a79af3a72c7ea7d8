/**
 * The weight-stationary systolic array with the sequencer that runs one whole `gemm` instruction (every fold),
 * generated for the accelerator configuration's rows × cols. The protocol is the one of sim/array/detailed.ts,
 * register for register:
 *   - PE(r,c) holds an active weight and a shadow weight, each with a one-bit fold tag (the fold's parity); an
 *     activation arriving with a tag that differs from the active one swaps the shadow in, in the same cycle;
 *   - column c's loader shifts R weights down the shadow chain during [L_f + c, L_f + c + R); L_0 = 0 and
 *     L_{f+1} = s_f + R (the cycle after PE(R−1,0) took fold f's weights);
 *   - fold f streams M' = m·passes rows of A from s_0 = R, s_{f+1} = s_f + max(M', 2R); row r of the array
 *     is skewed by r cycles (a tag delay line), partial sums move down and leave the bottom row into the
 *     accumulator memory (init zero / acc / bias on a value's first contribution, A's int16 high pass ×256).
 * Cycle 0 is the cycle after the one `start` is sampled in; `cycles` counts the clock edges from there to the
 * one that writes the last result, which is what arrayTiming() and detailedArray() call the gemm's cycles.
 * Memories are outside: R scratchpad read ports for A, C for B, C accumulator read ports and C write ports,
 * all read combinationally (the bench's memories are behavioural).
 */
import {
  ARRAY_AW,
  ARRAY_DW,
  ARRAY_TW as TW,
  type ArrayGeometry,
  type GeneratedArray,
  emitARead,
  emitAccWrite,
  emitArrayHead,
  emitArrayTail,
  emitBRead,
  emitLatchFields,
  range,
} from './gemm-io.js';

export function wsArrayName(g: ArrayGeometry): string {
  return `ivit_array_ws_${g.rows}x${g.cols}`;
}

export function buildWsArray(g: ArrayGeometry): GeneratedArray {
  const R = g.rows;
  const C = g.cols;
  const AW = ARRAY_AW;
  const DW = ARRAY_DW;
  const top = wsArrayName(g);
  const D = R + C; // tag delay line D[0..R+C-1]: D[0] is the row-0 injection tag, D[R+c] the bottom of column c
  const L: string[] = [];
  const p = (s: string): void => {
    L.push(s);
  };
  emitArrayHead(p, top, `rtl-gen/array/ws-array.ts (weight-stationary ${R}×${C} array and gemm sequencer)`, g);
  p(`  reg [${TW - 1}:0] r_rows;  // M' = m·passes`);
  p(`  reg [${TW - 1}:0] r_step;  // max(M', 2R)`);
  p(`  reg [${DW - 1}:0] r_ktl;   // k tiles − 1`);
  p(`  reg [${DW - 1}:0] r_ntl;   // n tiles − 1`);
  p(`  wire [${TW - 1}:0] u = cycles + ${TW}'d1; // the stream sequencer runs one cycle ahead: it prepares cycle u's registers`);
  // Start-time values.
  p(`  wire [${TW - 1}:0] s_rows = f_a16 ? {${TW - DW - 1}'d0, f_m, 1'b0} : {${TW - DW}'d0, f_m};`);
  p(`  wire [${DW - 1}:0] s_ktl = (f_k - ${DW}'d1) / ${DW}'d${R}; // k tiles − 1 (k ≥ 1)`);
  p(`  wire [${DW - 1}:0] s_ntl = (f_n - ${DW}'d1) / ${DW}'d${C};`);
  // Stream sequencer state.
  p(`  reg [${TW - 1}:0] sCur;`);
  p(`  reg [${DW - 1}:0] kt_s, jt_s;`);
  p(`  reg [${DW - 1}:0] k0_s, j0_s;`);
  p('  reg par_s, pass_s;');
  p(`  reg [${TW - 1}:0] rowCnt;`);
  p(`  reg [${DW - 1}:0] rowI;`);
  p(`  reg [${AW - 1}:0] aoff_s, cadRow_s;`);
  p(`  wire last_s = (kt_s == r_ktl) && (jt_s == r_ntl);`);
  p(`  wire inj = busy && (u >= sCur) && (rowCnt < r_rows);`);
  p(`  wire streamDone = last_s && (rowCnt == r_rows);`);
  p(`  wire [${TW - 1}:0] nextStart = sCur + r_step;`);
  p(`  wire [${TW - 1}:0] uRel = u - sCur;`);
  p(`  wire loadNext = busy && !last_s && (u >= sCur) && (uRel == ${TW}'d${R});`);
  p(`  wire advance = busy && !last_s && (u + ${TW}'d1 == nextStart);`);
  p(`  wire kwrap_s = (kt_s == r_ktl);`);
  // Loader state.
  p('  reg lact, lpar;');
  p(`  reg [${DW - 1}:0] lp, lk0, lj0;`);
  p(`  reg [${AW - 1}:0] ljb, lqb;`);
  // Next fold's loader parameters (the fold after the streaming one).
  p(`  wire [${DW - 1}:0] nk0 = kwrap_s ? ${DW}'d0 : k0_s + ${DW}'d${R};`);
  p(`  wire [${DW - 1}:0] nj0 = kwrap_s ? j0_s + ${DW}'d${C} : j0_s;`);
  p(`  reg [${AW - 1}:0] jb_s, kb_s; // j0·bstride and k0·bstep of the streaming fold`);
  p(`  wire [${AW - 1}:0] njb = kwrap_s ? jb_s + ${AW}'d${C} * {${AW - DW}'d0, r_bstride} : jb_s;`);
  p(`  wire [${AW - 1}:0] nkb = kwrap_s ? ${AW}'d0 : kb_s + ${AW}'d${R} * {${AW - DW}'d0, r_bstep};`);
  p(`  wire [${AW - 1}:0] bstepTop = ${AW}'d${R - 1} * {${AW - DW}'d0, r_bstep};`);
  p(`  wire [${AW - 1}:0] fbstepTop = ${AW}'d${R - 1} * {${AW - DW}'d0, f_bstep};`);
  // Tag delay line for the stream.
  p(`  reg d_v [0:${D - 1}];`);
  p(`  reg d_par [0:${D - 1}];`);
  p(`  reg d_pass [0:${D - 1}];`);
  p(`  reg d_first [0:${D - 1}];`);
  p(`  reg [${AW - 1}:0] d_aoff [0:${D - 1}];`);
  p(`  reg [${DW - 1}:0] d_k0 [0:${D - 1}];`);
  p(`  reg [${AW - 1}:0] d_cad [0:${D - 1}];`);
  p(`  reg [${DW - 1}:0] d_j [0:${D - 1}];`);
  // D[0] is combinational: write it with an always block.
  p('  always @* begin');
  p('    d_v[0] = inj;');
  p('    d_par[0] = par_s;');
  p('    d_pass[0] = pass_s;');
  p(`    d_first[0] = (kt_s == ${DW}'d0) && !pass_s;`);
  p('    d_aoff[0] = aoff_s;');
  p('    d_k0[0] = k0_s;');
  p(`    d_cad[0] = cadRow_s + {${AW - DW}'d0, j0_s};`);
  p('    d_j[0] = j0_s;');
  p('  end');
  // Loader delay line.
  p(`  reg ld_v [0:${C - 1}];`);
  p(`  reg ld_par [0:${C - 1}];`);
  p(`  reg [${DW - 1}:0] ld_q [0:${C - 1}];`);
  p(`  reg [${DW - 1}:0] ld_j [0:${C - 1}];`);
  p(`  reg [${AW - 1}:0] ld_addr [0:${C - 1}];`);
  p('  always @* begin');
  p('    ld_v[0] = busy && lact;');
  p('    ld_par[0] = lpar;');
  p(`    ld_q[0] = lk0 + ${DW}'d${R - 1} - lp;`);
  p('    ld_j[0] = lj0;');
  p('    ld_addr[0] = r_b + ljb + lqb;');
  p('  end');
  // PE registers.
  p(`  reg signed [8:0] pe_a [0:${R * C - 1}];`);
  p(`  reg pe_av [0:${R * C - 1}];`);
  p(`  reg pe_apar [0:${R * C - 1}];`);
  p(`  reg signed [7:0] pe_w [0:${R * C - 1}];`);
  p(`  reg pe_wpar [0:${R * C - 1}];`);
  p(`  reg signed [7:0] pe_sh [0:${R * C - 1}];`);
  p(`  reg pe_shpar [0:${R * C - 1}];`);
  p(`  reg signed [31:0] pe_ps [0:${R * C - 1}];`);
  p(`  wire signed [31:0] pe_next [0:${R * C - 1}];`);
  p(`  wire signed [7:0] pe_weff [0:${R * C - 1}];`);
  p(`  wire pe_swap [0:${R * C - 1}];`);
  for (const r of range(R)) {
    for (const c of range(C)) {
      const x = r * C + c;
      const above = r === 0 ? "32'sd0" : `pe_ps[${x - C}]`;
      p(`  assign pe_swap[${x}] = pe_av[${x}] && (pe_apar[${x}] != pe_wpar[${x}]);`);
      p(`  assign pe_weff[${x}] = pe_swap[${x}] ? pe_sh[${x}] : pe_w[${x}];`);
      p(`  wire signed [17:0] prod_${x} = pe_a[${x}] * $signed({pe_weff[${x}][7], pe_weff[${x}]});`);
      p(`  assign pe_next[${x}] = ${above} + {{14{prod_${x}[17]}}, prod_${x}};`);
    }
  }
  // A reads: row r reads with tag D[r].
  p(`  wire signed [8:0] a_val [0:${R - 1}];`);
  for (const r of range(R)) {
    p(`  wire [${DW - 1}:0] aq_${r} = d_k0[${r}] + ${DW}'d${r};`);
    p(`  wire [${AW - 1}:0] ael_${r} = d_aoff[${r}] + {${AW - DW}'d0, aq_${r}};`);
    emitARead(p, r, { el: `ael_${r}`, pass: `d_pass[${r}]`, zeroWhen: `aq_${r} >= r_k` });
  }
  // B reads: column c with loader tag LD[c].
  p(`  wire signed [7:0] b_val [0:${C - 1}];`);
  for (const c of range(C)) {
    emitBRead(p, c, `ld_addr[${c}]`, `ld_q[${c}] >= r_k || ld_j[${c}] >= r_n`);
  }
  // Bottom-row writes.
  p(`  wire live [0:${C - 1}];`);
  p(`  wire more [0:${C - 1}]; // the tag at the bottom of column c still has a live column to its right`);
  for (const c of range(C)) {
    const t = R + c;
    const x = (R - 1) * C + c;
    p(`  assign live[${c}] = d_v[${t}] && (d_j[${t}] < r_n);`);
    p(c + 1 < C ? `  assign more[${c}] = d_v[${t}] && (d_j[${t}] + ${DW}'d1 < r_n);` : `  assign more[${c}] = 1'b0;`);
    emitAccWrite(p, c, {
      first: `d_first[${t}]`,
      j: `d_j[${t}]`,
      addr: `d_cad[${t}]`,
      contrib: `d_pass[${t}] ? {pe_next[${x}][23:0], 8'd0} : pe_next[${x}]`,
      we: `live[${c}]`,
    });
  }
  const orOf = (xs: string[]): string => (xs.length === 0 ? "1'b0" : xs.join(' || '));
  p(`  wire anyWrite = ${orOf(range(C).map((c) => `live[${c}]`))};`);
  p(`  wire pending = !streamDone || ${orOf(range(R - 1).map((k) => `d_v[${k + 1}]`))} || ${orOf(range(C).map((c) => `more[${c}]`))};`);
  p('  wire finish = busy && anyWrite && !pending;');
  // Sequential logic.
  p('  always @(posedge clk) begin');
  p("    done <= 1'b0;");
  p('    if (start && !busy) begin');
  emitLatchFields(p);
  p('      r_rows <= s_rows;');
  p(`      r_step <= (s_rows > ${TW}'d${2 * R}) ? s_rows : ${TW}'d${2 * R};`);
  p('      r_ktl <= s_ktl;');
  p('      r_ntl <= s_ntl;');
  p("      busy <= 1'b1;");
  p(`      cycles <= ${TW}'d0;`);
  p(`      sCur <= ${TW}'d${R};`);
  p(`      kt_s <= ${DW}'d0; jt_s <= ${DW}'d0; k0_s <= ${DW}'d0; j0_s <= ${DW}'d0;`);
  p(`      jb_s <= ${AW}'d0; kb_s <= ${AW}'d0;`);
  p(`      par_s <= 1'b0; pass_s <= 1'b0; rowCnt <= ${TW}'d0; rowI <= ${DW}'d0;`);
  p(`      aoff_s <= ${AW}'d0; cadRow_s <= f_c;`);
  p(`      lact <= 1'b1; lpar <= 1'b0; lp <= ${DW}'d0; lk0 <= ${DW}'d0; lj0 <= ${DW}'d0;`);
  p(`      ljb <= ${AW}'d0; lqb <= fbstepTop;`);
  for (const x of range(R * C)) p(`      pe_wpar[${x}] <= 1'b1;`);
  p('    end else if (busy) begin');
  p(`      cycles <= cycles + ${TW}'d1;`);
  p("      if (finish) begin busy <= 1'b0; done <= 1'b1; end");
  // stream rows
  p('      if (advance) begin');
  p('        sCur <= nextStart;');
  p(`        rowCnt <= ${TW}'d0; rowI <= ${DW}'d0; pass_s <= 1'b0; aoff_s <= ${AW}'d0; cadRow_s <= r_c;`);
  p('        par_s <= !par_s;');
  p(`        if (kwrap_s) begin kt_s <= ${DW}'d0; jt_s <= jt_s + ${DW}'d1; end else kt_s <= kt_s + ${DW}'d1;`);
  p('        k0_s <= nk0; j0_s <= nj0; jb_s <= njb; kb_s <= nkb;');
  p('      end else if (inj) begin');
  p(`        rowCnt <= rowCnt + ${TW}'d1;`);
  p(`        if (rowI == r_m - ${DW}'d1) begin rowI <= ${DW}'d0; pass_s <= 1'b1; aoff_s <= ${AW}'d0; cadRow_s <= r_c; end`);
  p(`        else begin rowI <= rowI + ${DW}'d1; aoff_s <= aoff_s + {${AW - DW}'d0, r_astride}; cadRow_s <= cadRow_s + {${AW - DW}'d0, r_cstride}; end`);
  p('      end');
  // loader
  p('      if (loadNext) begin');
  p(`        lact <= 1'b1; lpar <= !par_s; lp <= ${DW}'d0; lk0 <= nk0; lj0 <= nj0; ljb <= njb; lqb <= nkb + bstepTop;`);
  p('      end else if (lact) begin');
  p(`        if (lp == ${DW}'d${R - 1}) lact <= 1'b0;`);
  p(`        lp <= lp + ${DW}'d1; lqb <= lqb - {${AW - DW}'d0, r_bstep};`);
  p('      end');
  p('    end');
  // delay lines (always shift)
  for (let k = 1; k < D; k++) {
    const hop = k > R; // moving right along the bottom row: next column
    p(`    d_v[${k}] <= d_v[${k - 1}] && busy; d_par[${k}] <= d_par[${k - 1}]; d_pass[${k}] <= d_pass[${k - 1}]; d_first[${k}] <= d_first[${k - 1}];`);
    p(`    d_aoff[${k}] <= d_aoff[${k - 1}]; d_k0[${k}] <= d_k0[${k - 1}];`);
    p(
      hop
        ? `    d_cad[${k}] <= d_cad[${k - 1}] + ${AW}'d1; d_j[${k}] <= d_j[${k - 1}] + ${DW}'d1;`
        : `    d_cad[${k}] <= d_cad[${k - 1}]; d_j[${k}] <= d_j[${k - 1}];`,
    );
  }
  for (let c = 1; c < C; c++) {
    p(`    ld_v[${c}] <= ld_v[${c - 1}] && busy; ld_par[${c}] <= ld_par[${c - 1}]; ld_q[${c}] <= ld_q[${c - 1}];`);
    p(`    ld_j[${c}] <= ld_j[${c - 1}] + ${DW}'d1; ld_addr[${c}] <= ld_addr[${c - 1}] + {${AW - DW}'d0, r_bstride};`);
  }
  // PEs
  for (const r of range(R)) {
    for (const c of range(C)) {
      const x = r * C + c;
      if (c === 0) p(`    pe_a[${x}] <= d_v[${r}] ? a_val[${r}] : 9'sd0; pe_av[${x}] <= d_v[${r}]; pe_apar[${x}] <= d_par[${r}];`);
      else p(`    pe_a[${x}] <= pe_a[${x - 1}]; pe_av[${x}] <= pe_av[${x - 1}]; pe_apar[${x}] <= pe_apar[${x - 1}];`);
      p(`    if (pe_swap[${x}]) begin pe_w[${x}] <= pe_sh[${x}]; pe_wpar[${x}] <= pe_shpar[${x}]; end`);
      if (r === 0) p(`    if (ld_v[${c}]) begin pe_sh[${x}] <= b_val[${c}]; pe_shpar[${x}] <= ld_par[${c}]; end`);
      else p(`    if (ld_v[${c}]) begin pe_sh[${x}] <= pe_sh[${x - C}]; pe_shpar[${x}] <= pe_shpar[${x - C}]; end`);
      p(`    pe_ps[${x}] <= pe_next[${x}];`);
    }
  }
  p('  end');
  emitArrayTail(p);
  return { top, files: new Map([[`${top}.v`, L.join('\n') + '\n']]), geometry: { rows: R, cols: C } };
}
