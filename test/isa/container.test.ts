import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ContainerError, readContainer, writeContainer, type ProgramImage } from '../../isa/container.js';
import { assemble } from '../../isa/asm/assembler.js';
import { crc32, crc32Table } from '../../isa/crc32.js';

const SOURCE = `
.equ N, 8
.rand @0x10, i8, count=N*N, seed=4
.data @0x100, i32, 1073741824, 39
start:
    load dram=0x10, dstride=N, local=0, lstride=N, rows=N, bytes=N, signal=s0
    gemm wait=s0, a=0, astride=N, b=0, bstride=N, c=0, cstride=N, m=N, n=N, k=N
`;

function image(): ProgramImage {
  const p = assemble(SOURCE);
  return { words: p.words, dram: p.dram, symbols: p.symbols };
}

describe('program container', () => {
  it('CRC-32 is the IEEE one (check value of "123456789"), natively and by table', () => {
    const data = new TextEncoder().encode('123456789');
    assert.equal(crc32(data), 0xcbf43926);
    assert.equal(crc32Table(data), 0xcbf43926);
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff);
    assert.equal(crc32(big, 10, 99_000), crc32Table(big, 10, 99_000));
  });

  it('round-trips words, DRAM image and symbols', () => {
    const img = image();
    const back = readContainer(writeContainer(img));
    assert.deepEqual(back.words, img.words);
    assert.deepEqual(
      back.dram.map((s) => [s.addr, Array.from(s.bytes)]),
      img.dram.map((s) => [s.addr, Array.from(s.bytes)]),
    );
    assert.deepEqual(back.symbols, img.symbols);
  });

  it('rejects bad magic, versions, truncation, trailing bytes and checksum errors with a clear message', () => {
    const bytes = writeContainer(image());
    const bad = Uint8Array.from(bytes);
    bad[0] = 0x41;
    assert.throws(() => readContainer(bad, 'x.ivp'), /x\.ivp: not a program container \(bad magic/);
    const ver = Uint8Array.from(bytes);
    ver[8] = 9;
    assert.throws(() => readContainer(ver), /unsupported container version 9/);
    assert.throws(() => readContainer(bytes.subarray(0, bytes.length - 7)), /truncated: header says \d+ bytes, file has \d+/);
    assert.throws(() => readContainer(bytes.subarray(0, 5)), /truncated: 5 bytes/);
    assert.throws(() => readContainer(Uint8Array.from([...bytes, 0])), /unexpected bytes after the end/);
    const flip = Uint8Array.from(bytes);
    flip[40] = flip[40]! ^ 1;
    assert.throws(() => readContainer(flip), /checksum mismatch .*corrupt/);
  });

  it('any single corrupted byte or truncation is rejected (never a silently different program)', () => {
    const bytes = writeContainer(image());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const c = Uint8Array.from(bytes);
        c[at] = c[at]! ^ x;
        assert.throws(() => readContainer(c), ContainerError);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (len) => {
        assert.throws(() => readContainer(bytes.subarray(0, len)), ContainerError);
      }),
      { numRuns: 200 },
    );
  });
});
