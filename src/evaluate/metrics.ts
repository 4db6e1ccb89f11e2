/**
 * Evaluation metrics on typed arrays, matching scikit-learn's definitions (roc_auc_score,
 * log_loss, accuracy/precision/recall/f1 with zero_division=0, macro f1, mae, rmse, r2).
 *
 * Malformed input (mismatched lengths, labels outside the task's range, non-finite predictions)
 * throws a RangeError: it is a bug upstream, not a property of the model. A metric that is merely
 * undefined for valid input (AUC with one class present, anything on zero rows, r2 on one row) is
 * NaN here; `computeMetrics` drops such values so that stored metrics stay JSON-safe.
 */
import type { Metrics, Task } from '../domain/entities.js';

/** Clipping bound for log loss: float64 machine epsilon, as scikit-learn ≥ 1.5 uses (`np.finfo(float64).eps`). */
export const LOG_LOSS_EPS = Number.EPSILON;

/** Metrics of a binary classifier; `auc` is NaN when only one class is present. */
export interface BinaryMetrics {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly auc: number;
  readonly logLoss: number;
}

/** Metrics of a multiclass classifier. */
export interface MulticlassMetrics {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly logLoss: number;
}

/** Metrics of a regressor. */
export interface RegressionMetrics {
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number;
}

/** Error metrics: lower is better. */
const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['mae', 'rmse', 'logLoss']);

function checkLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new RangeError(`${what} has length ${actual}, expected ${expected}`);
  }
}

function clipProbability(p: number): number {
  return p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS : p;
}

/**
 * Area under the ROC curve. Thresholds are the distinct scores, so tied scores form one diagonal
 * step of the curve (scikit-learn's trapezoid), which equals the Mann-Whitney U with average ranks.
 */
function rocAuc(yTrue: Float64Array, prob: Float64Array, positives: number, negatives: number): number {
  if (positives === 0 || negatives === 0) return Number.NaN;
  const n = prob.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => prob[b] - prob[a]);
  let tp = 0;
  let fp = 0;
  let prevTp = 0;
  let prevFp = 0;
  // Twice the area in units of one positive × one negative: integer arithmetic, so exact.
  let doubledArea = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    if (yTrue[i] === 1) tp++;
    else fp++;
    if (j === n - 1 || prob[order[j + 1]] !== prob[i]) {
      doubledArea += (fp - prevFp) * (tp + prevTp);
      prevTp = tp;
      prevFp = fp;
    }
  }
  return doubledArea / (2 * positives * negatives);
}

/**
 * Accuracy, precision, recall, f1 (at `threshold`, default 0.5, predicting 1 when prob ≥ threshold),
 * ROC AUC and log loss of a binary classifier; `yTrue` holds 0 or 1, `prob` the probability of 1.
 */
export function binaryMetrics(yTrue: Float64Array, prob: Float64Array, threshold = 0.5): BinaryMetrics {
  const n = yTrue.length;
  checkLength('prob', prob.length, n);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    const p = prob[i];
    if (y !== 0 && y !== 1) throw new RangeError(`yTrue[${i}] is ${y}, expected 0 or 1`);
    if (!Number.isFinite(p)) throw new RangeError(`prob[${i}] is ${p}, expected a finite number`);
    if (p >= threshold) {
      if (y === 1) tp++;
      else fp++;
    } else if (y === 1) fn++;
    else tn++;
    // scikit-learn clips the probability of the true class (1 - p for a 0), not p itself.
    loss -= Math.log(clipProbability(y === 1 ? p : 1 - p));
  }
  if (n === 0) {
    return { accuracy: NaN, precision: NaN, recall: NaN, f1: NaN, auc: NaN, logLoss: NaN };
  }
  const positives = tp + fn;
  return {
    accuracy: (tp + tn) / n,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: positives > 0 ? tp / positives : 0,
    f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
    auc: rocAuc(yTrue, prob, positives, fp + tn),
    logLoss: loss / n,
  };
}

function checkClass(what: string, i: number, c: number, k: number): void {
  if (!Number.isInteger(c) || c < 0 || c >= k) {
    throw new RangeError(`${what}[${i}] is ${c}, expected a class index in [0, ${k})`);
  }
}

/**
 * Accuracy and macro-averaged f1 from predicted class indices; like scikit-learn, the macro
 * average runs over the classes present in `yTrue` or `yPred`, not over all `k`.
 */
