import { sortedFinite } from './ks.js';

/** PSI bins: 10 bins cut at the reference deciles. */
export const PSI_BINS = 10;
/** Share given to an empty bin so that the log stays finite (as in bench/anchors/gen-reference.py). */
const PSI_EMPTY_SHARE = 1e-4;

/** NumPy's `np.linspace(0.1, 0.9, 9)`, bit for bit. */
const DECILES = (() => {
  const out = new Float64Array(PSI_BINS - 1);
  const step = (0.9 - 0.1) / (PSI_BINS - 2);
  for (let i = 0; i < out.length; i++) out[i] = i * step + 0.1;
  out[out.length - 1] = 0.9;
  return out;
})();

/** NumPy's default ('linear') quantile of an ascending-sorted sample, including its lerp rounding. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1];
  if (virtual < 0) return sorted[0];
  const prev = Math.floor(virtual);
  const gamma = virtual - prev;
  const a = sorted[prev];
  const b = sorted[prev + 1];
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** The 9 PSI bin edges: reference quantiles 0.1..0.9 of an ascending-sorted reference. */
export function psiEdges(sortedReference: Float64Array): Float64Array {
  const edges = new Float64Array(DECILES.length);
  for (let i = 0; i < edges.length; i++) edges[i] = quantileSorted(sortedReference, DECILES[i]);
  return edges;
}

/** Number of elements < v in an ascending-sorted array. */
function lowerBound(sorted: Float64Array, v: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Bin counts of an ascending-sorted sample over `edges`, NumPy's `searchsorted(edges, v, 'right')`:
 * bin = number of edges <= value, so bin i holds edges[i-1] <= v < edges[i] (repeated edges leave empty bins).
 */
export function binCountsSorted(sorted: Float64Array, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let prev = 0;
  for (let i = 0; i < edges.length; i++) {
    const lb = lowerBound(sorted, edges[i], prev);
    counts[i] = lb - prev;
    prev = lb;
  }
  counts[edges.length] = sorted.length - prev;
  return counts;
}

/** PSI = sum((cur - ref) ln(cur / ref)) over bin shares, empty shares floored at 1e-4. */
export function psiFromCounts(refCounts: Float64Array, refTotal: number, curCounts: Float64Array, curTotal: number): number {
  let sum = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const pa = Math.max(refCounts[i] / refTotal, PSI_EMPTY_SHARE);
    const pb = Math.max(curCounts[i] / curTotal, PSI_EMPTY_SHARE);
    sum += (pb - pa) * Math.log(pb / pa);
  }
  return sum;
}

/** Population stability index of `current` against `reference` with 10 reference-decile bins (NaN dropped). */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const ref = sortedFinite(reference);
  const cur = sortedFinite(current);
  const edges = psiEdges(ref);
  return psiFromCounts(binCountsSorted(ref, edges), ref.length, binCountsSorted(cur, edges), cur.length);
}
