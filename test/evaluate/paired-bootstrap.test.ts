import { afterAll, describe, expect, it } from 'vitest';
import { Mulberry32, mulberry32 } from '../../src/data/random.js';
import { BootstrapThread } from '../../src/evaluate/bootstrap-thread.js';
import type { Task } from '../../src/domain/entities.js';
import { computeMetrics, higherIsBetter } from '../../src/evaluate/metrics.js';
import { SPLIT_MIN_DRAWS, bootstrapDeltas, pairedBootstrap, pairedBootstrapShared, type BootstrapHelper } from '../../src/evaluate/paired-bootstrap.js';

/** The bootstrap by definition: copy the drawn rows, compute the metric on the copies. */
function byCopies(task: Task, metric: string, y: Float64Array, a: Float64Array, b: Float64Array, k: number, options: { resamples: number; seed: number; alpha: number }) {
  const n = y.length;
  const per = task === 'multiclass' ? k : 1;
  const pick = (yy: Float64Array, p: Float64Array) => computeMetrics(task, yy, p, k)[metric] ?? NaN;
  const sign = higherIsBetter(metric) ? 1 : -1;
  const delta = sign * (pick(y, a) - pick(y, b));
  const random = mulberry32(options.seed);
  const ys = new Float64Array(n);
  const as = new Float64Array(n * per);
  const bs = new Float64Array(n * per);
  const deltas: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      ys[i] = y[j];
      for (let c = 0; c < per; c++) {
        as[i * per + c] = a[j * per + c];
        bs[i * per + c] = b[j * per + c];
      }
    }
    const d = sign * (pick(ys, as) - pick(ys, bs));
    if (Number.isFinite(d)) deltas.push(d);
  }
  deltas.sort((x, z) => x - z);
  const q = (p: number) => deltas[Math.min(deltas.length - 1, Math.max(0, Math.floor(p * deltas.length)))];
  let below = 0;
  let above = 0;
  for (const d of deltas) {
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  return { metric, rows: n, resamples: deltas.length, delta, low: q(options.alpha / 2), high: q(1 - options.alpha / 2), pValue: Math.min(1, (2 * Math.min(below, above)) / deltas.length), alpha: options.alpha };
}

function data(task: Task, n: number, k: number, seed: number) {
  const rnd = mulberry32(seed);
  const per = task === 'multiclass' ? k : 1;
  const y = new Float64Array(n);
  const a = new Float64Array(n * per);
  const b = new Float64Array(n * per);
  for (let i = 0; i < n; i++) {
    y[i] = task === 'regression' ? rnd() * 10 : Math.floor(rnd() * (task === 'binary' ? 2 : k));
    for (const p of [a, b]) {
      if (task === 'regression') p[i] = y[i] + rnd() * 3 - 1.5;
      else if (task === 'binary') p[i] = Math.round(Math.min(1, Math.max(0, 0.3 * y[i] + rnd() * 0.7)) * 20) / 20; // ties on purpose
      else {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += p[i * k + c] = rnd() + (c === y[i] ? 0.4 : 0);
        for (let c = 0; c < k; c++) p[i * k + c] /= sum;
      }
    }
  }
  return { y, a, b };
}

