import { ksFromCounts, ksPValue, type KsResult } from './ks.js';
import { binCountsSorted, psiEdges, psiFromCounts, PSI_BINS, quantileSorted } from './psi.js';
import { normalizeWasserstein, populationStd } from './wasserstein.js';

/**
 * A numeric reference column prepared once per version (at its first drift report) so that comparing a
 * current window against it costs two linear passes instead of a sort.
 *
 * The reference range (its 0.1%..99.9% quantiles) is cut into up to 65,536 equal-width buckets;
 * the sorted reference is split at bucket starts, and each bucket keeps its sum. A current window
 * is then bucketed in one pass (counts, sums, minima). The ECDF difference D = F_ref - F_cur is
 * known exactly at every bucket end, and inside a bucket it can only move within
 * [D - c/n2, D + r/n1]. So the KS statistic is exact once the few buckets that could beat the
 * best bucket-end value are merged exactly, and the Wasserstein integral of |D| is exact from
 * sums alone wherever D keeps one sign over the bucket; only buckets where D may change sign (or
 * where a PSI edge falls) are sorted and merged. The results equal the sort-based SciPy ports
 * in ks.ts / wasserstein.ts / psi.ts up to floating-point summation order.
 */
export interface NumericReference {
  /** The non-missing finite reference values, ascending. */
  readonly sorted: Float64Array;
  /** Population standard deviation of the reference, the Wasserstein normaliser. */
  readonly std: number;
  /** The 9 PSI edges (reference deciles) and the reference's 10 bin counts. */
  readonly psiEdges: Float64Array;
  readonly psiCounts: Float64Array;
  /** Number of buckets, and the affine map value -> bucket: floor((v - lo) * scale), clamped. */
  readonly buckets: number;
  readonly lo: number;
  readonly scale: number;
  /** start[k]..start[k+1] is bucket k's slice of `sorted` (length buckets + 1). */
  readonly start: Int32Array;
  /** Sum of the reference values in each bucket. */
  readonly sums: Float64Array;
  /** bounds[k] is the smallest double that maps to bucket k (k >= 1), so bucket k covers [bounds[k], bounds[k+1]). */
  readonly bounds: Float64Array;
  /** PSI bin of every value in the bucket, or -1 when a PSI edge falls inside the bucket. */
  readonly psiBin: Int8Array;
}

/** Most buckets a reference is cut into (about 15 reference rows each at 1M rows). */
const MAX_BUCKETS = 1 << 16;

function bucketOf(v: number, lo: number, scale: number, buckets: number): number {
  const t = (v - lo) * scale;
  return t < 0 ? 0 : t >= buckets ? buckets - 1 : t | 0;
}

/** Smallest double mapping to bucket >= k under the grid: bisection on a bracket (the map is monotone). */
function bucketBound(k: number, lo: number, scale: number, buckets: number): number {
  const guess = lo + k / scale;
  let step = 1 / scale;
  let a = guess - step;
  while (bucketOf(a, lo, scale, buckets) >= k) {
    step *= 2;
    a = guess - step;
  }
  step = 1 / scale;
  let b = guess;
  while (bucketOf(b, lo, scale, buckets) < k) {
    b = guess + step;
    step *= 2;
  }
  // invariant: bucketOf(a) < k <= bucketOf(b); stop when a and b are adjacent doubles
  for (;;) {
    const mid = a + (b - a) / 2;
    if (mid <= a || mid >= b) return b;
    if (bucketOf(mid, lo, scale, buckets) >= k) b = mid;
    else a = mid;
  }
}

