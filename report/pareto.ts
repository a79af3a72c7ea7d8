/** The Pareto front of points that minimise two figures (latency and area). */

export interface Point2 {
  x: number;
  y: number;
}

/**
 * Indices of the non-dominated points: no other point is at least as good in both figures and better in one.
 * Equal points are all on the front. O(n log n): sort by x, then keep the points that lower the best y so far.
 */
export function paretoFront(points: readonly Point2[]): Set<number> {
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.x - points[b]!.x || points[a]!.y - points[b]!.y);
  const front = new Set<number>();
  let bestY = Infinity;
  let prev = -1;
  for (const i of order) {
    const p = points[i]!;
    const tiesPrevious = prev >= 0 && front.has(prev) && points[prev]!.x === p.x && points[prev]!.y === p.y;
    if (p.y < bestY || tiesPrevious) {
      front.add(i);
      bestY = Math.min(bestY, p.y);
    }
    prev = i;
  }
  return front;
}
