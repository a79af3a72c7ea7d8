/**
 * The `.rand` directive's generator: mulberry32, a 32-bit PRNG with a fixed definition so that a seed always
 * yields the same DRAM image. Values are min + (u32 mod (max − min + 1)).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomInts(count: number, seed: number, min: number, max: number): number[] {
  const next = mulberry32(seed);
  const span = max - min + 1;
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = min + (next() % span);
  return out;
}
