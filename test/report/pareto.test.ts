/** The Pareto front against its definition, on drawn point sets (ties and duplicates included). */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { type Point2, paretoFront } from '../../report/pareto.js';

/** q dominates p: no worse in both figures, better in one. */
const dominates = (q: Point2, p: Point2): boolean => q.x <= p.x && q.y <= p.y && (q.x < p.x || q.y < p.y);

describe('Pareto front', () => {
  it('is exactly the points no other point dominates', () => {
    const point = fc.record({ x: fc.integer({ min: 0, max: 12 }), y: fc.integer({ min: 0, max: 12 }) });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 40 }), (pts) => {
        const front = paretoFront(pts);
        pts.forEach((p, i) => assert.equal(front.has(i), !pts.some((q) => dominates(q, p)), `point ${i} ${JSON.stringify(p)} of ${JSON.stringify(pts)}`));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a lone point and every copy of a point on the front', () => {
    assert.deepEqual([...paretoFront([{ x: 3, y: 4 }])], [0]);
    assert.deepEqual(
      [
        ...paretoFront([
          { x: 1, y: 1 },
          { x: 2, y: 0 },
          { x: 1, y: 1 },
          { x: 2, y: 2 },
        ]),
      ].sort(),
      [0, 1, 2],
    );
  });
});
