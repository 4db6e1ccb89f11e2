import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/data/dataset.js';
import { mulberry32 } from '../../src/data/random.js';
import { driftReport, prepareReference } from '../../src/monitor/drift-report.js';

const rnd = mulberry32(7);
const gauss = () => Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
const LEVELS = ['basic', 'pro', 'team', 'enterprise'];

/** Columns a, b (numbers), plan (category), flag (boolean); `shift` moves a and b, `mix` moves plan and flag. */
function sample(rows: number, shift = 0, mix = 0): Column[] {
  const a = new Float64Array(rows);
  const b = new Float64Array(rows);
  const plan = new Int32Array(rows);
  const flag = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    a[i] = gauss() + shift;
    b[i] = 2 * gauss() + 10 + 2 * shift;
    const u = rnd();
    plan[i] = u < 0.4 - mix ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
    flag[i] = rnd() < 0.3 + mix ? 1 : 0;
  }
  return [
    { name: 'a', kind: 'number', values: a },
    { name: 'b', kind: 'number', values: b },
    { name: 'plan', kind: 'category', codes: plan, levels: LEVELS },
    { name: 'flag', kind: 'number', values: flag },
  ];
}

const reference = prepareReference(sample(50_000));

describe('driftReport', () => {
  it('finds no drift between samples of the same distribution, small or large', () => {
    for (const rows of [1000, 20_000]) {
      const report = driftReport(reference, sample(rows));
      expect(report.drifted).toBe(false);
      expect(report.driftedFeatures).toBe(0);
      expect(report.features.map((f) => f.name)).toEqual(['a', 'b', 'plan', 'flag']);
    }
  });

  it('flags shifted numbers and categories, and the model', () => {
    const report = driftReport(reference, sample(2000, 0.5, 0.2));
    expect(report.features.every((f) => f.drifted)).toBe(true);
    expect(report.drifted).toBe(true);
    expect(report.reason).toContain('4 of 4 features drifted');
  });

  it('uses p-value tests below the large-window size and distance tests from it on', () => {
    const small = driftReport(reference, sample(4999));
    expect(small.features.map((f) => f.test)).toEqual(['ks', 'ks', 'chi2', 'chi2']);
    expect(small.features.every((f) => f.threshold === 0.05 && f.pValue !== undefined)).toBe(true);
    const large = driftReport(reference, sample(5000));
    expect(large.features.map((f) => f.test)).toEqual(['wasserstein', 'wasserstein', 'jensen-shannon', 'jensen-shannon']);
    expect(large.features.every((f) => f.threshold === 0.1 && f.distance === f.statistic)).toBe(true);
    const custom = driftReport(reference, sample(4999), { largeWindow: 1000 });
    expect(custom.features[0].test).toBe('wasserstein');
  });

  it('does not flag a trivial shift on a large window that a p-value alone would', () => {
    const report = driftReport(reference, sample(100_000, 0.03));
    const a = report.features[0];
    expect(a.pValue!).toBeLessThan(0.05);
    expect(a.test).toBe('wasserstein');
    expect(a.drifted).toBe(false);
    expect(driftReport(reference, sample(100_000, 0.3)).features[0].drifted).toBe(true);
  });

  it('reports PSI, the KS statistic and the raw Wasserstein distance alongside for numbers', () => {
    const f = driftReport(reference, sample(3000, 0.5)).features[0];
    expect(f.psi!).toBeGreaterThan(0.1);
    expect(f.ksStatistic!).toBeGreaterThan(0.1);
    expect(f.wasserstein!).toBeGreaterThan(0.3);
  });

  it('applies the feature-share rule', () => {
    const half = sample(2000);
    const moved = sample(2000, 0.5, 0.2);
    const current = [moved[0], moved[1], half[2], half[3]]; // 2 of 4 drift
    expect(driftReport(reference, current).drifted).toBe(true);
    expect(driftReport(reference, current, { featureShare: 0.75 }).drifted).toBe(false);
    const one = [moved[0], half[1], half[2], half[3]];
    const r = driftReport(reference, one);
    expect(r.driftedFeatures).toBe(1);
    expect(r.driftedShare).toBe(0.25);
    expect(r.drifted).toBe(false);
  });

  it('maps current category levels by name and counts unseen levels', () => {
    const rows = 3000;
    const codes = new Int32Array(rows);
    for (let i = 0; i < rows; i++) codes[i] = i % 10 === 0 ? 4 : rnd() < 0.5 ? 0 : 1; // 'trial' is new
    const r = driftReport(reference, [{ name: 'plan', kind: 'category', codes, levels: ['team', 'basic', 'pro', 'enterprise', 'trial'] }]);
    expect(r.features).toHaveLength(1);
    expect(r.features[0].drifted).toBe(true);
    expect(r.features[0].dof).toBe(4);
  });

  it('skips features with no value in the window and does not count them', () => {
    const current = sample(1000);
    const empty: Column = { name: 'a', kind: 'number', values: new Float64Array(1000).fill(NaN) };
    const r = driftReport(reference, [empty, ...current.slice(1)]);
    expect(r.features[0].test).toBe('none');
    expect(r.testedFeatures).toBe(3);
  });
});
