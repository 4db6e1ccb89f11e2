import { regularizedGammaQ } from './special.js';
import { quantileSorted } from './psi.js';

/**
 * The standard normal CDF Φ(z), through erfc(x) = Q(1/2, x²) (the regularised upper incomplete
 * gamma function, already checked against SciPy in src/stats). Written here rather than
 * taken from a statistics package: the two z-tests below are all Refit needs, a dependency for
 * one function is not worth its weight, and this keeps the numbers reproducible in any runtime.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z === Number.POSITIVE_INFINITY) return 1;
  if (z === Number.NEGATIVE_INFINITY) return 0;
  const x = z / Math.SQRT2;
  const tail = 0.5 * regularizedGammaQ(0.5, x * x);
  return x >= 0 ? 1 - tail : tail;
}

/** A z-test's statistic and its one-sided p-value (the tests here only ask whether a rate is lower). */
export interface ZTest {
  readonly z: number;
  /** P(Z ≤ z): small when the first proportion is significantly lower. */
  readonly pLower: number;
}

/**
 * Two-proportion z-test with the pooled standard error: is the success rate `s1/n1` different
 * from `s2/n2`? A z-test rather than Fisher's exact test because the rollout only decides once
 * each arm has at least `minLabels` (default 200) outcomes, where the normal approximation holds
 * well and the test stays O(1). Returns z = 0 (p = 0.5) when there is no variation at all.
 */
export function twoProportionZTest(s1: number, n1: number, s2: number, n2: number): ZTest {
  if (n1 <= 0 || n2 <= 0) return { z: 0, pLower: 0.5 };
  const p1 = s1 / n1;
  const p2 = s2 / n2;
  const pooled = (s1 + s2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pLower: 0.5 };
  const z = (p1 - p2) / se;
  return { z, pLower: normalCdf(z) };
}

/**
 * One-proportion z-test against a fixed rate `p0`: is `s/n` significantly below (or above) it?
 * Used by the watch after a promotion, so that a handful of unlucky labels cannot roll a version back.
 */
export function oneProportionZTest(s: number, n: number, p0: number): ZTest {
  if (n <= 0 || p0 <= 0 || p0 >= 1) return { z: 0, pLower: 0.5 };
  const z = (s / n - p0) / Math.sqrt((p0 * (1 - p0)) / n);
  return { z, pLower: normalCdf(z) };
}

/** The q-quantile (0..1) of values with linear interpolation (NumPy's default); NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  return quantileSorted(Float64Array.from(values).sort(), q);
}
