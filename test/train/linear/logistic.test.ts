import { describe, expect, it } from 'vitest';
import { buildDataset, splitDataset, type LabelledRow } from '../../../src/data/build-dataset.js';
import type { Dataset } from '../../../src/data/dataset.js';
import { mulberry32 } from '../../../src/data/random.js';
import type { FeatureSpec } from '../../../src/domain/entities.js';
import { logisticParamsSchema, logisticTrainer } from '../../../src/train/linear/logistic.js';
import { sigmoid } from '../../../src/train/linear/objectives.js';
import type { LinearPredictor } from '../../../src/train/linear/linear-predictor.js';
import { loadSharedCsv } from '../load-csv.js';

const HOLD_OUT_30 = { train: 0.7, validation: 0, test: 0.3 };

function breastCancer(): Dataset {
  const { features, rows } = loadSharedCsv('breast_cancer.csv');
  return buildDataset('binary', features, rows);
}

function binaryAccuracy(p: Float64Array, y: Float64Array): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) if ((p[i] >= 0.5 ? 1 : 0) === y[i]) correct++;
  return correct / y.length;
}

function multiclassAccuracy(p: Float64Array, y: Float64Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

describe('logistic params', () => {
  it('fills every default and refuses unknown keys', () => {
    expect(logisticParamsSchema.parse({})).toEqual({ l2: 1, maxIter: 200, tol: 1e-6, hashBits: 16 });
    expect(() => logisticParamsSchema.parse({ C: 1 })).toThrow();
    expect(() => logisticParamsSchema.parse({ l2: -1 })).toThrow();
  });
});

describe('binary logistic regression', () => {
  it('reaches test accuracy >= 0.94 on breast_cancer (70/30 split)', async () => {
    const { train, test } = splitDataset(breastCancer(), 42, HOLD_OUT_30);
    const model = await logisticTrainer.fit(train, logisticParamsSchema.parse({}), { seed: 42 });
    const p = model.predictMatrix(test.x);
    expect(p.length).toBe(test.x.rows);
    expect(binaryAccuracy(p, test.y)).toBeGreaterThanOrEqual(0.94);
  });

  it("minimises scikit-learn's C=1 objective (zero gradient at the solution)", async () => {
    const { train } = splitDataset(breastCancer(), 42, HOLD_OUT_30);
    const model = (await logisticTrainer.fit(train, logisticParamsSchema.parse({}), { seed: 1 })) as LinearPredictor;
    const { transform, weights, intercepts } = model.state;
    const x = transform.apply(train.x);
    // Gradient of 0.5 * ||w||² + Σ log-loss, recomputed independently of the trainer.
    const grad = Float64Array.from(weights);
    let gradB = 0;
    for (let i = 0; i < x.rows; i++) {
      let z = intercepts[0];
      for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) z += x.values[k] * weights[x.indices[k]];
      const r = sigmoid(z) - train.y[i];
      gradB += r;
      for (let k = x.indptr[i]; k < x.indptr[i + 1]; k++) grad[x.indices[k]] += r * x.values[k];
    }
    const worst = Math.max(Math.abs(gradB), ...Array.from(grad, Math.abs));
    expect(worst / x.rows).toBeLessThan(1e-5);
    expect(Math.hypot(...weights)).toBeGreaterThan(1);
  });

  it('separates relevant from irrelevant job titles (hashed text)', async () => {
    const random = mulberry32(7);
    const pick = (words: readonly string[]): string => words[Math.floor(random() * words.length)];
    const seniority = ['Senior', 'Junior', 'Lead', 'Staff', ''];
    const field = ['Data', 'ML', 'Machine Learning', 'Software', 'Backend'];
    const role = ['Engineer', 'Scientist', 'Developer'];
    const trade = ['Sales', 'Retail', 'Store', 'Customer Service', 'Office'];
    const post = ['Assistant', 'Associate', 'Clerk', 'Representative'];
    const features: FeatureSpec[] = [{ name: 'title', type: 'text' }];
    const rows: LabelledRow[] = Array.from({ length: 300 }, (_, i) => {
      const relevant = random() < 0.5;
      const title = relevant ? `${pick(seniority)} ${pick(field)} ${pick(role)}` : `${pick(trade)} ${pick(post)}`;
      return { id: i, features: { title: title.trim() }, label: relevant ? 1 : 0 };
    });
    const { train, test } = splitDataset(buildDataset('binary', features, rows), 3, HOLD_OUT_30);
    const model = await logisticTrainer.fit(train, logisticParamsSchema.parse({ hashBits: 12 }), { seed: 3 });
    expect(binaryAccuracy(model.predictMatrix(test.x), test.y)).toBe(1);

    const p = model.predictRows([
      { title: 'senior data engineer' },
      { title: 'SENIOR DATA-ENGINEER' },
      { title: 'sales assistant' },
      { title: 'Retail store clerk' },
      { title: null },
    ]);
    expect(p[0]).toBeGreaterThan(0.8);
    expect(p[1]).toBe(p[0]);
    expect(p[2]).toBeLessThan(0.2);
    expect(p[3]).toBeLessThan(0.2);
    expect(p[4]).toBeGreaterThan(0);
    expect(p[4]).toBeLessThan(1);
  });
});

