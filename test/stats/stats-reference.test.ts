import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from '../../src/stats/chi-square.js';
import { jensenShannonDistance } from '../../src/stats/jensen-shannon.js';
import { ksTwoSample } from '../../src/stats/ks.js';
import { psi } from '../../src/stats/psi.js';
import { wassersteinDistance } from '../../src/stats/wasserstein.js';

const load = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`../fixtures/reference/${name}.json`, import.meta.url), 'utf8')) as T[];

interface KsCase { name: string; a: number[]; b: number[]; statistic: number; pvalue: number }
interface PsiCase { name: string; reference: number[]; current: number[]; psi: number }
interface WassersteinCase { name: string; a: number[]; b: number[]; distance: number; normed: number }
interface Chi2Case { table: number[][]; statistic: number; pvalue: number; dof: number }
interface JsCase { p: number[]; q: number[]; distance: number }

describe('two-sample Kolmogorov-Smirnov matches scipy.stats.ks_2samp', () => {
  for (const c of load<KsCase>('ks')) {
    it(c.name, () => {
      const r = ksTwoSample(Float64Array.from(c.a), Float64Array.from(c.b));
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThan(1e-9);
      expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-6);
    });
  }
});

describe('PSI with 10 reference-decile bins matches the NumPy reference', () => {
  for (const c of load<PsiCase>('psi')) {
    it(c.name, () => {
      expect(Math.abs(psi(Float64Array.from(c.reference), Float64Array.from(c.current)) - c.psi)).toBeLessThan(1e-9);
    });
  }
});

describe('Wasserstein distance matches scipy.stats.wasserstein_distance', () => {
  for (const c of load<WassersteinCase>('wasserstein')) {
    it(c.name, () => {
      const r = wassersteinDistance(Float64Array.from(c.a), Float64Array.from(c.b));
      expect(Math.abs(r.distance - c.distance)).toBeLessThan(1e-9);
      expect(Math.abs(r.normalized - c.normed)).toBeLessThan(1e-9);
    });
  }
});

describe('chi-square test of homogeneity matches scipy.stats.chi2_contingency(correction=False)', () => {
  for (const c of load<Chi2Case>('chi2')) {
    it(JSON.stringify(c.table), () => {
      const r = chiSquareTest(c.table);
      expect(r.dof).toBe(c.dof);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThan(1e-9);
      expect(Math.abs(r.pValue - c.pvalue)).toBeLessThan(1e-6);
    });
  }
});

describe('Jensen-Shannon distance matches scipy.spatial.distance.jensenshannon(base=2)', () => {
  for (const c of load<JsCase>('jensenshannon')) {
    it(`${JSON.stringify(c.p)} vs ${JSON.stringify(c.q)}`, () => {
      expect(Math.abs(jensenShannonDistance(c.p, c.q) - c.distance)).toBeLessThan(1e-9);
    });
  }
  it('is 0 for identical distributions and symmetric', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBeCloseTo(0, 12);
    expect(jensenShannonDistance([1, 0, 3], [0, 4, 1])).toBeCloseTo(jensenShannonDistance([0, 4, 1], [1, 0, 3]), 14);
  });
});
