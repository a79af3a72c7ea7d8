/**
 * A small, seeded, platform-independent random source for synthetic models: a Weyl sequence mixed by
 * a 32-bit finaliser (integer ops only, so every Node version gives the same stream).
 */

function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over a label, so each tensor has its own stream whatever the generation order. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number, label: string) {
    this.state = mix32((seed >>> 0) ^ mix32(hashLabel(label) + 0x9e3779b9)) | 0;
  }

  /** uniform uint32 */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state);
  }

  /** uniform in [0, 1) with 32 random bits */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** approximately standard normal (Irwin–Hall of 4 uniforms, rescaled): no transcendental functions */
  gauss(): number {
    return (this.uniform() + this.uniform() + this.uniform() + this.uniform() - 2) * Math.sqrt(3);
  }

  /** integer uniform in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }
}
