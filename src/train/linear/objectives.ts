/**
 * Objectives of the linear models on a CSR design matrix, each divided by the row count n so that
 * the gradient tolerance means the same thing whatever the data size (the minimiser is unchanged).
 * Parameter layout: `outputs` weight rows of length d (row-major), then `outputs` intercepts.
 * Intercepts are never penalised.
 */
import type { CsrMatrix } from './csr.js';
import type { Objective } from './lbfgs.js';

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** 1 / (1 + e^-z) without overflow. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * Binary logistic regression, scikit-learn's objective with C = 1 / l2:
 * (0.5 * l2 * ||w||² + Σ log-loss) / n. `y` holds 0/1. Parameters: d weights, then the intercept.
 */
export function binaryLogisticObjective(x: CsrMatrix, y: Float64Array, l2: number): Objective {
  const n = x.rows;
  const d = x.cols;
  const { indptr, indices, values } = x;
  const inv = 1 / n;
  return (p, g) => {
    g.fill(0);
    const b = p[d];
    let loss = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const start = indptr[i];
      const end = indptr[i + 1];
      let z = b;
      for (let k = start; k < end; k++) z += values[k] * p[indices[k]];
      const yi = y[i];
      loss += softplus(z) - yi * z;
      const r = sigmoid(z) - yi;
      gb += r;
      for (let k = start; k < end; k++) g[indices[k]] += r * values[k];
    }
    let reg = 0;
    for (let j = 0; j < d; j++) {
      const w = p[j];
      reg += w * w;
      g[j] = (g[j] + l2 * w) * inv;
    }
    g[d] = gb * inv;
    return (loss + 0.5 * l2 * reg) * inv;
  };
}

/**
 * Multinomial (softmax) logistic regression over `classes` classes, scikit-learn's multinomial
 * objective with C = 1 / l2: (0.5 * l2 * ||W||² + Σ cross-entropy) / n. `y` holds class indices.
 */
export function multinomialObjective(x: CsrMatrix, y: Float64Array, classes: number, l2: number): Objective {
  const n = x.rows;
  const d = x.cols;
  const K = classes;
  const { indptr, indices, values } = x;
  const inv = 1 / n;
  const z = new Float64Array(K);
  const bias = K * d;
  return (p, g) => {
    g.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const start = indptr[i];
      const end = indptr[i + 1];
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        const base = c * d;
        let s = p[bias + c];
        for (let k = start; k < end; k++) s += values[k] * p[base + indices[k]];
        z[c] = s;
        if (s > max) max = s;
      }
      const yi = y[i];
      const target = z[yi];
      let sum = 0;
      for (let c = 0; c < K; c++) {
        z[c] = Math.exp(z[c] - max);
        sum += z[c];
      }
      // Cross-entropy from the logits (not log(p_yi)), so a confident mistake cannot give log(0).
      loss += Math.log(sum) + max - target;
      for (let c = 0; c < K; c++) {
        const r = z[c] / sum - (c === yi ? 1 : 0);
        const base = c * d;
        g[bias + c] += r;
        for (let k = start; k < end; k++) g[base + indices[k]] += r * values[k];
      }
    }
    let reg = 0;
    for (let j = 0; j < bias; j++) {
      const w = p[j];
      reg += w * w;
      g[j] = (g[j] + l2 * w) * inv;
    }
    for (let c = 0; c < K; c++) g[bias + c] *= inv;
    return (loss + 0.5 * l2 * reg) * inv;
  };
}

/**
 * Ridge regression, scikit-learn's Ridge objective halved and divided by n:
 * (||y - Xw - b||² + alpha * ||w||²) / (2n). Parameters: d weights, then the intercept.
 */
export function ridgeObjective(x: CsrMatrix, y: Float64Array, alpha: number): Objective {
  const n = x.rows;
  const d = x.cols;
  const { indptr, indices, values } = x;
  const inv = 1 / n;
  return (p, g) => {
    g.fill(0);
    const b = p[d];
    let sse = 0;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const start = indptr[i];
      const end = indptr[i + 1];
      let z = b;
      for (let k = start; k < end; k++) z += values[k] * p[indices[k]];
      const r = z - y[i];
      sse += r * r;
      gb += r;
      for (let k = start; k < end; k++) g[indices[k]] += r * values[k];
    }
    let reg = 0;
    for (let j = 0; j < d; j++) {
      const w = p[j];
      reg += w * w;
      g[j] = (g[j] + alpha * w) * inv;
    }
    g[d] = gb * inv;
    return 0.5 * (sse + alpha * reg) * inv;
  };
}
