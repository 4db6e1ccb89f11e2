import { kolmogorovSf } from './kolmogorov.js';

/** Result of a two-sample Kolmogorov-Smirnov test. */
export interface KsResult {
  /** sup |F1 - F2| over the pooled sample. */
  readonly statistic: number;
  /** Two-sided p-value. */
  readonly pValue: number;
  /** 'exact' when max(n1, n2) <= 10,000 (and the exact count succeeded), else 'asymp'. */
  readonly method: 'exact' | 'asymp';
}

/** SciPy's `MAX_AUTO_N`: `method='auto'` is exact up to this sample size. */
const KS_MAX_EXACT_N = 10_000;

function gcd(a: number, b: number): number {
  while (b) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Python's round-half-to-even, as `np.round` does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Proportion of paths outside |x - y| < h for n = m (SciPy `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 - Pr(paths stay strictly inside the band), Viehmann's stable form of Hodges' inside method
 * (SciPy `_compute_outer_prob_inside_method`).
 */
function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) for (let q = maxj - minj; q < maxj - minj + (lastlen - curlen) && q < lenA; q++) A[q] = 1;
  }
  return A[maxj - minj - 1];
}

/**
 * Two-sided p-value of the two-sample KS statistic `d` for sample sizes n1, n2, exactly as
 * SciPy's `ks_2samp(method='auto')`: exact path counting up to 10,000 rows a side, otherwise
 * `kstwo.sf(d, round(n1 n2 / (n1 + n2)))`. In the exact case the statistic is snapped to h/lcm.
 */
export function ksPValue(d: number, n1: number, n2: number): KsResult {
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    const dd = h / lcm;
    if (h === 0) return { statistic: dd, pValue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
    if (prob >= 0 && prob <= 1) return { statistic: dd, pValue: prob, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  return { statistic: d, pValue: kolmogorovSf(roundHalfEven(en), d), method: 'asymp' };
}

/** KS statistic of two ascending-sorted samples without NaN (SciPy's searchsorted 'right' ECDFs). */
function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxD = 0;
  let maxI = 0;
  let maxJ = 0;
  let minD = 0;
  let minI = 0;
  let minJ = 0;
  // integer form i*n2 - j*n1 keeps ties and comparisons exact
  while (i < n1 || j < n2) {
    const t = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= t) i++;
    while (j < n2 && b[j] <= t) j++;
    const dint = i * n2 - j * n1;
    if (dint > maxD) {
      maxD = dint;
      maxI = i;
      maxJ = j;
    } else if (dint < minD) {
      minD = dint;
      minI = i;
      minJ = j;
    }
  }
  return ksFromCounts(maxI, maxJ, minI, minJ, n1, n2);
}

/** The statistic as SciPy forms it: max(cdf1 - cdf2) vs clip(-(min(cdf1 - cdf2))), from the arg counts. */
export function ksFromCounts(maxI: number, maxJ: number, minI: number, minJ: number, n1: number, n2: number): number {
  const maxS = maxI / n1 - maxJ / n2;
  const minS = Math.min(1, Math.max(0, -(minI / n1 - minJ / n2)));
  return minS > maxS ? minS : maxS;
}

/** Ascending copy of the non-NaN values. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) out[k++] = v;
  }
  return out.sort();
}

/** Two-sample two-sided Kolmogorov-Smirnov test, SciPy's `ks_2samp(a, b)` (NaN values are dropped). */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const sa = sortedFinite(a);
  const sb = sortedFinite(b);
  if (sa.length === 0 || sb.length === 0) throw new RangeError('ksTwoSample needs non-empty samples');
  return ksPValue(ksStatisticSorted(sa, sb), sa.length, sb.length);
}
