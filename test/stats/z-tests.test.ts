import { describe, expect, it } from 'vitest';
import { normalCdf, oneProportionZTest, quantile, twoProportionZTest } from '../../src/stats/z-tests.js';

describe('the z-tests behind rollout decisions', () => {
  it('computes the normal CDF to SciPy precision', () => {
    // scipy.stats.norm.cdf
    expect(normalCdf(0)).toBeCloseTo(0.5, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 10);
    expect(normalCdf(-1.6448536269514722)).toBeCloseTo(0.05, 10);
    expect(normalCdf(-5)).toBeCloseTo(2.866515718791933e-7, 15);
    expect(normalCdf(3)).toBeCloseTo(0.9986501019683699, 12);
  });

  it('runs the pooled two-proportion z-test', () => {
    // 80/100 vs 90/100: pooled 0.85, z = -0.1 / sqrt(0.85 · 0.15 · (1/100 + 1/100)); two-sided p from scipy.stats.norm.cdf.
    const t = twoProportionZTest(80, 100, 90, 100);
    expect(t.z).toBeCloseTo(-1.9802950859533488, 12);
    expect(2 * t.pLower).toBeCloseTo(0.04767038065616141, 10);
    expect(twoProportionZTest(5, 5, 5, 5)).toMatchObject({ z: 0, pLower: 0.5 });
    expect(oneProportionZTest(60, 100, 0.75).z).toBeCloseTo((0.6 - 0.75) / Math.sqrt((0.75 * 0.25) / 100), 12);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBeCloseTo(9.55, 12);
  });
});
