/**
 * A paired bootstrap of a metric difference: both models' predictions on the same test rows are
 * resampled together (rows drawn with replacement, seeded), so the spread of the difference
 * reflects the rows, not two independent samples.
 */
import { Mulberry32 } from '../data/random.js';
import type { Task } from '../domain/entities.js';
import { LOG_LOSS_EPS, computeMetrics, higherIsBetter } from './metrics.js';

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

function clip(p: number): number {
  return p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS : p;
}

/**
 * One model's predictions prepared for resampling: whatever a resample's metric needs per row,
 * computed once, so that a resample costs a pass over its drawn rows (or, for AUC, over the rows
 * in score order) instead of copying the rows and recomputing every metric.
 */
interface Prepared {
  /** Binary: 1 when predicted positive (p ≥ 0.5). Multiclass: the predicted class. */
  readonly predicted: Float64Array;
  /** Log loss term of each row (the clipped log of the true class's probability), or the error (regression). */
  readonly term: Float64Array;
  /**
   * Binary AUC: the rows by score, highest first, each as one integer (one array read per row in
   * the walk): row index << 2 | label (0/1) << 1 | 1 where a run of equal scores ends.
   */
  readonly walk: Int32Array | null;
  /** Binary AUC: no two rows share a score, so every row ends its own run (the walk's shorter form applies). */
  readonly distinct: boolean;
}

function prepare(task: Task, metric: string, y: Float64Array, pred: Float64Array, k: number): Prepared {
  const n = y.length;
  const predicted = new Float64Array(n);
  const term = new Float64Array(n);
  let walk: Int32Array | null = null;
  let distinct = false;
  if (task === 'binary') {
    for (let i = 0; i < n; i++) {
      const p = pred[i];
      predicted[i] = p >= 0.5 ? 1 : 0;
      term[i] = Math.log(clip(y[i] === 1 ? p : 1 - p));
    }
    if (metric === 'auc') {
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => pred[b] - pred[a]);
      walk = new Int32Array(n);
      distinct = true;
      for (let j = 0; j < n; j++) {
        const runEnd = j === n - 1 || pred[order[j + 1]] !== pred[order[j]] ? 1 : 0;
        if (runEnd === 0) distinct = false;
        walk[j] = (order[j] << 2) | ((y[order[j]] === 1 ? 1 : 0) << 1) | runEnd;
      }
    }
  } else if (task === 'multiclass') {
    for (let i = 0; i < n; i++) {
      const row = i * k;
      let best = 0;
      let bestP = -Infinity;
      for (let c = 0; c < k; c++) {
        if (pred[row + c] > bestP) {
          bestP = pred[row + c];
          best = c;
        }
      }
      predicted[i] = best;
      term[i] = Math.log(clip(pred[row + y[i]]));
    }
  } else {
    for (let i = 0; i < n; i++) term[i] = y[i] - pred[i];
  }
  return { predicted, term, walk, distinct };
}

/** AUC of the rows weighted by how often each was drawn: the same integer arithmetic as rocAuc on the drawn rows. */
function weightedAuc(prep: Prepared, counts: Int32Array): number {
  const walk = prep.walk!;
  return prep.distinct ? weightedAucDistinct(walk, counts) : weightedAucTies(walk, counts);
}

/**
 * weightedAuc where every score is distinct (the usual case for a model's probabilities): each row
 * is a run of its own, so a negative row drawn c times adds c × 2·tp to rocAuc's doubled area and a
 * positive row adds nothing; summing c × tp and doubling it at the end gives the same integers
 * (below 2^53), hence the same number, without the per-row test for the end of a run.
 */
function weightedAucDistinct(walk: Int32Array, counts: Int32Array): number {
  let tp = 0;
  let fp = 0;
  let area = 0;
  for (let j = 0; j < walk.length; j++) {
    const w = walk[j];
    const c = counts[w >> 2];
    const positive = c & -((w >> 1) & 1);
    const negative = c - positive;
    tp = (tp + positive) | 0;
    fp = (fp + negative) | 0;
    area += negative * tp;
  }
  return tp === 0 || fp === 0 ? NaN : (2 * area) / (2 * tp * fp);
}

/** Largest number of rows whose counts fit 16 bits (a row is drawn at most n times): two resamples share one integer per row. */
const PAIRED_MAX_ROWS = 0xffff;

/**
 * weightedAucDistinct of two resamples at once, from counts packed two to an integer (the first
 * resample's in the lower 16 bits, the second's in the upper): one pass over the walk and one read
 * per row for both. Each half's sums stay below 2^16 (at most n ≤ PAIRED_MAX_ROWS draws), so the
 * halves never carry into each other, and each half's area is summed in the same order as
 * weightedAucDistinct sums it: the same two numbers. Written to out[0] and out[1].
 */
function weightedAucDistinctPair(walk: Int32Array, packed: Int32Array, out: Float64Array): void {
  let tp = 0;
  let fp = 0;
  let areaLow = 0;
  let areaHigh = 0;
  for (let j = 0; j < walk.length; j++) {
    const w = walk[j];
    const c = packed[w >> 2];
    const positive = c & -((w >> 1) & 1);
    const negative = (c - positive) | 0;
    tp = (tp + positive) | 0;
    fp = (fp + negative) | 0;
    areaLow += (negative & 0xffff) * (tp & 0xffff);
    areaHigh += (negative >>> 16) * (tp >>> 16);
  }
  const tpLow = tp & 0xffff;
  const fpLow = fp & 0xffff;
  const tpHigh = tp >>> 16;
  const fpHigh = fp >>> 16;
  out[0] = tpLow === 0 || fpLow === 0 ? NaN : (2 * areaLow) / (2 * tpLow * fpLow);
  out[1] = tpHigh === 0 || fpHigh === 0 ? NaN : (2 * areaHigh) / (2 * tpHigh * fpHigh);
}

/** weightedAuc with tied scores: rocAuc's trapezoid at the end of each run of equal scores. */
function weightedAucTies(walk: Int32Array, counts: Int32Array): number {
  // Counts stay below 2^31 (at most n rows): small-integer arithmetic.
  let tp = 0;
  let fp = 0;
  let prevTp = 0;
  let prevFp = 0;
  let doubledArea = 0;
  for (let j = 0; j < walk.length; j++) {
    const w = walk[j];
    const c = counts[w >> 2];
    // Without a branch on the label: labels come in no predictable order (the mask is all ones for a positive).
    const positive = c & -((w >> 1) & 1);
    tp = (tp + positive) | 0;
    fp = (fp + c - positive) | 0;
    if ((w & 1) === 1) {
      doubledArea += (fp - prevFp) * (tp + prevTp);
      prevTp = tp;
      prevFp = fp;
    }
  }
  return tp === 0 || fp === 0 ? NaN : doubledArea / (2 * tp * fp);
}

/**
 * The metric on the drawn rows `idx`, exactly as computeMetrics computes it on a copy of them:
 * sums run in the same order over the same per-row values, counts are integers.
 */
function drawnMetric(task: Task, metric: string, y: Float64Array, prep: Prepared, idx: Int32Array, k: number, perClass: Float64Array): number {
  const n = idx.length;
  const { predicted, term } = prep;
  if (task === 'binary') {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const j = idx[i];
      if (predicted[j] === 1) {
        if (y[j] === 1) tp++;
        else fp++;
      } else if (y[j] === 1) fn++;
      else tn++;
      if (metric === 'logLoss') loss -= term[j];
    }
    switch (metric) {
      case 'accuracy':
        return (tp + tn) / n;
      case 'precision':
        return tp + fp > 0 ? tp / (tp + fp) : 0;
      case 'recall':
        return tp + fn > 0 ? tp / (tp + fn) : 0;
      case 'f1':
        return 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
      case 'logLoss':
        return loss / n;
      default:
        return NaN;
    }
  }
  if (task === 'multiclass') {
    if (metric === 'logLoss') {
      let loss = 0;
      for (let i = 0; i < n; i++) loss -= term[idx[i]];
      return loss / n;
    }
    // perClass: true counts [0, k), predicted counts [k, 2k), hits [2k, 3k).
    perClass.fill(0);
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const j = idx[i];
      const t = y[j];
      const p = predicted[j];
      perClass[t]++;
      perClass[k + p]++;
      if (t === p) {
        perClass[2 * k + t]++;
        hits++;
      }
    }
    if (metric === 'accuracy') return hits / n;
    if (metric !== 'macroF1') return NaN;
    let f1Sum = 0;
    let present = 0;
    for (let c = 0; c < k; c++) {
      const denominator = perClass[c] + perClass[k + c];
      if (denominator === 0) continue;
      f1Sum += (2 * perClass[2 * k + c]) / denominator;
      present++;
    }
    return f1Sum / present;
  }
  let absSum = 0;
  let sqSum = 0;
  let ySum = 0;
  for (let i = 0; i < n; i++) {
    const j = idx[i];
    const e = term[j];
    absSum += Math.abs(e);
    sqSum += e * e;
    ySum += y[j];
  }
  if (metric === 'mae') return absSum / n;
  if (metric === 'rmse') return Math.sqrt(sqSum / n);
  if (metric !== 'r2') return NaN;
  const mean = ySum / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = y[idx[i]] - mean;
    total += d * d;
  }
  return total === 0 ? (sqSum === 0 ? 1 : 0) : 1 - sqSum / total;
}

