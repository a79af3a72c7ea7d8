/**
 * The hash that names a tensor's exact contents across tools: SHA-256 over its values as little-endian
 * int32 (every hashed tensor of the forward pass fits int32), hex, first 16 characters.
 * The PyTorch reference computes the same (verify/torch).
 */
import { createHash } from 'node:crypto';
import { WidthOverflowError } from './intmath.js';

export function tensorHash(data: ArrayLike<number>, name = 'tensor'): string {
  const buf = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= -2147483648 && v <= 2147483647) || !Number.isInteger(v)) throw new WidthOverflowError('tensor hash', name, v, 32, true);
    buf.writeInt32LE(v, i * 4);
  }
  return createHash('sha256').update(buf).digest('hex').slice(0, 16);
}