/** Sorts a[from, to) ascending in place: insertion sort for the few values of a typical bucket. */
function sortRange(a: Float64Array, from: number, to: number): void {
  if (to - from > 48) {
    a.subarray(from, to).sort();
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= from && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/** Prepares a numeric reference column; NaN and infinite values count as missing. Throws if none is left. */
export function prepareNumericReference(values: ArrayLike<number>): NumericReference {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] === 0) n++;
  if (n === 0) throw new RangeError('a numeric reference column needs at least one finite value');
  const finite = new Float64Array(n);
  let w = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v === 0) finite[w++] = v;
  }
  // the grid only has to be monotone; a strided sample's 0.1%..99.9% range keeps buckets even
  const stride = Math.max(1, Math.floor(n / 65_536));
  const sample = new Float64Array(Math.ceil(n / stride));
  for (let i = 0, k = 0; i < n; i += stride) sample[k++] = finite[i];
  sample.sort();
  let buckets = 16;
  while (buckets < MAX_BUCKETS && buckets * 16 < n) buckets *= 2;
  let lo = quantileSorted(sample, 0.001);
  let hi = quantileSorted(sample, 0.999);
  if (!(hi > lo)) {
    lo = sample[0];
    hi = sample[sample.length - 1];
  }
  if (!(hi > lo)) buckets = 1;
  const scale = buckets > 1 ? buckets / (hi - lo) : 0;
  // bucket sort: counts, starts, scatter, then sort each (small) bucket
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[bucketOf(finite[i], lo, scale, buckets) + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const fill = start.slice(0, buckets);
  const sorted = new Float64Array(n);
  const sums = new Float64Array(buckets);
  for (let i = 0; i < n; i++) {
    const v = finite[i];
    const b = bucketOf(v, lo, scale, buckets);
    sorted[fill[b]++] = v;
    sums[b] += v;
  }
  for (let b = 0; b < buckets; b++) sortRange(sorted, start[b], start[b + 1]);
  const bounds = new Float64Array(buckets + 1);
  bounds[0] = -Infinity;
  bounds[buckets] = Infinity;
  for (let b = 1; b < buckets; b++) bounds[b] = bucketBound(b, lo, scale, buckets);
  const edges = psiEdges(sorted);
  const psiBin = new Int8Array(buckets);
  const edgeBucket = new Int32Array(edges.length);
  for (let e = 0; e < edges.length; e++) edgeBucket[e] = bucketOf(edges[e], lo, scale, buckets);
  for (let b = 0; b < buckets; b++) {
    let bin = 0;
    let straddled = false;
    for (let e = 0; e < edges.length; e++) {
      if (edgeBucket[e] < b) bin++;
      else if (edgeBucket[e] === b) straddled = true;
    }
    psiBin[b] = straddled ? -1 : bin;
  }
  return { sorted, std: populationStd(sorted), psiEdges: edges, psiCounts: binCountsSorted(sorted, edges), buckets, lo, scale, start, sums, bounds, psiBin };
}

/** Scratch arrays reused across columns of one report, so that the passes allocate nothing. */
export class NumericWorkspace {
  /** Per bucket: [count, sum] interleaved, so that one pass touches one cache line per value. */
  acc = new Float64Array(0);
  flags = new Uint8Array(0);
  fill = new Int32Array(0);
  scratch = new Float64Array(0);
  psi = new Float64Array(PSI_BINS);

  /** Grows the arrays to hold `buckets` buckets and `rows` current values. */
  ensure(buckets: number, rows: number): void {
    if (this.flags.length < buckets) {
      this.acc = new Float64Array(2 * buckets);
      this.flags = new Uint8Array(buckets);
      this.fill = new Int32Array(buckets);
    }
    if (this.scratch.length < rows) this.scratch = new Float64Array(rows);
  }
}

/** A numeric current window compared with its prepared reference. */
export interface NumericComparison {
  /** Non-missing finite current values used. */
  readonly currentRows: number;
  readonly ks: KsResult;
  readonly wasserstein: number;
  /** Wasserstein distance divided by the reference's population std. */
  readonly normalizedWasserstein: number;
  readonly psi: number;
}