describe('multinomial logistic regression', () => {
  it('reaches test accuracy >= 0.9 on wine and outputs probabilities per class', async () => {
    const { features, rows } = loadSharedCsv('wine.csv');
    const ds = buildDataset('multiclass', features, rows);
    expect(ds.classes).toEqual(['0', '1', '2']);
    const { train, test } = splitDataset(ds, 42, HOLD_OUT_30);
    const model = await logisticTrainer.fit(train, logisticParamsSchema.parse({}), { seed: 42 });
    expect(model.outputsPerRow).toBe(3);
    expect(model.classes).toEqual(['0', '1', '2']);
    const p = model.predictMatrix(test.x);
    expect(p.length).toBe(test.x.rows * 3);
    for (let i = 0; i < test.x.rows; i++) expect(p[3 * i] + p[3 * i + 1] + p[3 * i + 2]).toBeCloseTo(1, 12);
    expect(multiclassAccuracy(p, test.y, 3)).toBeGreaterThanOrEqual(0.9);
  });

  it('learns from category features and tolerates unseen levels at prediction', async () => {
    const features: FeatureSpec[] = [
      { name: 'colour', type: 'category' },
      { name: 'size', type: 'number' },
    ];
    const colours = ['red', 'green', 'blue'];
    const rows: LabelledRow[] = Array.from({ length: 90 }, (_, i) => ({
      id: i,
      features: { colour: colours[i % 3], size: i % 3 === 0 && i % 2 === 0 ? null : i % 7 },
      label: ['apple', 'pear', 'plum'][i % 3],
    }));
    const ds = buildDataset('multiclass', features, rows);
    const model = await logisticTrainer.fit(ds, logisticParamsSchema.parse({}), { seed: 0 });
    const p = model.predictRows([{ colour: 'green', size: 3 }, { colour: 'purple', size: null }]);
    expect(model.classes).toEqual(['apple', 'pear', 'plum']);
    expect(p[1]).toBeGreaterThan(0.9); // green → pear
    // An unseen colour carries no evidence: close to the (uniform) prior.
    for (let c = 0; c < 3; c++) expect(p[3 + c]).toBeCloseTo(1 / 3, 1);
  });
});

describe('logistic training control', () => {
  it('reports increasing progress ending at 1', async () => {
    const { train } = splitDataset(breastCancer(), 42, HOLD_OUT_30);
    const seen: number[] = [];
    await logisticTrainer.fit(train, logisticParamsSchema.parse({ tol: 1e-12 }), {
      seed: 1,
      onProgress: (f) => seen.push(f),
    });
    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('stops with a rejection when the signal aborts during training', async () => {
    const { train } = splitDataset(breastCancer(), 42, HOLD_OUT_30);
    const controller = new AbortController();
    let calls = 0;
    const fit = logisticTrainer.fit(train, logisticParamsSchema.parse({ tol: 1e-12, maxIter: 1000 }), {
      seed: 1,
      signal: controller.signal,
      onProgress: () => {
        calls++;
        controller.abort(new Error('cancelled by test'));
      },
    });
    await expect(fit).rejects.toThrow('cancelled by test');
    expect(calls).toBe(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const fit = logisticTrainer.fit(breastCancer(), logisticParamsSchema.parse({}), { seed: 1, signal: controller.signal });
    await expect(fit).rejects.toBe(controller.signal.reason);
  });

  it('refuses a regression dataset', async () => {
    const ds = buildDataset('regression', [], [{ id: 1, features: {}, label: 1 }]);
    await expect(logisticTrainer.fit(ds, logisticParamsSchema.parse({}), { seed: 1 })).rejects.toThrow(/regression/);
  });
});