describe('paired bootstrap', () => {
  const cases: [Task, string[], number][] = [
    ['binary', ['auc', 'accuracy', 'precision', 'recall', 'f1', 'logLoss'], 2],
    ['multiclass', ['accuracy', 'macroF1', 'logLoss'], 4],
    ['regression', ['rmse', 'mae', 'r2'], 0],
  ];
  for (const [task, metrics, k] of cases) {
    it(`gives the very numbers of resampling copies of the rows (${task}: ${metrics.join(', ')})`, () => {
      const { y, a, b } = data(task, 257, k, 3);
      const options = { resamples: 300, seed: 11, alpha: 0.05 };
      for (const metric of metrics) expect(pairedBootstrap(task, metric, y, a, b, k, options)).toEqual(byCopies(task, metric, y, a, b, k, options));
    });
  }

  it('gives the very AUC numbers of resampling copies when every score is distinct (resamples taken two at a time), and when some are tied', () => {
    const rnd = mulberry32(8);
    const n = 301;
    const y = new Float64Array(n);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rnd() < 0.35 ? 1 : 0;
      a[i] = Math.min(1, 0.25 * y[i] + rnd() * 0.75);
      b[i] = Math.min(1, 0.2 * y[i] + rnd() * 0.8);
    }
    const options = { resamples: 250, seed: 13, alpha: 0.05 };
    expect(new Set(a).size).toBe(n);
    expect(new Set(b).size).toBe(n);
    expect(pairedBootstrap('binary', 'auc', y, a, b, 2, options)).toEqual(byCopies('binary', 'auc', y, a, b, 2, options));
    // An odd number of resamples: the last one has no partner.
    const odd = { ...options, resamples: 251 };
    expect(pairedBootstrap('binary', 'auc', y, a, b, 2, odd)).toEqual(byCopies('binary', 'auc', y, a, b, 2, odd));
    // One model's scores distinct, the other's tied.
    const tied = b.map((p) => Math.round(p * 10) / 10);
    expect(pairedBootstrap('binary', 'auc', y, a, tied, 2, options)).toEqual(byCopies('binary', 'auc', y, a, tied, 2, options));
  });

  it('takes the observed metrics from a caller that computed them already, with the same result', () => {
    for (const [task, metrics, k] of cases) {
      const { y, a, b } = data(task, 120, k, 4);
      const options = { resamples: 100, seed: 2, alpha: 0.1 };
      for (const metric of metrics) {
        const observed = { a: computeMetrics(task, y, a, k)[metric] ?? NaN, b: computeMetrics(task, y, b, k)[metric] ?? NaN };
        expect(pairedBootstrap(task, metric, y, a, b, k, { ...options, observed })).toEqual(pairedBootstrap(task, metric, y, a, b, k, options));
      }
    }
  });

  it('skips resamples where AUC is undefined and is null below two rows', () => {
    const y = Float64Array.from([1, 1, 1, 0]);
    const a = Float64Array.from([0.9, 0.8, 0.7, 0.1]);
    const b = Float64Array.from([0.6, 0.8, 0.2, 0.5]);
    const options = { resamples: 200, seed: 5, alpha: 0.1 };
    const out = pairedBootstrap('binary', 'auc', y, a, b, 2, options);
    expect(out).toEqual(byCopies('binary', 'auc', y, a, b, 2, options));
    expect(out!.resamples).toBeLessThan(200);
    expect(pairedBootstrap('binary', 'auc', y.subarray(0, 1), a.subarray(0, 1), b.subarray(0, 1), 2, options)).toBeNull();
  });

  it('jumps the generator ahead to any draw', () => {
    const step = mulberry32(99);
    for (let k = 0; k < 1000; k++) step();
    const drawn = new Int32Array(64);
    const jumped = new Int32Array(64);
    const g = new Mulberry32(99);
    g.drawIndices(new Int32Array(1000), 1000);
    g.drawIndices(drawn, 64);
    Mulberry32.at(99, 1000).drawIndices(jumped, 64);
    expect([...jumped]).toEqual([...drawn]);
    // Past 2^32 draws the state wraps around, as drawing would.
    const far = Mulberry32.at(5, 2 ** 32 + 10);
    const near = Mulberry32.at(5, 10);
    far.drawIndices(drawn, 64);
    near.drawIndices(jumped, 64);
    expect([...jumped]).toEqual([...drawn]);
  });

  it('gives the same differences in parts as in one piece, so that two threads can share a bootstrap', () => {
    const rnd = mulberry32(21);
    const n = 300;
    const y = new Float64Array(n);
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rnd() < 0.4 ? 1 : 0;
      a[i] = Math.min(1, 0.25 * y[i] + rnd() * 0.75);
      b[i] = Math.min(1, 0.2 * y[i] + rnd() * 0.8);
    }
    const tied = b.map((p) => Math.round(p * 10) / 10);
    for (const [metric, bb] of [['auc', b], ['auc', tied], ['logLoss', b], ['f1', b]] as const) {
      const base = { task: 'binary' as const, metric, y, a, b: bb, classCount: 2, seed: 8 };
      const whole = bootstrapDeltas({ ...base, from: 0, to: 101 });
      const joined = [...bootstrapDeltas({ ...base, from: 0, to: 50 }), ...bootstrapDeltas({ ...base, from: 50, to: 101 })];
      expect(joined).toEqual([...whole]);
    }
  });

  describe('with half of the resamples on another thread', () => {
    afterAll(() => BootstrapThread.close());
    // Large enough to be split: 2,000 rows × 1,000 resamples.
    const big = (task: Task, k: number) => data(task, 2_000, k, 17);
    const options = { resamples: 1_001, seed: 3, alpha: 0.05 };

    it('gives the result of one thread (the bootstrap thread computing the later half)', async () => {
      const thread = BootstrapThread.shared();
      expect(await thread.whenReady()).toBe(true);
      expect(2_000 * options.resamples).toBeGreaterThanOrEqual(SPLIT_MIN_DRAWS);
      let asked = 0;
      const counting: BootstrapHelper = {
        ready: true,
        deltas: (part) => {
          asked++;
          return thread.deltas(part);
        },
      };
      for (const [task, metrics, k] of cases) {
        const { y, a, b } = big(task, k);
        for (const metric of metrics) {
          expect(await pairedBootstrapShared(task, metric, y, a, b, k, options, counting)).toEqual(pairedBootstrap(task, metric, y, a, b, k, options));
        }
      }
      expect(asked).toBe(12);
    });

    it("computes the helper's half itself when the bootstrap thread goes away while it works", async () => {
      const thread = BootstrapThread.shared();
      expect(await thread.whenReady()).toBe(true);
      const { y, a, b } = big('binary', 2);
      let lost = false;
      const dying: BootstrapHelper = {
        ready: true,
        deltas: (part) => {
          const answer = thread.deltas(part);
          // The thread ends before it can answer: its waiter is rejected, not left hanging.
          void BootstrapThread.close();
          return answer.catch((err: unknown) => {
            lost = true;
            throw err;
          });
        },
      };
      expect(await pairedBootstrapShared('binary', 'auc', y, a, b, 2, options, dying)).toEqual(pairedBootstrap('binary', 'auc', y, a, b, 2, options));
      expect(lost).toBe(true);
      expect(thread.ready).toBe(false);
    });

    it('computes every resample itself when the helper is not ready, fails, or the bootstrap is small', async () => {
      const { y, a, b } = big('binary', 2);
      const whole = pairedBootstrap('binary', 'auc', y, a, b, 2, options);
      const never: BootstrapHelper = { ready: false, deltas: () => Promise.reject(new Error('not asked')) };
      const failing: BootstrapHelper = { ready: true, deltas: () => Promise.reject(new Error('the thread died')) };
      expect(await pairedBootstrapShared('binary', 'auc', y, a, b, 2, options, never)).toEqual(whole);
      expect(await pairedBootstrapShared('binary', 'auc', y, a, b, 2, options, failing)).toEqual(whole);
      expect(await pairedBootstrapShared('binary', 'auc', y, a, b, 2, options, null)).toEqual(whole);
      const small = { ...options, resamples: 100 };
      expect(await pairedBootstrapShared('binary', 'auc', y, a, b, 2, small, failing)).toEqual(pairedBootstrap('binary', 'auc', y, a, b, 2, small));
    });
  });
});
