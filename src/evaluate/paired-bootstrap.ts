/**
 * A paired bootstrap of a metric difference: both models' predictions on the same test rows are
 * resampled together (rows drawn with replacement, seeded), so the spread of the difference
 * reflects the rows, not two independent samples.
 */
import { mulberry32 } from '../data/random.js';
import type { Task } from '../domain/entities.js';
import { computeMetrics, higherIsBetter } from './metrics.js';

/** The result of a paired bootstrap; `delta` is signed so that positive favours the challenger. */
export interface PairedBootstrap {
  readonly metric: string;
  /** Test rows both models were scored on. */
  readonly rows: number;
  readonly resamples: number;
  /** Challenger minus champion on the test rows (sign-adjusted: positive is better for the challenger). */
  readonly delta: number;
  /** Lower and upper bounds of the (1 − alpha) percentile interval of the difference. */
  readonly low: number;
  readonly high: number;
  /** Two-sided bootstrap p-value of "no difference". */
  readonly pValue: number;
  readonly alpha: number;
}

function pick(task: Task, metric: string, y: Float64Array, pred: Float64Array, k: number): number {
  return computeMetrics(task, y, pred, k)[metric] ?? NaN;
}

/**
 * Paired bootstrap of `metric` between challenger and champion predictions (`a` and `b`, laid
 * out as computeMetrics expects) on the rows of `y`. Resamples where the metric is undefined
 * (e.g. one class only, for AUC) are skipped. Null when fewer than 2 rows or no resample counted.
 */
export function pairedBootstrap(
  task: Task,
  metric: string,
  y: Float64Array,
  a: Float64Array,
  b: Float64Array,
  classCount: number,
  options: { resamples: number; seed: number; alpha: number },
): PairedBootstrap | null {
  const n = y.length;
  if (n < 2) return null;
  const k = task === 'multiclass' ? classCount : 1;
  const sign = higherIsBetter(metric) ? 1 : -1;
  const delta = sign * (pick(task, metric, y, a, classCount) - pick(task, metric, y, b, classCount));
  if (!Number.isFinite(delta)) return null;
  const random = mulberry32(options.seed);
  const ys = new Float64Array(n);
  const as = new Float64Array(n * k);
  const bs = new Float64Array(n * k);
  const deltas: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      ys[i] = y[j];
      for (let c = 0; c < k; c++) {
        as[i * k + c] = a[j * k + c];
        bs[i * k + c] = b[j * k + c];
      }
    }
    const d = sign * (pick(task, metric, ys, as, classCount) - pick(task, metric, ys, bs, classCount));
    if (Number.isFinite(d)) deltas.push(d);
  }
  if (deltas.length === 0) return null;
  deltas.sort((x, z) => x - z);
  const q = (p: number) => deltas[Math.min(deltas.length - 1, Math.max(0, Math.floor(p * deltas.length)))];
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (const d of deltas) {
    if (d <= 0) atOrBelow++;
    if (d >= 0) atOrAbove++;
  }
  const pValue = Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / deltas.length);
  return { metric, rows: n, resamples: deltas.length, delta, low: q(options.alpha / 2), high: q(1 - options.alpha / 2), pValue, alpha: options.alpha };
}