/** What a part of a paired bootstrap needs: plain data, so that it can cross to another thread. */
export interface BootstrapPart {
  readonly task: Task;
  readonly metric: string;
  readonly y: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly classCount: number;
  readonly seed: number;
  /** The resamples [from, to) of the whole bootstrap; `from` even (resamples go in pairs from the first). */
  readonly from: number;
  readonly to: number;
}

/**
 * The differences (sign-adjusted, finite ones only, in resample order) of resamples [from, to) of
 * a paired bootstrap: the same numbers as those resamples give in a bootstrap of every resample.
 * Resample r draws the generator's numbers r·n to (r + 1)·n − 1, and the generator jumps there
 * directly (Mulberry32.at), so parts of one bootstrap can be computed apart (on two threads) and
 * joined in order.
 */
export function bootstrapDeltas(part: BootstrapPart): Float64Array {
  const { task, metric, y, a, b, from, to } = part;
  const n = y.length;
  const sign = higherIsBetter(metric) ? 1 : -1;
  const k = Math.max(1, part.classCount);
  const prepA = prepare(task, metric, y, a, k);
  const prepB = prepare(task, metric, y, b, k);
  const auc = task === 'binary' && metric === 'auc';
  const random = Mulberry32.at(part.seed, from * n);
  const idx = new Int32Array(n);
  const counts = new Int32Array(auc ? n : 0);
  const perClass = new Float64Array(task === 'multiclass' ? 3 * k : 0);
  const deltas = new Float64Array(Math.max(0, to - from));
  let kept = 0;
  // Distinct scores on both sides (the usual case) and counts that fit 16 bits: resamples go in
  // pairs, two to each pass over the walks; an odd last one goes alone below.
  const paired = auc && prepA.distinct && prepB.distinct && n <= PAIRED_MAX_ROWS;
  const pairs = paired ? Math.floor((to - from) / 2) : 0;
  if (pairs > 0) {
    const packed = new Int32Array(n);
    const aucA = new Float64Array(2);
    const aucB = new Float64Array(2);
    for (let p = 0; p < pairs; p++) {
      packed.fill(0);
      random.addDraws(packed, n, 1);
      random.addDraws(packed, n, 0x10000);
      weightedAucDistinctPair(prepA.walk!, packed, aucA);
      weightedAucDistinctPair(prepB.walk!, packed, aucB);
      const d0 = sign * (aucA[0] - aucB[0]);
      const d1 = sign * (aucA[1] - aucB[1]);
      if (Number.isFinite(d0)) deltas[kept++] = d0;
      if (Number.isFinite(d1)) deltas[kept++] = d1;
    }
  }
  for (let r = from + 2 * pairs; r < to; r++) {
    let d: number;
    if (auc) {
      random.countDraws(counts, n);
      d = sign * (weightedAuc(prepA, counts) - weightedAuc(prepB, counts));
    } else {
      random.drawIndices(idx, n);
      d = sign * (drawnMetric(task, metric, y, prepA, idx, k, perClass) - drawnMetric(task, metric, y, prepB, idx, k, perClass));
    }
    if (Number.isFinite(d)) deltas[kept++] = d;
  }
  return deltas.subarray(0, kept);
}

/** Options of a paired bootstrap. */
export interface BootstrapOptions {
  readonly resamples: number;
  readonly seed: number;
  readonly alpha: number;
  /** The metric of `a` and of `b` on all the rows, as computeMetrics gave them; default: computed here. */
  readonly observed?: { readonly a: number; readonly b: number };
}

/** The observed difference (sign-adjusted), or null when there is no bootstrap to make. */
function observedDelta(task: Task, metric: string, y: Float64Array, a: Float64Array, b: Float64Array, classCount: number, options: BootstrapOptions): number | null {
  if (y.length < 2) return null;
  const sign = higherIsBetter(metric) ? 1 : -1;
  const observed = options.observed;
  // computeMetrics also checks the inputs (lengths, labels, finite predictions).
  const delta = sign * (observed ? observed.a - observed.b : pick(task, metric, y, a, classCount) - pick(task, metric, y, b, classCount));
  return Number.isFinite(delta) ? delta : null;
}

