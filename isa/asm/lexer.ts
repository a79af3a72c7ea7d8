/** Tokens of the assembly language. Newlines end statements; `;` and `//` start comments. */
import { Lexer, createToken, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /(?:;|\/\/)[^\n]*/, group: Lexer.SKIPPED });
export const Newline = createToken({ name: 'Newline', pattern: /\n/, line_breaks: true });
export const Directive = createToken({ name: 'Directive', pattern: /\.[A-Za-z_][A-Za-z0-9_]*/ });
export const NumberLit = createToken({ name: 'NumberLit', pattern: /0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*/ });
export const Ident = createToken({ name: 'Ident', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const At = createToken({ name: 'At', pattern: /@/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/ });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Comment,
  Newline,
  Directive,
  NumberLit,
  Ident,
  Colon,
  Comma,
  Equals,
  At,
  LParen,
  RParen,
  Plus,
  Minus,
  Star,
  Pipe,
];

export const asmLexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });
