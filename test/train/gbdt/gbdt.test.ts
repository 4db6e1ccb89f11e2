import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildDataset, encodeRows, splitDataset, type LabelledRow } from '../../../src/data/build-dataset.js';
import type { Dataset } from '../../../src/data/dataset.js';
import { mulberry32 } from '../../../src/data/random.js';
import type { FeatureRow, FeatureSpec } from '../../../src/domain/entities.js';
import { closeTrainingThreads, continueTraining, gbdtTrainer, keptAfterFit } from '../../../src/train/gbdt/gbdt.js';
import { binaryLogLoss } from '../../../src/train/gbdt/loss.js';
import { EarlyStopThread } from '../../../src/train/gbdt/early-stopping.js';
import type { GbdtPredictor } from '../../../src/train/gbdt/gbdt-predictor.js';
import { gbdtParamsSchema, type GbdtParams } from '../../../src/train/gbdt/params.js';
import { gradientBits, gradientShift, sumPacked } from '../../../src/train/gbdt/histogram.js';
import { HistTeam, sweepPolicy } from '../../../src/train/gbdt/hist-team.js';
import { PredictPool } from '../../../src/train/gbdt/predict-pool.js';
import { loadPredictor } from '../../../src/train/registry.js';
import { loadSharedCsv } from '../load-csv.js';

const HOLD_OUT_30 = { train: 0.7, validation: 0, test: 0.3 };
// scikit-learn HistGradientBoosting's defaults, for like-for-like accuracy checks.
const SKLEARN_LIKE = { growPolicy: 'leafwise', maxDepth: 0, maxLeaves: 31, l2: 0, minSamplesLeaf: 20 } as const;

const params = (p: Partial<GbdtParams> = {}): GbdtParams => gbdtParamsSchema.parse(p);

function shared(name: string, task: Dataset['task']): Dataset {
  const { features, rows } = loadSharedCsv(name);
  return buildDataset(task, features, rows);
}

function accuracy(p: Float64Array, y: Float64Array, K: number): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    if (K === 1) best = p[i] >= 0.5 ? 1 : 0;
    else for (let k = 1; k < K; k++) if (p[i * K + k] > p[i * K + best]) best = k;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

function rmse(p: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

/** n rows: x1, x2 uniform, y = 1 when x1 + x2 > 1 (with 5% label noise). */
function synthetic(n: number, seed: number): Dataset {
  const random = mulberry32(seed);
  const features: FeatureSpec[] = [
    { name: 'x1', type: 'number' },
    { name: 'x2', type: 'number' },
    { name: 'noise', type: 'number' },
  ];
  const rows: LabelledRow[] = Array.from({ length: n }, (_, i) => {
    const x1 = random();
    const x2 = random();
    const flip = random() < 0.05;
    return { id: i, features: { x1, x2, noise: random() }, label: (x1 + x2 > 1) !== flip ? 1 : 0 };
  });
  return buildDataset('binary', features, rows);
}

/** 12,000 rows x 20 features: above the size where worker threads are used. */
function wide(): Dataset {
  const random = mulberry32(9);
  const features: FeatureSpec[] = Array.from({ length: 20 }, (_, j) => ({ name: `f${j}`, type: 'number' }));
  const rows: LabelledRow[] = Array.from({ length: 12_000 }, (_, i) => {
    const values: Record<string, number> = {};
    for (let j = 0; j < 20; j++) values[`f${j}`] = random();
    return { id: i, features: values, label: values.f0 + values.f1 * values.f2 > 0.7 ? 1 : 0 };
  });
  return buildDataset('binary', features, rows);
}

describe('gbdt params', () => {
  it('fills every default and refuses unknown keys', () => {
    const p = params();
    expect(p).toMatchObject({ mode: 'gbdt', numTrees: 100, learningRate: 0.1, maxDepth: 6, maxBins: 255, threads: 2, warmStart: false });
    expect(() => gbdtParamsSchema.parse({ nTrees: 5 })).toThrow();
    expect(() => gbdtParamsSchema.parse({ maxBins: 256 })).toThrow();
  });
});

describe('gbdt accuracy on the shared data sets (70/30 split, seed 42)', () => {
  // Reference numbers: /usr/bin/python3 with Debian's scikit-learn 1.2, HistGradientBoosting{Classifier,Regressor}
  // (max_iter=100, learning_rate=0.1, early_stopping=False, random_state=0, other defaults) fitted on the rows
  // of splitDataset(dataset, 42, {train: 0.7, validation: 0, test: 0.3}) exported to JSON, scored on the test rows
  // (RandomForestClassifier(random_state=0) on the same breast_cancer rows: 0.9240).
  it('binary: breast_cancer accuracy within 0.02 of scikit-learn (0.9181)', async () => {
    const { train, test } = splitDataset(shared('breast_cancer.csv', 'binary'), 42, HOLD_OUT_30);
    const model = await gbdtTrainer.fit(train, params(SKLEARN_LIKE), { seed: 1 });
    expect(accuracy(model.predictMatrix(test.x), test.y, 1)).toBeGreaterThanOrEqual(0.9181 - 0.02);
  });

  it('multiclass: wine accuracy within 0.04 of scikit-learn (0.9434)', async () => {
    const { train, test } = splitDataset(shared('wine.csv', 'multiclass'), 42, HOLD_OUT_30);
    const model = await gbdtTrainer.fit(train, params(SKLEARN_LIKE), { seed: 1 });
    expect(model.outputsPerRow).toBe(3);
    expect(accuracy(model.predictMatrix(test.x), test.y, 3)).toBeGreaterThanOrEqual(0.9434 - 0.04);
  });

  it('regression: diabetes RMSE within 3% of scikit-learn (61.69)', async () => {
    const { train, test } = splitDataset(shared('diabetes.csv', 'regression'), 42, HOLD_OUT_30);
    const model = await gbdtTrainer.fit(train, params(SKLEARN_LIKE), { seed: 1 });
    expect(rmse(model.predictMatrix(test.x), test.y)).toBeLessThanOrEqual(61.69 * 1.03);
  });

  it('regression with absolute and huber losses stays close to squared error', async () => {
    const { train, test } = splitDataset(shared('diabetes.csv', 'regression'), 42, HOLD_OUT_30);
    for (const loss of ['absolute', 'huber'] as const) {
      const model = await gbdtTrainer.fit(train, params({ loss, huberDelta: 30 }), { seed: 1 });
      expect(rmse(model.predictMatrix(test.x), test.y)).toBeLessThan(66);
    }
  });

  it('random-forest mode learns too (within 0.02 of scikit-learn\'s random forest, 0.9240)', async () => {
    const { train, test } = splitDataset(shared('breast_cancer.csv', 'binary'), 42, HOLD_OUT_30);
    const model = await gbdtTrainer.fit(train, params({ mode: 'rf', numTrees: 50, maxDepth: 8, minSamplesLeaf: 2 }), { seed: 1 });
    expect(accuracy(model.predictMatrix(test.x), test.y, 1)).toBeGreaterThanOrEqual(0.924 - 0.02);
  });
});

describe('gbdt features', () => {
  it('learns where missing values belong', async () => {
    // y = 1 exactly when x is missing or above 0.7: only a learned default direction gets the missing rows right.
    const random = mulberry32(3);
    const rows: LabelledRow[] = Array.from({ length: 600 }, (_, i) => {
      const missing = random() < 0.3;
      const x = random();
      return { id: i, features: { x: missing ? null : x }, label: missing || x > 0.7 ? 1 : 0 };
    });
    const data = buildDataset('binary', [{ name: 'x', type: 'number' }], rows);
    const model = await gbdtTrainer.fit(data, params({ numTrees: 30, learningRate: 0.3 }), { seed: 1 });
    const p = model.predictRows([{ x: null }, { x: 0.9 }, { x: 0.2 }, {}]);
    expect(p[0]).toBeGreaterThan(0.9);
    expect(p[1]).toBeGreaterThan(0.9);
    expect(p[2]).toBeLessThan(0.1);
    expect(p[3]).toBeGreaterThan(0.9);
  });

  it('splits categories natively: one split separates a scattered set of levels', async () => {
    // 24 levels; the positive ones are scattered through the (alphabetical) code order, so no
    // threshold on the code could separate them, but one categorical split can.
    const levels = Array.from({ length: 24 }, (_, i) => `L${String(i).padStart(2, '0')}`);
    const positive = new Set(levels.filter((_, i) => (i * 7) % 5 < 2));
    const random = mulberry32(5);
    const rows: LabelledRow[] = Array.from({ length: 1200 }, (_, i) => {
      const c = levels[Math.floor(random() * levels.length)];
      return { id: i, features: { c, x: random() }, label: positive.has(c) ? 1 : 0 };
    });
    const features: FeatureSpec[] = [
      { name: 'c', type: 'category' },
      { name: 'x', type: 'number' },
    ];
    const data = buildDataset('binary', features, rows);
    const model = (await gbdtTrainer.fit(data, params({ numTrees: 1, maxDepth: 1, learningRate: 1, minSamplesLeaf: 1 }), { seed: 1 })) as GbdtPredictor;
    expect(accuracy(model.predictMatrix(data.x), data.y, 1)).toBe(1);
    expect(model.importance().find((f) => f.feature === 'c')).toMatchObject({ splits: 1 });
    // An unseen level takes the learned default direction instead of failing.
    expect(model.predictRows([{ c: 'never seen', x: 0.5 }])[0]).toBeGreaterThan(0);
  });

  it('reports gain and split counts per feature', async () => {
    const model = (await gbdtTrainer.fit(synthetic(2000, 1), params({ numTrees: 20 }), { seed: 1 })) as GbdtPredictor;
    const imp = model.importance();
    expect(imp.map((f) => f.feature)).toEqual(['x1', 'x2', 'noise']);
    expect(imp[0].gain).toBeGreaterThan(imp[2].gain * 5);
    expect(imp[1].gain).toBeGreaterThan(imp[2].gain * 5);
    expect(imp[0].splits).toBeGreaterThan(0);
  });

  it('grows leaf-wise up to maxLeaves', async () => {
    const model = (await gbdtTrainer.fit(synthetic(2000, 1), params({ numTrees: 3, growPolicy: 'leafwise', maxDepth: 0, maxLeaves: 5, minSamplesLeaf: 1 }), {
      seed: 1,
    })) as GbdtPredictor;
    // 5 leaves = 4 splits = 9 nodes per tree.
    expect(model.ensemble.nodes).toBe(27);
  });

  it('predicts one row without allocating the same as the batch', async () => {
    const data = synthetic(500, 2);
    const model = (await gbdtTrainer.fit(data, params({ numTrees: 10 }), { seed: 1 })) as GbdtPredictor;
    const batch = model.predictMatrix(data.x);
    const row = new Float64Array(3);
    const out = new Float64Array(1);
    for (let i = 0; i < 50; i++) {
      for (let f = 0; f < 3; f++) row[f] = (data.x.columns[f] as { values: Float64Array }).values[i];
      model.predictRowInto(row, out);
      expect(out[0]).toBe(batch[i]);
    }
  });
});

describe('gbdt batch prediction', () => {
  /** n rows of two numbers (some missing when `missing`) and, when `category`, a category; label from all three. */
  function mixed(n: number, seed: number, missing: boolean, category: boolean): Dataset {
    const random = mulberry32(seed);
    const features: FeatureSpec[] = [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number' },
      ...(category ? [{ name: 'c', type: 'category' } as FeatureSpec] : []),
    ];
    const rows: LabelledRow[] = Array.from({ length: n }, (_, i) => {
      const a = random();
      const b = random();
      const c = `L${Math.floor(random() * 6)}`;
      const values: Record<string, number | string | null> = { a: missing && random() < 0.2 ? null : a, b };
      if (category) values.c = c;
      const score = a + b + (category && (c === 'L1' || c === 'L4') ? 0.6 : 0) + (values.a === null ? 0.5 : 0);
      return { id: i, features: values, label: score > 1.2 ? 1 : 0 };
    });
    return buildDataset('binary', features, rows);
  }

  for (const [name, missing, category] of [
    ['numbers only', false, false],
    ['numbers with missing values', true, false],
    ['numbers, missing values and a category', true, true],
  ] as const) {
    it(`gives each row exactly its single-row prediction (${name})`, async () => {
      const data = mixed(1003, 21, missing, category);
      const model = (await gbdtTrainer.fit(data, params({ numTrees: 12, minSamplesLeaf: 5 }), { seed: 1 })) as GbdtPredictor;
      const batch = model.predictMatrix(data.x);
      const F = data.x.columns.length;
      const row = new Float64Array(F);
      const out = new Float64Array(1);
      for (let i = 0; i < data.x.rows; i++) {
        for (let f = 0; f < F; f++) {
          const c = data.x.columns[f];
          row[f] = c.kind === 'number' ? c.values[i] : c.kind === 'category' ? c.codes[i] : NaN;
        }
        model.predictRowInto(row, out);
        expect(out[0]).toBe(batch[i]);
      }
      expect(accuracy(batch, data.y, 1)).toBeGreaterThan(0.9);
    });
  }

  it('scores raw rows of a request exactly as the encoded batch does, odd values included', async () => {
    const data = mixed(1003, 25, true, true);
    const model = (await gbdtTrainer.fit(data, params({ numTrees: 12, minSamplesLeaf: 5 }), { seed: 1 })) as GbdtPredictor;
    const random = mulberry32(26);
    // Numbers, booleans, missing and non-finite values; known, unknown, numeric and missing levels.
    const odd = [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, true, false, 'text', 0.3, 0.9];
    const rows = Array.from({ length: 300 }, () => ({
      a: random() < 0.5 ? random() : odd[Math.floor(random() * odd.length)],
      b: random(),
      c: [`L${Math.floor(random() * 6)}`, 'never seen', 3, null, true][Math.floor(random() * 5)],
    })) as FeatureRow[];
    const all = model.predictMatrix(encodeRows(data.features, rows, model.info.levels));
    // Requests of 1 to 64 rows take the direct path; 300 rows the column matrix.
    for (const [from, to] of [[0, 1], [1, 6], [6, 70], [70, 134], [0, 300]]) {
      expect(Array.from(model.predictRows(rows.slice(from, to)))).toEqual(Array.from(all.subarray(from, to)));
    }
  });

  it('scores a request of one to seven rows exactly as row by row, with trees of different depths', async () => {
    // Few rows and a leaf minimum: trees stop at different depths, and 13 trees leave a remainder
    // after the kernel's groups of four.
    const data = mixed(300, 27, false, false);
    const model = (await gbdtTrainer.fit(data, params({ numTrees: 13, maxDepth: 5, minSamplesLeaf: 20 }), { seed: 1 })) as GbdtPredictor;
    const depths = new Set(Array.from(model.ensemble.compiled().depth));
    expect(depths.size).toBeGreaterThan(1);
    const a = (data.x.columns[0] as { values: Float64Array }).values;
    const b = (data.x.columns[1] as { values: Float64Array }).values;
    const out = new Float64Array(1);
    for (let n = 1; n <= 7; n++) {
      const rows = Array.from({ length: n }, (_, i) => ({ a: a[i * 7], b: b[i * 7] }));
      const got = model.predictRows(rows);
      rows.forEach((r, i) => {
        model.predictRowInto(Float64Array.of(r.a, r.b), out);
        expect(got[i]).toBe(out[0]);
      });
    }
  });

  it('predicts a large batch on two threads exactly as row by row', async () => {
    const train = mixed(3000, 23, true, false);
    const model = (await gbdtTrainer.fit(train, params({ numTrees: 30, minSamplesLeaf: 5 }), { seed: 1 })) as GbdtPredictor;
    expect(await PredictPool.whenReady()).toBe(true);
    // Enough rows for the second thread, in several chunks; the first half of them without missing values.
    const data = mixed(40_000, 24, true, false);
    const a = (data.x.columns[0] as { values: Float64Array }).values;
    const noMissing = (i: number) => i < 20_000 && a[i] !== a[i];
    for (let i = 0; i < data.x.rows; i++) if (noMissing(i)) a[i] = 0.5;
    const batch = model.predictMatrix(data.x);
    const row = new Float64Array(2);
    const out = new Float64Array(1);
    let differ = 0;
    for (let i = 0; i < data.x.rows; i++) {
      row[0] = a[i];
      row[1] = (data.x.columns[1] as { values: Float64Array }).values[i];
      model.predictRowInto(row, out);
      if (out[0] !== batch[i]) differ++;
    }
    expect(differ).toBe(0);
  });

  for (const task of ['multiclass', 'regression'] as const) {
    it(`predicts a large ${task} batch on two threads exactly as row by row, dense blocks, missing values and infinities`, async () => {
      const random = mulberry32(31);
      const features: FeatureSpec[] = [
        { name: 'a', type: 'number' },
        { name: 'b', type: 'number' },
      ];
      const make = (n: number, missingShare: number): Dataset => {
        const rows: LabelledRow[] = Array.from({ length: n }, (_, i) => {
          const a = random();
          const b = random();
          const label = task === 'multiclass' ? `c${Math.min(2, Math.floor((a + b) * 1.5))}` : 3 * a - b;
          return { id: i, features: { a: random() < missingShare ? null : a, b }, label };
        });
        return buildDataset(task, features, rows);
      };
      // Trained with missing values (so that some splits send them right).
      const model = (await gbdtTrainer.fit(make(3000, 0.1), params({ numTrees: 20, minSamplesLeaf: 5 }), { seed: 1 })) as GbdtPredictor;
      expect(await PredictPool.whenReady()).toBe(true);
      // Predicted rows without missing values, except in two blocks (rows 5,000-5,511), and with an
      // infinite value in two other blocks: those make a block's column sums say "maybe missing",
      // so they take the missing-value kernels while the rest take the dense ones. Same answers.
      const data = make(30_000, 0);
      const a = (data.x.columns[0] as { values: Float64Array }).values;
      const b = (data.x.columns[1] as { values: Float64Array }).values;
      for (let i = 5_000; i < 5_512; i += 3) a[i] = NaN;
      b[100] = Infinity;
      b[20_000] = -Infinity;
      const batch = model.predictMatrix(data.x);
      const K = model.outputsPerRow;
      expect(batch.length).toBe(data.x.rows * K);
      const row = new Float64Array(2);
      const out = new Float64Array(K);
      let differ = 0;
      for (let i = 0; i < data.x.rows; i++) {
        row[0] = a[i];
        row[1] = b[i];
        model.predictRowInto(row, out);
        for (let k = 0; k < K; k++) if (out[k] !== batch[i * K + k]) differ++;
      }
      expect(differ).toBe(0);
    });
  }

  it('predicts two models in turn on two threads, each exactly as row by row (a text column too)', async () => {
    const random = mulberry32(41);
    const features: FeatureSpec[] = [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number' },
      { name: 'note', type: 'text' },
    ];
    const make = (n: number, flip: boolean): Dataset =>
      buildDataset(
        'binary',
        features,
        Array.from({ length: n }, (_, i) => {
          const a = random();
          const b = random();
          return { id: i, features: { a, b, note: `row ${i}` }, label: (a > b) !== flip ? 1 : 0 };
        }),
      );
    const first = (await gbdtTrainer.fit(make(2000, false), params({ numTrees: 15 }), { seed: 1 })) as GbdtPredictor;
    // Batches alternate first, second, first: the prediction thread must be handed each model's
    // trees in turn (the first one's copy is kept and sent again).
    const second = (await gbdtTrainer.fit(make(2000, true), params({ numTrees: 15 }), { seed: 2 })) as GbdtPredictor;
    expect(await PredictPool.whenReady()).toBe(true);
    const data = make(20_000, false);
    const a = (data.x.columns[0] as { values: Float64Array }).values;
    const b = (data.x.columns[1] as { values: Float64Array }).values;
    const row = new Float64Array([0, 0, NaN]);
    const out = new Float64Array(1);
    for (const model of [first, second, first]) {
      const batch = model.predictMatrix(data.x);
      let differ = 0;
      for (let i = 0; i < data.x.rows; i++) {
        row[0] = a[i];
        row[1] = b[i];
        model.predictRowInto(row, out);
        if (out[0] !== batch[i]) differ++;
      }
      expect(differ).toBe(0);
    }
    // The two models disagree (opposite labels), so a mix-up would have shown.
    expect(first.predictMatrix(data.x)[0] > 0.5).not.toBe(second.predictMatrix(data.x)[0] > 0.5);
  });

  it('loads from a Node Buffer that is a view into a larger buffer', async () => {
    const data = mixed(400, 22, true, true);
    const model = await gbdtTrainer.fit(data, params({ numTrees: 5, minSamplesLeaf: 5 }), { seed: 1 });
    const bytes = model.serialize();
    // Artifacts come back from files and databases as Buffers, often slices of a shared pool.
    const pool = Buffer.alloc(bytes.length + 13, 7);
    pool.set(bytes, 5);
    const view = pool.subarray(5, 5 + bytes.length);
    const loaded = gbdtTrainer.load(view);
    const before = model.predictMatrix(data.x);
    const after = loaded.predictMatrix(data.x);
    expect(Array.from(after).every((v, i) => Object.is(v, before[i]))).toBe(true);
  });
});

describe('gbdt quantized gradients', () => {
  it('picks a grid whose sums stay exact in a double for the rows of the fit, and none past 16 million rows', () => {
    expect(gradientBits(44_800)).toBe(10);
    expect(gradientBits(800_000)).toBe(6);
    expect(gradientBits(100)).toBe(12);
    for (const rows of [1, 100, 44_800, 800_000, 5_000_000, 16_000_000]) {
      const bits = gradientBits(rows);
      expect(bits).toBeGreaterThanOrEqual(2);
      const shift = gradientShift(rows, bits);
      // Every row's hessian at its largest (2^bits) sums below 2^shift; every gradient at its
      // largest (2^bits in magnitude), shifted, plus those hessians, below 2^53.
      expect(rows * 2 ** bits).toBeLessThan(2 ** shift);
      expect(rows * 2 ** bits * 2 ** shift + rows * 2 ** bits).toBeLessThanOrEqual(2 ** 53);
    }
    expect(gradientBits(20_000_000)).toBe(0);
  });

  it('packs sums that unpack to exact integers on the grid, negative gradients included', () => {
    const bits = 6;
    const shift = gradientShift(1000, bits);
    const q = new Float64Array(1000);
    const idx = Int32Array.from({ length: 1000 }, (_, i) => i);
    let G = 0;
    let H = 0;
    for (let r = 0; r < 1000; r++) {
      const gq = (r % 129) - 64; // -64 .. 64
      const hq = r % 65; // 0 .. 64
      q[r] = gq * 2 ** shift + hq;
      G += gq;
      H += hq;
    }
    const out = new Float64Array(2);
    sumPacked(q, idx, 0, 1000, bits, shift, out);
    expect(out[0]).toBe(G / 2 ** bits);
    expect(out[1]).toBe(H / 2 ** (bits + 2));
  });

  it('learns as well as exact gradients on the shared data sets, with models of their own', async () => {
    for (const [name, task] of [['breast_cancer.csv', 'binary'], ['wine.csv', 'multiclass']] as const) {
      const { train, test } = splitDataset(shared(name, task), 42, HOLD_OUT_30);
      const exact = await gbdtTrainer.fit(train, params({ ...SKLEARN_LIKE, quantizedGradients: false }), { seed: 1 });
      const quantized = await gbdtTrainer.fit(train, params(SKLEARN_LIKE), { seed: 1 });
      expect(Buffer.from(quantized.serialize()).equals(Buffer.from(exact.serialize()))).toBe(false);
      const K = task === 'binary' ? 1 : 3;
      const a = accuracy(exact.predictMatrix(test.x), test.y, K);
      const b = accuracy(quantized.predictMatrix(test.x), test.y, K);
      expect(Math.abs(a - b)).toBeLessThanOrEqual(0.02);
    }
    // And on 20,000 rows, the log loss of held-out rows within 1% of exact's.
    const train = synthetic(20_000, 31);
    const test = synthetic(5_000, 32);
    const loss = async (quantizedGradients: boolean) => {
      const model = await gbdtTrainer.fit(train, params({ numTrees: 50, quantizedGradients }), { seed: 1 });
      const p = model.predictMatrix(test.x);
      let s = 0;
      for (let i = 0; i < test.y.length; i++) s -= Math.log(test.y[i] === 1 ? p[i] : 1 - p[i]);
      return s / test.y.length;
    };
    const exact = await loss(false);
    expect(Math.abs((await loss(true)) - exact) / exact).toBeLessThan(0.01);
  });

  it('stays finite and accurate on separable rows without an L2 penalty, where most hessians round to zero', async () => {
    // Separable rows at full learning rate: after a few trees most rows are certain and their
    // hessians below the grid's step, so most round to 0 (gbdt.ts also guards a leaf whose
    // hessians sum to 0 without l2, though split search's row estimate keeps such a side out).
    const data = synthetic(4000, 8);
    const [x1, x2] = data.x.columns.map((c) => (c.kind === 'number' ? c.values : new Float64Array(0)));
    for (let i = 0; i < data.y.length; i++) data.y[i] = x1[i] + x2[i] > 1 ? 1 : 0;
    const model = await gbdtTrainer.fit(data, params({ numTrees: 40, learningRate: 1, l2: 0, minChildWeight: 0, minSamplesLeaf: 1, maxDepth: 8 }), { seed: 1 });
    const p = model.predictMatrix(data.x);
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
    expect(accuracy(p, data.y, 1)).toBeGreaterThan(0.97);
  });

  it('leaves regression alone: the same model with the option on or off', async () => {
    const { train } = splitDataset(shared('diabetes.csv', 'regression'), 42, HOLD_OUT_30);
    const on = await gbdtTrainer.fit(train, params({ numTrees: 10 }), { seed: 1 });
    const off = await gbdtTrainer.fit(train, params({ numTrees: 10, quantizedGradients: false }), { seed: 1 });
    expect(Buffer.from(on.serialize()).equals(Buffer.from(off.serialize()))).toBe(true);
  });
});

describe('gbdt training runs', () => {
  it('is deterministic under a seed (with row and column sampling) and the seed matters', async () => {
    const data = synthetic(1500, 4);
    const p = params({ numTrees: 15, subsample: 0.7, colsampleByTree: 0.67, colsampleByNode: 0.5 });
    const a = await gbdtTrainer.fit(data, p, { seed: 11 });
    const b = await gbdtTrainer.fit(data, p, { seed: 11 });
    const c = await gbdtTrainer.fit(data, p, { seed: 12 });
    expect(Buffer.from(a.serialize()).equals(Buffer.from(b.serialize()))).toBe(true);
    expect(Buffer.from(a.serialize()).equals(Buffer.from(c.serialize()))).toBe(false);
  });

  it('gives the same model with two threads as with one', async () => {
    const data = wide();
    const one = await gbdtTrainer.fit(data, params({ numTrees: 5, threads: 1 }), { seed: 1 });
    const two = await gbdtTrainer.fit(data, params({ numTrees: 5, threads: 2 }), { seed: 1 });
    expect(Buffer.from(two.serialize()).equals(Buffer.from(one.serialize()))).toBe(true);
  });

  it("early stopping on a team of two threads (each pass done beside the next tree's first histogram build) makes the model one thread makes", async () => {
    // 10,200 x 20 cells: enough for two threads.
    const { train, validation } = splitDataset(wide(), 5, { train: 0.85, validation: 0.15, test: 0 });
    const alongside = vi.spyOn(HistTeam.prototype, 'alongsideNextBuild');
    const cases: [string, Partial<GbdtParams>][] = [
      ['stopping', { numTrees: 200, learningRate: 0.8, earlyStoppingRounds: 3 }],
      ['every round', { numTrees: 12, earlyStoppingRounds: 50 }],
    ];
    const trees: number[] = [];
    for (const [name, extra] of cases) {
      const one = await gbdtTrainer.fit(train, params({ ...extra, threads: 1 }), { seed: 2, validation });
      expect(alongside, name).not.toHaveBeenCalled();
      const two = await gbdtTrainer.fit(train, params({ ...extra, threads: 2 }), { seed: 2, validation });
      expect(alongside.mock.calls.filter(([work]) => typeof work === 'function').length, name).toBeGreaterThan(3);
      alongside.mockClear();
      expect(Buffer.from(two.serialize()).equals(Buffer.from(one.serialize())), name).toBe(true);
      trees.push((two as GbdtPredictor).trees);
    }
    alongside.mockRestore();
    expect(trees[0]).toBeLessThan(200);
    expect(trees[1]).toBe(12);
  });

  it('builds deep levels by sweeps on large data (row and feature sampling, early stopping, three classes), the same model on one thread and on two', async () => {
    // 60,000 x 28: sweeps from any size here (they start at the processor's cache size, see sweepPolicy).
    const n = 60_000;
    const F = 28;
    const fromBytes = sweepPolicy.fromBytes;
    expect(fromBytes).toBeGreaterThan(1024 * 1024);
    sweepPolicy.fromBytes = 0;
    const random = mulberry32(31);
    const columns = Array.from({ length: F }, () => new Float64Array(n));
    const yBinary = new Float64Array(n);
    const yClass = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (const c of columns) c[i] = random();
      if (random() < 0.03) columns[5][i] = NaN;
      const z = columns[0][i] + columns[1][i] * columns[2][i] - 0.5 * columns[3][i] + 0.2 * random();
      yBinary[i] = z > 0.45 ? 1 : 0;
      yClass[i] = z < 0.2 ? 0 : z < 0.6 ? 1 : 2;
    }
    const x = { rows: n, columns: columns.map((values, j) => ({ name: `f${j}`, kind: 'number' as const, values })) };
    const features: FeatureSpec[] = columns.map((_, j) => ({ name: `f${j}`, type: 'number' }));
    const binary: Dataset = { task: 'binary', features, x, y: yBinary, classes: ['0', '1'], rowIds: new Float64Array(0) };
    const multiclass: Dataset = { task: 'multiclass', features, x, y: yClass, classes: ['a', 'b', 'c'], rowIds: new Float64Array(0) };
    const { train, validation } = splitDataset(binary, 3, { train: 0.9, validation: 0.1, test: 0 });
    const sweep = vi.spyOn(HistTeam.prototype, 'sweep');
    try {
      const cases: [string, Dataset, Partial<GbdtParams>, Dataset | undefined][] = [
        ['binary, sampled, early stopping', train, { numTrees: 6, subsample: 0.7, colsampleByNode: 0.6, earlyStoppingRounds: 2 }, validation],
        ['three classes', multiclass, { numTrees: 2 }, undefined],
      ];
      for (const [name, data, extra, valid] of cases) {
        const one = await gbdtTrainer.fit(data, params({ ...extra, threads: 1 }), { seed: 4, ...(valid ? { validation: valid } : {}) });
        expect(sweep.mock.calls.length, name).toBeGreaterThan(0);
        sweep.mockClear();
        const two = await gbdtTrainer.fit(data, params({ ...extra, threads: 2 }), { seed: 4, ...(valid ? { validation: valid } : {}) });
        expect(sweep.mock.calls.length, name).toBeGreaterThan(0);
        sweep.mockClear();
        expect(Buffer.from(two.serialize()).equals(Buffer.from(one.serialize())), name).toBe(true);
      }
    } finally {
      sweep.mockRestore();
      sweepPolicy.fromBytes = fromBytes;
    }
  });

  it('gives the same model with two threads as with one with exact gradients too (quantizedGradients: false), a model of its own', async () => {
    const data = wide();
    const one = await gbdtTrainer.fit(data, params({ numTrees: 5, threads: 1, quantizedGradients: false }), { seed: 1 });
    const two = await gbdtTrainer.fit(data, params({ numTrees: 5, threads: 2, quantizedGradients: false }), { seed: 1 });
    const quantized = await gbdtTrainer.fit(data, params({ numTrees: 5, threads: 2 }), { seed: 1 });
    expect(Buffer.from(two.serialize()).equals(Buffer.from(one.serialize()))).toBe(true);
    expect(Buffer.from(quantized.serialize()).equals(Buffer.from(one.serialize()))).toBe(false);
  });

  it('trains on the threads kept from earlier fits, two fits at once, and again once they are closed, always the same model', async () => {
    const data = wide();
    const p = params({ numTrees: 5, threads: 2 });
    const bytes = async (fit: Promise<{ serialize(): Uint8Array }>) => Buffer.from((await fit).serialize());
    const first = await bytes(gbdtTrainer.fit(data, p, { seed: 1 }));
    const again = await bytes(gbdtTrainer.fit(data, p, { seed: 1 }));
    // Two fits in flight at once get a set of threads each.
    const [a, b] = await Promise.all([bytes(gbdtTrainer.fit(data, p, { seed: 1 })), bytes(gbdtTrainer.fit(data, p, { seed: 1 }))]);
    await closeTrainingThreads();
    const afterClose = await bytes(gbdtTrainer.fit(data, p, { seed: 1 }));
    for (const other of [again, a, b, afterClose]) expect(other.equals(first)).toBe(true);
  });

  it('gives the same model with two threads as with one once predictions are confident (sums that depend on their order)', async () => {
    // A rule the trees learn exactly, at full learning rate: gradients soon range from about 0.5
    // down to 1e-9, and adding them in another order changes the last bits of the histograms.
    // 60,000 rows: several row blocks with two threads.
    const n = 60_000;
    const random = mulberry32(21);
    const columns = Array.from({ length: 3 }, () => new Float64Array(n));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (const c of columns) c[i] = random();
      y[i] = columns[0][i] > 0.5 !== columns[1][i] > 0.7 ? 1 : 0;
    }
    const data: Dataset = {
      task: 'binary',
      features: columns.map((_, j) => ({ name: `f${j}`, type: 'number' })),
      x: { rows: n, columns: columns.map((values, j) => ({ name: `f${j}`, kind: 'number', values })) },
      y,
      classes: ['0', '1'],
      rowIds: new Float64Array(0),
    };
    const p = { numTrees: 30, maxDepth: 3, learningRate: 1, minSamplesLeaf: 1, minChildWeight: 0, l2: 0.01 };
    const one = await gbdtTrainer.fit(data, params({ ...p, threads: 1 }), { seed: 1 });
    const two = await gbdtTrainer.fit(data, params({ ...p, threads: 2 }), { seed: 1 });
    expect(Buffer.from(two.serialize()).equals(Buffer.from(one.serialize()))).toBe(true);
  });

  it('gives the same model with two threads as with one when big nodes are built in row segments', async () => {
    // 150,000 rows: the top nodes (over 131,072 rows) have their histograms built in segments.
    const n = 150_000;
    const random = mulberry32(5);
    const columns = Array.from({ length: 4 }, () => new Float64Array(n));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (const c of columns) c[i] = random();
      y[i] = columns[0][i] + columns[1][i] * columns[2][i] + 0.2 * random() > 0.8 ? 1 : 0;
    }
    const data: Dataset = {
      task: 'binary',
      features: columns.map((_, j) => ({ name: `f${j}`, type: 'number' })),
      x: { rows: n, columns: columns.map((values, j) => ({ name: `f${j}`, kind: 'number', values })) },
      y,
      classes: ['0', '1'],
      rowIds: new Float64Array(0),
    };
    const one = await gbdtTrainer.fit(data, params({ numTrees: 3, maxDepth: 4, threads: 1 }), { seed: 1 });
    const two = await gbdtTrainer.fit(data, params({ numTrees: 3, maxDepth: 4, threads: 2 }), { seed: 1 });
    expect(Buffer.from(two.serialize()).equals(Buffer.from(one.serialize()))).toBe(true);
    // And the model learned the rule: most rows on the right side of 0.5.
    const p = one.predictMatrix(data.x);
    let right = 0;
    for (let i = 0; i < n; i++) if (p[i] > 0.5 === (y[i] === 1)) right++;
    expect(right / n).toBeGreaterThan(0.85);
  });

  it('round-trips through serialisation bit-identically', async () => {
    const { train, test } = splitDataset(shared('wine.csv', 'multiclass'), 42, HOLD_OUT_30);
    const model = await gbdtTrainer.fit(train, params({ numTrees: 20 }), { seed: 1 });
    const bytes = model.serialize();
    const loaded = loadPredictor('gbdt', bytes);
    expect(loaded.classes).toEqual(model.classes);
    const before = model.predictMatrix(test.x);
    const after = loaded.predictMatrix(test.x);
    expect(Array.from(after).every((v, i) => Object.is(v, before[i]))).toBe(true);
    expect(Buffer.from(loaded.serialize()).equals(Buffer.from(bytes))).toBe(true);
    expect(() => gbdtTrainer.load(new Uint8Array([1, 2, 3]))).toThrow(/not a gbdt model/);
  });

  it('warm start adds trees on new labels and keeps the earlier ones', async () => {
    const first = synthetic(1000, 6);
    const later = synthetic(1000, 7);
    const p = params({ numTrees: 10 });
    const champion = (await gbdtTrainer.fit(first, p, { seed: 1 })) as GbdtPredictor;
    const continued = await continueTraining(champion.serialize(), later, p, 5, { seed: 1 });
    expect(continued.trees).toBe(15);
    expect(continued.info.rounds).toBe(15);
    const old = champion.ensemble;
    const now = continued.ensemble;
    expect(Array.from(now.value.subarray(0, old.nodes))).toEqual(Array.from(old.value.subarray(0, old.nodes)));
    expect(Array.from(now.feature.subarray(0, old.nodes))).toEqual(Array.from(old.feature.subarray(0, old.nodes)));
    // The added trees lower the loss on the new labels.
    const logLoss = (q: Float64Array, y: Float64Array) => -y.reduce((s, v, i) => s + (v === 1 ? Math.log(q[i]) : Math.log(1 - q[i])), 0) / y.length;
    expect(logLoss(continued.predictMatrix(later.x), later.y)).toBeLessThan(logLoss(champion.predictMatrix(later.x), later.y));
    await expect(continueTraining(champion.serialize(), shared('diabetes.csv', 'regression'), p, 5)).rejects.toThrow(/warm start/);
  });

  for (const [name, multiclass, extra] of [
    ['binary, depthwise (last level applied without a partition)', false, {}],
    ['binary, leafwise', false, { growPolicy: 'leafwise', maxDepth: 0, maxLeaves: 12 }],
    ['multiclass', true, {}],
  ] as const) {
    it(`keeps training margins equal to the model's own predictions (${name})`, async () => {
      // Ten rounds at once against five, then five more from the saved model (whose margins
      // come from predicting the raw rows): the same trees only if training updated every row's
      // margin exactly as the trees route it.
      const data = multiclass ? shared('wine.csv', 'multiclass') : synthetic(3000, 12);
      const p = params({ minSamplesLeaf: 5, earlyStoppingRounds: 0, ...extra });
      const all = (await gbdtTrainer.fit(data, { ...p, numTrees: 10 }, { seed: 1 })) as GbdtPredictor;
      const half = await gbdtTrainer.fit(data, { ...p, numTrees: 5 }, { seed: 1 });
      const resumed = await continueTraining(half.serialize(), data, p, 5, { seed: 1 });
      expect(Buffer.from(resumed.serialize()).equals(Buffer.from(all.serialize()))).toBe(true);
    });
  }

  it('stops early on the validation set and keeps the best round', async () => {
    const data = synthetic(1500, 8);
    const validation = synthetic(500, 9);
    const model = (await gbdtTrainer.fit(data, params({ numTrees: 500, learningRate: 0.5, earlyStoppingRounds: 5 }), { seed: 1, validation })) as GbdtPredictor;
    expect(model.trees).toBeLessThan(500);
    expect(model.trees).toBeGreaterThan(0);
  });

  it("early stopping's validation log loss is the log loss of the margins, for every margin", () => {
    // Margins across the logistic's range and far beyond it (where a clamped probability capped the loss at 34.5).
    const random = mulberry32(7);
    const n = 20_000;
    const f = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      f[i] = i < 8 ? [-800, -40, -1e-9, 0, 1e-9, 40, 800, 1e300][i] : (random() - 0.5) * (i % 2 === 0 ? 12 : 90);
      y[i] = random() < 0.4 ? 1 : 0;
    }
    let exact = 0;
    for (let i = 0; i < n; i++) {
      // softplus(z) = log(1 + e^z), written so that it does not overflow.
      const z = y[i] === 1 ? -f[i] : f[i];
      exact += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }
    exact /= n;
    expect(Math.abs(binaryLogLoss(f, y) - exact) / exact).toBeLessThan(1e-9);
    // Row by row too, at the extremes: a confident wrong margin costs its size, a right one nothing.
    expect(binaryLogLoss(Float64Array.of(800), Float64Array.of(0))).toBeCloseTo(800, 9);
    expect(binaryLogLoss(Float64Array.of(800), Float64Array.of(1))).toBeLessThan(1e-300);
    expect(binaryLogLoss(Float64Array.of(0), Float64Array.of(1))).toBeCloseTo(Math.LN2, 12);
  });

  describe('early stopping on its own thread', () => {
    afterAll(() => EarlyStopThread.close());
    const bytes = (m: { serialize(): Uint8Array }) => Buffer.from(m.serialize());

    it("makes the very model early stopping on the fit's thread makes", async () => {
      expect(await EarlyStopThread.shared().whenReady()).toBe(true);
      const wine = splitDataset(shared('wine.csv', 'multiclass'), 3, { train: 0.7, validation: 0.3, test: 0 });
      const diabetes = splitDataset(shared('diabetes.csv', 'regression'), 3, { train: 0.7, validation: 0.3, test: 0 });
      // A category feature (category splits go by their bits) and missing numbers (by their default side).
      const mixed = (n: number, seed: number) => {
        const random = mulberry32(seed);
        const features: FeatureSpec[] = [
          { name: 'c', type: 'category' },
          { name: 'x', type: 'number' },
        ];
        const rows: LabelledRow[] = Array.from({ length: n }, (_, i) => {
          const c = 'abcdefg'[Math.floor(random() * 7)];
          const x = random();
          return { id: i, features: { c, ...(random() < 0.1 ? {} : { x }) }, label: ('aceg'.includes(c) ? 0.6 : 0.2) + x * 0.5 + random() * 0.3 > 0.8 ? 1 : 0 };
        });
        return buildDataset('binary', features, rows);
      };
      const cases: [string, Dataset, Dataset, Partial<GbdtParams>][] = [
        // Stops early (a high learning rate overfits soon), and runs to the end.
        ['binary, stopping', synthetic(1500, 8), synthetic(500, 9), { numTrees: 300, learningRate: 0.5, earlyStoppingRounds: 5 }],
        ['binary, every round', synthetic(1500, 8), synthetic(500, 9), { numTrees: 40, earlyStoppingRounds: 50 }],
        ['multiclass', wine.train, wine.validation, { numTrees: 60, learningRate: 0.3, earlyStoppingRounds: 4, minSamplesLeaf: 3 }],
        ['regression, huber', diabetes.train, diabetes.validation, { numTrees: 80, loss: 'huber', learningRate: 0.3, earlyStoppingRounds: 5 }],
        ['categories and missing values', mixed(1200, 4), mixed(400, 5), { numTrees: 80, learningRate: 0.3, earlyStoppingRounds: 5, minSamplesLeaf: 5 }],
      ];
      const posts = vi.spyOn(EarlyStopThread.prototype, 'post');
      for (const [name, data, validation, extra] of cases) {
        const here = await gbdtTrainer.fit(data, params(extra), { seed: 4, validation });
        expect(posts).not.toHaveBeenCalled();
        const there = await gbdtTrainer.fit(data, params(extra), { seed: 4, validation, helperThreads: true });
        // Its rounds went to the thread (a begin, the rounds, an end).
        expect(posts.mock.calls.length, name).toBeGreaterThan(3);
        posts.mockClear();
        expect(bytes(there).equals(bytes(here)), name).toBe(true);
      }
      posts.mockRestore();
      const stopped = (await gbdtTrainer.fit(cases[0][1], params(cases[0][3]), { seed: 4, validation: cases[0][2], helperThreads: true })) as GbdtPredictor;
      expect(stopped.trees).toBeLessThan(300);
    });

    it("finishes on the fit's thread, with the same model, when the early-stopping thread stops answering", async () => {
      expect(await EarlyStopThread.shared().whenReady()).toBe(true);
      const data = synthetic(1500, 8);
      const validation = synthetic(500, 9);
      const p = params({ numTrees: 60, learningRate: 0.5, earlyStoppingRounds: 8 });
      const here = await gbdtTrainer.fit(data, p, { seed: 2, validation });
      let rounds = 0;
      const there = await gbdtTrainer.fit(data, p, {
        seed: 2,
        validation,
        helperThreads: true,
        onProgress: () => {
          // The thread goes away after the third round: the fit waits for it, then goes on alone.
          if (++rounds === 3) void EarlyStopThread.close();
        },
      });
      expect(bytes(there).equals(bytes(here))).toBe(true);
    });

    it('ends a thread that does not answer in time, finishes alone with the same model, and the next fit gets a new thread', async () => {
      const first = EarlyStopThread.shared();
      expect(await first.whenReady()).toBe(true);
      const data = synthetic(1500, 8);
      const validation = synthetic(500, 9);
      const p = params({ numTrees: 30, learningRate: 0.5, earlyStoppingRounds: 8 });
      const here = await gbdtTrainer.fit(data, p, { seed: 2, validation });
      // The thread is alive but never hears of the fit: the fit waits out the round's timeout.
      const posts = vi.spyOn(EarlyStopThread.prototype, 'post').mockImplementation(() => {});
      const there = await gbdtTrainer.fit(data, p, { seed: 2, validation, helperThreads: true });
      posts.mockRestore();
      expect(bytes(there).equals(bytes(here))).toBe(true);
      expect(first.ready).toBe(false);
      const next = EarlyStopThread.shared();
      expect(next).not.toBe(first);
      expect(await next.whenReady()).toBe(true);
      const again = vi.spyOn(EarlyStopThread.prototype, 'post');
      const third = await gbdtTrainer.fit(data, p, { seed: 2, validation, helperThreads: true });
      expect(again.mock.calls.length).toBeGreaterThan(3);
      again.mockRestore();
      expect(bytes(third).equals(bytes(here))).toBe(true);
    });
  });

  it("keeps the last fit's team and trees alive for the next fit, without its buffers", async () => {
    const model = (await gbdtTrainer.fit(synthetic(3000, 3), params({ numTrees: 12 }), { seed: 1 })) as GbdtPredictor;
    // Rows, bins and histograms are let go (V8 keeps its compiled code for objects still alive).
    expect(keptAfterFit()).toEqual({ planBytes: 0, slots: 0, trees: model.trees });
  });

  it('reports progress once per round, ending at 1', async () => {
    const seen: number[] = [];
    await gbdtTrainer.fit(synthetic(300, 1), params({ numTrees: 8 }), { seed: 1, onProgress: (f) => seen.push(f) });
    expect(seen.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((k) => k / 8));
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('stops between trees when aborted, with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    let rounds = 0;
    const run = gbdtTrainer.fit(synthetic(300, 1), params({ numTrees: 1000 }), {
      seed: 1,
      signal: controller.signal,
      onProgress: () => {
        if (++rounds === 3) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(rounds).toBe(3);
  });
});