/** Compares a current numeric column with a prepared reference; null when the window has no finite value. */
export function compareNumeric(ref: NumericReference, current: ArrayLike<number>, ws: NumericWorkspace = new NumericWorkspace()): NumericComparison | null {
  const K = ref.buckets;
  const { lo, scale, sorted, start, sums: refSums, bounds, psiBin, psiEdges: edges } = ref;
  const n1 = sorted.length;
  ws.ensure(K, current.length);
  const { acc, flags, fill, scratch, psi } = ws;
  acc.fill(0, 0, 2 * K);
  flags.fill(0, 0, K);
  psi.fill(0);

  // pass 1: bucket counts and sums of the current window
  let n2 = 0;
  for (let i = 0; i < current.length; i++) {
    const v = current[i];
    if (v - v !== 0) continue;
    const t = (v - lo) * scale;
    const k = (t < 0 ? 0 : t >= K ? K - 1 : t | 0) << 1;
    acc[k]++;
    acc[k + 1] += v;
    n2++;
  }
  if (n2 === 0) return null;

  // exact D (scaled by n1 n2) at every bucket end: a lower bound for the KS statistic
  let R = 0;
  let C = 0;
  let maxD = 0;
  let maxR = 0;
  let maxC = 0;
  let minD = 0;
  let minR = 0;
  let minC = 0;
  for (let k = 0; k < K; k++) {
    R += start[k + 1] - start[k];
    C += acc[k << 1];
    const d = R * n2 - C * n1;
    if (d > maxD) {
      maxD = d;
      maxR = R;
      maxC = C;
    } else if (d < minD) {
      minD = d;
      minR = R;
      minC = C;
    }
  }
  const best = Math.max(maxD, -minD);

  // buckets settled from sums alone (the integral of D over [bounds[k], bounds[k+1]) when D keeps
  // one sign there); the others, and the two open-ended outer buckets, are flagged for an exact merge
  let wass = 0;
  let flagged = 0;
  R = 0;
  C = 0;
  for (let k = 0; k < K; k++) {
    const r = start[k + 1] - start[k];
    const c = acc[k << 1];
    const d0 = R * n2 - C * n1;
    const low = d0 - c * n1;
    const high = d0 + r * n2;
    if (r + c > 0 && (k === 0 || k === K - 1 || high > best || -low > best || (low < 0 && high > 0) || psiBin[k] < 0)) {
      flags[k] = 1;
      fill[k] = flagged;
      flagged += c;
    } else if (d0 !== 0 || r + c > 0) {
      const s = bounds[k];
      const e = bounds[k + 1];
      const a = R * (e - s) + r * e - refSums[k];
      const b = C * (e - s) + c * e - acc[(k << 1) + 1];
      wass += Math.abs(a / n1 - b / n2);
      if (c > 0) psi[psiBin[k]] += c;
    }
    R += r;
    C += c;
  }

  if (flagged > 0) {
    // pass 2: gather the current values of flagged buckets, bucket by bucket
    for (let i = 0; i < current.length; i++) {
      const v = current[i];
      if (v - v !== 0) continue;
      const t = (v - lo) * scale;
      const k = t < 0 ? 0 : t >= K ? K - 1 : t | 0;
      if (flags[k] === 1) scratch[fill[k]++] = v;
    }
    R = 0;
    C = 0;
    for (let k = 0; k < K; k++) {
      const r = start[k + 1] - start[k];
      const c = acc[k << 1];
      if (flags[k] === 1) {
        const jEnd = fill[k];
        const j0 = jEnd - c;
        if (c > 1) sortRange(scratch, j0, jEnd);
        let i = start[k];
        const iEnd = start[k + 1];
        let j = j0;
        let ri = R;
        let cj = C;
        // D is 0 before the first value, so bucket 0's stretch may start there
        let prev = k > 0 ? bounds[k] : r > 0 ? Math.min(sorted[i], c > 0 ? scratch[j0] : Infinity) : scratch[j0];
        while (i < iEnd || j < jEnd) {
          const t = i < iEnd && (j >= jEnd || sorted[i] <= scratch[j]) ? sorted[i] : scratch[j];
          wass += Math.abs(ri / n1 - cj / n2) * (t - prev);
          prev = t;
          while (i < iEnd && sorted[i] <= t) {
            i++;
            ri++;
          }
          while (j < jEnd && scratch[j] <= t) {
            j++;
            cj++;
          }
          const d = ri * n2 - cj * n1;
          if (d > maxD) {
            maxD = d;
            maxR = ri;
            maxC = cj;
          } else if (d < minD) {
            minD = d;
            minR = ri;
            minC = cj;
          }
        }
        // after the last bucket D is 0
        if (k < K - 1) wass += Math.abs(ri / n1 - cj / n2) * (bounds[k + 1] - prev);
        const bin = psiBin[k];
        if (bin >= 0) psi[bin] += c;
        else {
          for (let q = j0; q < jEnd; q++) {
            const v = scratch[q];
            let b = 0;
            while (b < edges.length && edges[b] <= v) b++;
            psi[b]++;
          }
        }
      }
      R += r;
      C += c;
    }
  }

  const statistic = ksFromCounts(maxR, maxC, minR, minC, n1, n2);
  return {
    currentRows: n2,
    ks: ksPValue(statistic, n1, n2),
    wasserstein: wass,
    normalizedWasserstein: normalizeWasserstein(wass, ref.std),
    psi: psiFromCounts(ref.psiCounts, n1, psi, n2),
  };
}