export function multiclassAccuracyAndMacroF1(
  yTrue: Float64Array,
  yPred: Float64Array,
  k: number,
): { readonly accuracy: number; readonly macroF1: number } {
  const n = yTrue.length;
  checkLength('yPred', yPred.length, n);
  const truePerClass = new Float64Array(k);
  const predPerClass = new Float64Array(k);
  const hitsPerClass = new Float64Array(k);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    checkClass('yTrue', i, t, k);
    checkClass('yPred', i, p, k);
    truePerClass[t]++;
    predPerClass[p]++;
    if (t === p) {
      hitsPerClass[t]++;
      hits++;
    }
  }
  if (n === 0) return { accuracy: NaN, macroF1: NaN };
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const denominator = truePerClass[c] + predPerClass[c];
    if (denominator === 0) continue;
    f1Sum += (2 * hitsPerClass[c]) / denominator;
    present++;
  }
  return { accuracy: hits / n, macroF1: f1Sum / present };
}

/**
 * Accuracy, macro f1 and log loss of a k-class classifier; `yTrue` holds class indices, `probs`
 * the row-major n×k class probabilities; the predicted class is the first argmax of each row.
 */
export function multiclassMetrics(yTrue: Float64Array, probs: Float64Array, k: number): MulticlassMetrics {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k is ${k}, expected a positive integer`);
  const n = yTrue.length;
  checkLength('probs', probs.length, n * k);
  const predicted = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < k; c++) {
      const p = probs[row + c];
      if (!Number.isFinite(p)) throw new RangeError(`probs[${row + c}] is ${p}, expected a finite number`);
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    predicted[i] = best;
    const t = yTrue[i];
    checkClass('yTrue', i, t, k);
    loss -= Math.log(clipProbability(probs[row + t]));
  }
  const { accuracy, macroF1 } = multiclassAccuracyAndMacroF1(yTrue, predicted, k);
  return { accuracy, macroF1, logLoss: n === 0 ? NaN : loss / n };
}

/**
 * Mean absolute error, root mean squared error and r2 of a regressor. As in scikit-learn, r2 is
 * 1 for a constant target predicted exactly, 0 for a constant target missed, NaN below two rows.
 */
export function regressionMetrics(yTrue: Float64Array, yPred: Float64Array): RegressionMetrics {
  const n = yTrue.length;
  checkLength('yPred', yPred.length, n);
  let absSum = 0;
  let sqSum = 0;
  let ySum = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    const p = yPred[i];
    if (!Number.isFinite(y)) throw new RangeError(`yTrue[${i}] is ${y}, expected a finite number`);
    if (!Number.isFinite(p)) throw new RangeError(`yPred[${i}] is ${p}, expected a finite number`);
    const e = y - p;
    absSum += Math.abs(e);
    sqSum += e * e;
    ySum += y;
  }
  if (n === 0) return { mae: NaN, rmse: NaN, r2: NaN };
  const mean = ySum / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = yTrue[i] - mean;
    total += d * d;
  }
  let r2: number;
  if (n < 2) r2 = NaN;
  else if (total === 0) r2 = sqSum === 0 ? 1 : 0;
  else r2 = 1 - sqSum / total;
  return { mae: absSum / n, rmse: Math.sqrt(sqSum / n), r2 };
}

/**
 * The metrics of a task: `pred` holds P(1) per row (binary), row-major n×`classCount` probabilities
 * (multiclass) or predicted values (regression). Undefined (non-finite) values are left out.
 */
export function computeMetrics(task: Task, yTrue: Float64Array, pred: Float64Array, classCount: number): Metrics {
  let all: Readonly<Record<string, number>>;
  switch (task) {
    case 'binary':
      all = { ...binaryMetrics(yTrue, pred) };
      break;
    case 'multiclass':
      all = { ...multiclassMetrics(yTrue, pred, classCount) };
      break;
    case 'regression':
      all = { ...regressionMetrics(yTrue, pred) };
      break;
  }
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(all)) {
    if (Number.isFinite(value)) out[name] = value;
  }
  return out;
}

/** The metric that ranks versions of a task: binary 'auc', multiclass 'accuracy', regression 'rmse'. */
export function primaryMetric(task: Task): string {
  switch (task) {
    case 'binary':
      return 'auc';
    case 'multiclass':
      return 'accuracy';
    case 'regression':
      return 'rmse';
  }
}

/** Whether a larger value of the metric is better: false for mae, rmse and logLoss, true for any other name. */
export function higherIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.has(metric);
}
