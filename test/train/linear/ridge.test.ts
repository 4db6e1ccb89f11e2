import { describe, expect, it } from 'vitest';
import { buildDataset, splitDataset } from '../../../src/data/build-dataset.js';
import type { Dataset, NumericColumn } from '../../../src/data/dataset.js';
import { ridgeParamsSchema, ridgeTrainer } from '../../../src/train/linear/ridge.js';
import { loadSharedCsv } from '../load-csv.js';

function diabetes(): Dataset {
  const { features, rows } = loadSharedCsv('diabetes.csv');
  return buildDataset('regression', features, rows);
}

function r2(pred: Float64Array, y: Float64Array): number {
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i] - pred[i]) ** 2;
    ssTot += (y[i] - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

/** Solve A x = b (A square, dense) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

describe('ridge params', () => {
  it('fills every default and refuses unknown keys', () => {
    expect(ridgeParamsSchema.parse({})).toEqual({ alpha: 1, maxIter: 200, tol: 1e-6, hashBits: 16 });
    expect(() => ridgeParamsSchema.parse({ lambda: 1 })).toThrow();
  });
});

describe('ridge regression', () => {
  it('explains held-out diabetes rows with R² >= 0.4', async () => {
    const { train, test } = splitDataset(diabetes(), 42, { train: 0.7, validation: 0, test: 0.3 });
    const model = await ridgeTrainer.fit(train, ridgeParamsSchema.parse({}), { seed: 42 });
    expect(model.outputsPerRow).toBe(1);
    expect(model.classes).toEqual([]);
    expect(r2(model.predictMatrix(test.x), test.y)).toBeGreaterThanOrEqual(0.4);
  });

  it('matches the closed-form ridge solution on standardised features', async () => {
    const { train, test } = splitDataset(diabetes(), 5, { train: 0.7, validation: 0, test: 0.3 });
    const alpha = 3;
    const model = await ridgeTrainer.fit(train, ridgeParamsSchema.parse({ alpha, tol: 1e-10, maxIter: 1000 }), { seed: 5 });

    const cols = train.x.columns as NumericColumn[];
    const n = train.x.rows;
    const stats = cols.map((c) => {
      const mean = c.values.reduce((s, v) => s + v, 0) / n;
      const sd = Math.sqrt(c.values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
      return { mean, sd };
    });
    const z = (col: number, v: number): number => (v - stats[col].mean) / stats[col].sd;
    const yMean = train.y.reduce((s, v) => s + v, 0) / n;
    // (ZᵀZ + alpha I) w = Zᵀ(y - ȳ); standardised Z has zero column means, so b = ȳ.
    const p = cols.length;
    const a = Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, k) => (j === k ? alpha : 0)));
    const rhs = new Array<number>(p).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const zj = z(j, cols[j].values[i]);
        rhs[j] += zj * (train.y[i] - yMean);
        for (let k = 0; k < p; k++) a[j][k] += zj * z(k, cols[k].values[i]);
      }
    }
    const w = solve(a, rhs);
    const testCols = test.x.columns as NumericColumn[];
    const predicted = model.predictMatrix(test.x);
    for (let i = 0; i < test.x.rows; i++) {
      let expected = yMean;
      for (let j = 0; j < p; j++) expected += w[j] * z(j, testCols[j].values[i]);
      expect(Math.abs(predicted[i] - expected)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)));
    }
  });

  it('fits a text and category feature and predicts missing values', async () => {
    const words = ['tiny', 'small', 'medium', 'large', 'huge'];
    const rows = Array.from({ length: 100 }, (_, i) => ({
      id: i,
      features: { size: `a ${words[i % 5]} box`, shop: i % 2 === 0 ? 'north' : 'south' },
      label: (i % 5) * 10 + (i % 2 === 0 ? 5 : 0),
    }));
    const ds = buildDataset('regression', [{ name: 'size', type: 'text' }, { name: 'shop', type: 'category' }], rows);
    const model = await ridgeTrainer.fit(ds, ridgeParamsSchema.parse({ alpha: 0.01 }), { seed: 1 });
    const p = model.predictRows([{ size: 'huge box', shop: 'north' }, { size: 'tiny', shop: 'south' }, { size: null, shop: 'east' }]);
    expect(p[0]).toBeGreaterThan(p[1] + 20);
    expect(Number.isFinite(p[2])).toBe(true);
  });

  it('refuses a classification dataset', async () => {
    const ds = buildDataset('binary', [], [{ id: 1, features: {}, label: 1 }]);
    await expect(ridgeTrainer.fit(ds, ridgeParamsSchema.parse({}), { seed: 1 })).rejects.toThrow(/binary/);
  });
});
