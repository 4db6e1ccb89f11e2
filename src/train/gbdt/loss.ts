import type { Dataset } from '../../data/dataset.js';
import type { GbdtParams } from './params.js';

/** 2^k at POW2[k + 1024], for k in -1024 .. 1023 (expNonPositive's scaling). */
const POW2 = (() => {
  const t = new Float64Array(2048);
  for (let k = 0; k < 2048; k++) t[k] = 2 ** (k - 1024);
  return t;
})();

/**
 * e^x for x <= 0: 2^k from a table times e^r from its Taylor polynomial of degree 8 (relative
 * error under 3e-10; histogram.ts's logistic, which the gradients use, computes e^x the same way).
 * Math.exp is a call into V8's runtime: early stopping's loss took it, and Math.log, for every
 * validation row after every tree (a tenth of a small fit).
 */
function expNonPositive(x: number): number {
  // 1.5 * 2^52: adding and subtracting it rounds a double of magnitude below 2^51 to an integer.
  const round = 6755399441055744;
  const v = x < -700 ? -700 : x;
  const kd = v * 1.4426950408889634 + round - round;
  const t = v - kd * 0.6931471803691238 - kd * 1.9082149292705877e-10;
  const t2 = t * t;
  const t4 = t2 * t2;
  const lo = 1 + t + t2 * (0.5 + t * 0.16666666666666666);
  const hi = 0.041666666666666664 + t * 0.008333333333333333 + t2 * (0.001388888888888889 + t * 1.984126984126984e-4) + t4 * 2.48015873015873e-5;
  return (lo + t4 * hi) * POW2[(kd | 0) + 1024];
}

/** log(1 + j / 256) and 1 / (1 + j / 256) for j in 0 .. 256 (log1pUnit's table). */
const LOG1P_TABLE = Float64Array.from({ length: 257 }, (_, j) => Math.log1p(j / 256));
const LOG1P_INVERSE = Float64Array.from({ length: 257 }, (_, j) => 1 / (1 + j / 256));

/**
 * log(1 + u) for u in [0, 1]: log(1 + j/256) from a table, where j/256 is u rounded down, plus
 * log1p of the rest, r = (u - j/256) / (1 + j/256) < 1/256, from its series to r^5 (error below
 * 1e-15 relative).
 */
function log1pUnit(u: number): number {
  const j = (u * 256) | 0;
  const r = (u - j * 0.00390625) * LOG1P_INVERSE[j];
  const r2 = r * r;
  return LOG1P_TABLE[j] + r - r2 * (0.5 - r * 0.3333333333333333) - r2 * r2 * (0.25 - r * 0.2);
}

/**
 * Mean logistic loss of margins f against 0/1 labels y: per row softplus(z) = max(z, 0) + log(1 +
 * e^-|z|) with z = -f for a positive and f for a negative (the log loss of sigmoid(f), exact for
 * every margin, where clamping the probability capped it at 34.5). Relative error under 1e-9, far
 * below the change early stopping acts on.
 */
export function binaryLogLoss(f: Float64Array, y: Float64Array): number {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const z = y[i] === 1 ? -f[i] : f[i];
    sum += z > 0 ? z + log1pUnit(expNonPositive(-z)) : log1pUnit(expNonPositive(z));
  }
  return sum / Math.max(1, n);
}

/** Mean loss of raw margins `f` (row-major, K per row) against labels y. */
export function meanLoss(task: Dataset['task'], loss: GbdtParams['loss'], delta: number, f: Float64Array, y: Float64Array, K: number): number {
  if (task === 'binary') return binaryLogLoss(f, y);
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (task === 'multiclass') {
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (f[i * K + k] > max) max = f[i * K + k];
      let z = 0;
      for (let k = 0; k < K; k++) z += Math.exp(f[i * K + k] - max);
      sum -= f[i * K + y[i]] - max - Math.log(z);
    } else {
      const r = Math.abs(f[i] - y[i]);
      sum += loss === 'squared' ? r * r : loss === 'absolute' ? r : r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta);
    }
  }
  return sum / Math.max(1, n);
}

