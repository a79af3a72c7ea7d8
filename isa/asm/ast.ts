/** The syntax tree of one assembly line, with source positions for error messages. */

export interface Pos {
  line: number;
  column: number;
  text: string;
}

export type Expr =
  | { kind: 'num'; value: number; pos: Pos }
  | { kind: 'ident'; name: string; pos: Pos }
  | { kind: 'neg'; arg: Expr; pos: Pos }
  | { kind: 'bin'; op: '+' | '-' | '*' | '|'; left: Expr; right: Expr; pos: Pos };

/** A directive argument: `@addr`, `key=value` or a plain expression. */
export type Item = { kind: 'at'; expr: Expr; pos: Pos } | { kind: 'keyed'; key: string; expr: Expr; pos: Pos } | { kind: 'plain'; expr: Expr; pos: Pos };

export interface Operand {
  key: string;
  expr: Expr;
  pos: Pos;
}

export interface Line {
  label?: { name: string; pos: Pos };
  instruction?: { mnemonic: string; operands: Operand[]; pos: Pos };
  directive?: { name: string; items: Item[]; pos: Pos };
}
