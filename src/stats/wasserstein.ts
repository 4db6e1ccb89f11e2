import { sortedFinite } from './ks.js';

/** First Wasserstein distance of two ascending-sorted samples: the integral of |F1 - F2| (SciPy's `_cdf_distance`, p = 1). */
function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let prev = Math.min(a[0], b[0]);
  while (i < n1 || j < n2) {
    const t = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];
    sum += Math.abs(i / n1 - j / n2) * (t - prev);
    prev = t;
    while (i < n1 && a[i] <= t) i++;
    while (j < n2 && b[j] <= t) j++;
  }
  return sum;
}

/** Population standard deviation (NumPy's `np.std`, ddof = 0). */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/** Wasserstein distance in units of the reference's spread: W / std(a); 0 when both are 0, Infinity when only std is. */
export function normalizeWasserstein(distance: number, referenceStd: number): number {
  if (referenceStd > 0) return distance / referenceStd;
  return distance === 0 ? 0 : Infinity;
}

/** SciPy's `wasserstein_distance(a, b)` and the same divided by the population std of `a` (NaN dropped). */
export function wassersteinDistance(a: ArrayLike<number>, b: ArrayLike<number>): { distance: number; normalized: number } {
  const sa = sortedFinite(a);
  const sb = sortedFinite(b);
  if (sa.length === 0 || sb.length === 0) throw new RangeError('wassersteinDistance needs non-empty samples');
  const distance = wassersteinSorted(sa, sb);
  return { distance, normalized: normalizeWasserstein(distance, populationStd(sa)) };
}
