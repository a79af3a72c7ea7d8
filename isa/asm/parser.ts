/** chevrotain parser for one line of assembly: `[label:] [mnemonic key=expr, ... | .directive item, ...]`. */
import { EmbeddedActionsParser, type IToken } from 'chevrotain';
import { ALL_TOKENS, At, Colon, Comma, Directive, Equals, Ident, LParen, Minus, Newline, NumberLit, Pipe, Plus, RParen, Star } from './lexer.js';
import type { Expr, Item, Line, Operand, Pos } from './ast.js';

function posOf(t: IToken): Pos {
  return { line: t.startLine ?? 0, column: t.startColumn ?? 0, text: t.image };
}

/** Value of a number literal; NaN when it is not a safe integer (reported by the assembler). */
export function numberValue(image: string): number {
  const s = image.replace(/_/g, '');
  if (/^0[xX]/.test(s)) return s.length > 2 ? safeOrNaN(BigInt(s)) : NaN;
  if (/^0[bB]/.test(s)) return s.length > 2 ? safeOrNaN(BigInt(s)) : NaN;
  return safeOrNaN(BigInt(s));
}

function safeOrNaN(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : NaN;
}

class LineParser extends EmbeddedActionsParser {
  constructor() {
    super(ALL_TOKENS, { recoveryEnabled: false, maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  public line = this.RULE('line', (): Line => {
    const out: Line = {};
    this.OPTION({
      GATE: () => this.LA(2).tokenType === Colon,
      DEF: () => {
        const t = this.CONSUME(Ident);
        this.CONSUME(Colon);
        out.label = { name: t.image, pos: posOf(t) };
      },
    });
    this.OPTION2(() => {
      this.OR([
        {
          ALT: () => {
            out.directive = this.SUBRULE(this.directive);
          },
        },
        {
          ALT: () => {
            out.instruction = this.SUBRULE(this.instruction);
          },
        },
      ]);
    });
    this.OPTION3(() => this.CONSUME(Newline));
    return out;
  });

  private directive = this.RULE('directive', (): NonNullable<Line['directive']> => {
    const t = this.CONSUME(Directive);
    const items: Item[] = [];
    this.OPTION(() => {
      items.push(this.SUBRULE(this.item));
      this.MANY(() => {
        this.CONSUME(Comma);
        items.push(this.SUBRULE2(this.item));
      });
    });
    return { name: t.image, items, pos: posOf(t) };
  });

  private item = this.RULE('item', (): Item => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(At);
          return { kind: 'at' as const, expr: this.SUBRULE(this.expr), pos: posOf(t) };
        },
      },
      {
        GATE: () => this.LA(2).tokenType === Equals,
        ALT: () => {
          const k = this.CONSUME(Ident);
          this.CONSUME(Equals);
          return { kind: 'keyed' as const, key: k.image, expr: this.SUBRULE2(this.expr), pos: posOf(k) };
        },
      },
      {
        ALT: () => {
          const e = this.SUBRULE3(this.expr);
          return { kind: 'plain' as const, expr: e, pos: e?.pos };
        },
      },
    ]);
  });

  private instruction = this.RULE('instruction', (): NonNullable<Line['instruction']> => {
    const t = this.CONSUME(Ident);
    const operands: Operand[] = [];
    this.OPTION(() => {
      operands.push(this.SUBRULE(this.operand));
      this.MANY(() => {
        this.CONSUME(Comma);
        operands.push(this.SUBRULE2(this.operand));
      });
    });
    return { mnemonic: t.image, operands, pos: posOf(t) };
  });

  private operand = this.RULE('operand', (): Operand => {
    const k = this.CONSUME(Ident);
    this.CONSUME(Equals);
    const e = this.SUBRULE(this.expr);
    return { key: k.image, expr: e, pos: posOf(k) };
  });

  private expr = this.RULE('expr', (): Expr => {
    let left = this.SUBRULE(this.sum);
    this.MANY(() => {
      const op = this.CONSUME(Pipe);
      const right = this.SUBRULE2(this.sum);
      left = { kind: 'bin', op: '|', left, right, pos: posOf(op) };
    });
    return left;
  });

  private sum = this.RULE('sum', (): Expr => {
    let left = this.SUBRULE(this.product);
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(Plus) }, { ALT: () => this.CONSUME(Minus) }]);
      const right = this.SUBRULE2(this.product);
      left = { kind: 'bin', op: op.image === '+' ? '+' : '-', left, right, pos: posOf(op) };
    });
    return left;
  });

  private product = this.RULE('product', (): Expr => {
    let left = this.SUBRULE(this.unary);
    this.MANY(() => {
      const op = this.CONSUME(Star);
      const right = this.SUBRULE2(this.unary);
      left = { kind: 'bin', op: '*', left, right, pos: posOf(op) };
    });
    return left;
  });

  private unary = this.RULE('unary', (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(Minus);
          return { kind: 'neg' as const, arg: this.SUBRULE(this.unary), pos: posOf(t) };
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  private primary = this.RULE('primary', (): Expr => {
    return this.OR([
      {
        ALT: () => {
          const t = this.CONSUME(NumberLit);
          return { kind: 'num' as const, value: this.ACTION(() => numberValue(t.image)), pos: posOf(t) };
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(Ident);
          return { kind: 'ident' as const, name: t.image, pos: posOf(t) };
        },
      },
      {
        ALT: () => {
          this.CONSUME(LParen);
          const e = this.SUBRULE(this.expr);
          this.CONSUME(RParen);
          return e;
        },
      },
    ]);
  });
}

/** One shared instance: chevrotain parsers are built once and fed many inputs. */
export const lineParser = new LineParser();
