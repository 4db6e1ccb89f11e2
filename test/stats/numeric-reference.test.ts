import { describe, expect, it } from 'vitest';
import { ksTwoSample } from '../../src/stats/ks.js';
import { kolmogorovSf, smirnovSf } from '../../src/stats/kolmogorov.js';
import { compareNumeric, NumericWorkspace, prepareNumericReference } from '../../src/stats/numeric-reference.js';
import { psi } from '../../src/stats/psi.js';
import { wassersteinDistance } from '../../src/stats/wasserstein.js';
import { mulberry32 } from '../../src/data/random.js';

const rnd = mulberry32(42);
const gauss = () => Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
const shapes: Record<string, (shift: number) => number> = {
  normal: (s) => gauss() + s,
  'integers with ties': (s) => Math.floor(rnd() * 5 + s * 3),
  'heavy tails': (s) => Math.tan(Math.PI * (rnd() - 0.5)) + s,
  'rounded to 0.1': (s) => Math.round((gauss() + s) * 10) / 10,
};
const sizes: [number, number, number][] = [
  [50, 40, 0],
  [2000, 3000, 0.1],
  [20000, 12000, 0],
  [100000, 30000, 0.05],
  [5, 20000, 0.3],
];

describe('the prepared-reference comparison equals the sort-based SciPy ports', () => {
  const ws = new NumericWorkspace();
  for (const [shape, draw] of Object.entries(shapes)) {
    for (const [n1, n2, shift] of sizes) {
      it(`${shape}, ${n1} vs ${n2} rows, shift ${shift}`, () => {
        const a = Float64Array.from({ length: n1 }, () => draw(0));
        const b = Float64Array.from({ length: n2 }, () => draw(shift));
        const fast = compareNumeric(prepareNumericReference(a), b, ws);
        const ks = ksTwoSample(a, b);
        const w = wassersteinDistance(a, b);
        expect(fast).not.toBeNull();
        expect(fast!.ks.statistic).toBe(ks.statistic);
        expect(fast!.ks.pValue).toBe(ks.pValue);
        expect(Math.abs(fast!.wasserstein - w.distance)).toBeLessThan(1e-9 * Math.max(1, w.distance));
        expect(Math.abs(fast!.normalizedWasserstein - w.normalized)).toBeLessThan(1e-9 * Math.max(1, w.normalized));
        expect(Math.abs(fast!.psi - psi(a, b))).toBeLessThan(1e-12);
      });
    }
  }

  it('leaves out missing values on both sides', () => {
    const a = Float64Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? NaN : gauss()));
    const b = Float64Array.from({ length: 2000 }, (_, i) => (i % 5 === 0 ? NaN : gauss() + 0.2));
    const fast = compareNumeric(prepareNumericReference(a), b)!;
    const ks = ksTwoSample(a, b);
    expect(fast.currentRows).toBe(1600);
    expect(fast.ks.statistic).toBe(ks.statistic);
    expect(fast.ks.pValue).toBe(ks.pValue);
  });

  it('handles a constant reference and an all-missing window', () => {
    const ref = prepareNumericReference(new Float64Array(100).fill(3));
    const same = compareNumeric(ref, new Float64Array(50).fill(3))!;
    expect(same.ks.statistic).toBe(0);
    expect(same.wasserstein).toBe(0);
    expect(same.normalizedWasserstein).toBe(0);
    const moved = compareNumeric(ref, new Float64Array(50).fill(4))!;
    expect(moved.ks.statistic).toBe(1);
    expect(moved.wasserstein).toBe(1);
    expect(moved.normalizedWasserstein).toBe(Infinity);
    expect(compareNumeric(ref, new Float64Array(10).fill(NaN))).toBeNull();
  });
});

describe('Kolmogorov distribution (kstwo.sf) used by the asymptotic KS p-value', () => {
  // values from scipy 1.10.1: scipy.stats.kstwo.sf(x, n) and scipy.special.smirnov(n, x)
  const cases: [number, number, number][] = [
    [100, 0.1, 0.2526927570063874],
    [500000, 0.001, 0.6989801443663661],
    [5000, 0.01, 0.6954557253913853],
    [3000, 0.03, 0.008848227794930863],
    [30, 0.3, 0.006852243362913235],
  ];
  for (const [n, x, sf] of cases) {
    it(`n=${n}, x=${x}`, () => {
      expect(Math.abs(kolmogorovSf(n, x) - sf)).toBeLessThan(1e-9);
    });
  }
  it('smirnov(n, x) for the one-sided tail', () => {
    expect(Math.abs(smirnovSf(100, 0.1) - 0.1265906584562817)).toBeLessThan(1e-12);
  });
});