/** The interval and p-value from the resamples' differences (sorted here, in place). */
function summarize(metric: string, rows: number, delta: number, deltas: Float64Array, alpha: number): PairedBootstrap | null {
  if (deltas.length === 0) return null;
  // Ascending, -0 and 0 as equals in the order they came (as the resamples were always sorted).
  deltas.sort((x, z) => x - z);
  const q = (p: number) => deltas[Math.min(deltas.length - 1, Math.max(0, Math.floor(p * deltas.length)))];
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (const d of deltas) {
    if (d <= 0) atOrBelow++;
    if (d >= 0) atOrAbove++;
  }
  const pValue = Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / deltas.length);
  return { metric, rows, resamples: deltas.length, delta, low: q(alpha / 2), high: q(1 - alpha / 2), pValue, alpha };
}

/**
 * Paired bootstrap of `metric` between challenger and champion predictions (`a` and `b`, laid
 * out as computeMetrics expects) on the rows of `y`. Resamples where the metric is undefined
 * (e.g. one class only, for AUC) are skipped. Null when fewer than 2 rows or no resample counted.
 *
 * Each resample draws n row indices (seeded); its metric is computed from per-row values prepared
 * once (AUC from how often each row was drawn, walked in score order), giving the very numbers
 * computeMetrics gives on copies of the drawn rows at a fraction of the cost: no copies, no sort
 * per resample, only the metric asked for.
 *
 * `options.observed`: the metric of `a` and of `b` on all the rows, as computeMetrics gave them
 * (a caller that has both models' metrics already); default: computed here. computeMetrics
 * checks the inputs (lengths, labels, finite predictions), so a caller passing them has checked
 * them.
 */
export function pairedBootstrap(task: Task, metric: string, y: Float64Array, a: Float64Array, b: Float64Array, classCount: number, options: BootstrapOptions): PairedBootstrap | null {
  const delta = observedDelta(task, metric, y, a, b, classCount, options);
  if (delta === null) return null;
  const deltas = bootstrapDeltas({ task, metric, y, a, b, classCount, seed: options.seed, from: 0, to: options.resamples });
  return summarize(metric, y.length, delta, deltas, options.alpha);
}

/** Another thread that computes parts of a bootstrap (src/evaluate/bootstrap-thread.ts). */
export interface BootstrapHelper {
  /** True once it can take a part without waiting to start. */
  readonly ready: boolean;
  /** bootstrapDeltas of `part`, computed there. */
  deltas(part: BootstrapPart): Promise<Float64Array>;
}

/** Fewest rows × resamples worth handing half of a bootstrap to another thread (about a millisecond of work). */
export const SPLIT_MIN_DRAWS = 1_000_000;

/**
 * pairedBootstrap with the later half of the resamples computed by `helper` (another thread)
 * while this thread computes the first: the same result, in about half the time on two free
 * cores. Without a helper that is ready, on small bootstraps, or when the helper fails, every
 * resample is computed here.
 */
export async function pairedBootstrapShared(
  task: Task,
  metric: string,
  y: Float64Array,
  a: Float64Array,
  b: Float64Array,
  classCount: number,
  options: BootstrapOptions,
  helper: BootstrapHelper | null,
): Promise<PairedBootstrap | null> {
  const delta = observedDelta(task, metric, y, a, b, classCount, options);
  if (delta === null) return null;
  const base = { task, metric, y, a, b, classCount, seed: options.seed };
  const total = options.resamples;
  if (helper === null || !helper.ready || y.length * total < SPLIT_MIN_DRAWS) {
    return summarize(metric, y.length, delta, bootstrapDeltas({ ...base, from: 0, to: total }), options.alpha);
  }
  // An even split, so that each part's resamples pair up as the whole bootstrap's do.
  const mid = 2 * Math.floor(total / 4);
  const later = helper.deltas({ ...base, from: mid, to: total }).catch(() => null);
  const first = bootstrapDeltas({ ...base, from: 0, to: mid });
  const second = (await later) ?? bootstrapDeltas({ ...base, from: mid, to: total });
  const deltas = new Float64Array(first.length + second.length);
  deltas.set(first);
  deltas.set(second, first.length);
  return summarize(metric, y.length, delta, deltas, options.alpha);
}
