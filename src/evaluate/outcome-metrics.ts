import type { LabelValue, Metrics, Task } from '../domain/entities.js';
import { computeMetrics } from './metrics.js';

/** A logged score joined to its label: all that live metrics need (monitor and rollout alike). */
export interface ScoredOutcome {
  /** The raw model output logged with the score (probability for binary, list for multiclass). */
  readonly score: number | readonly number[];
  readonly label: LabelValue;
}

/**
 * Live metrics of a set of outcomes, with the same metric code as the offline evaluation (scores
 * with null version, the default score, are scored as given). `classes` is a multiclass version's
 * class order (its logged probability lists); an empty list gives no multiclass metrics.
 */
export function outcomeMetrics(task: Task, outcomes: readonly ScoredOutcome[], classes: readonly string[]): Metrics {
  const n = outcomes.length;
  if (n === 0) return {};
  if (task === 'multiclass') {
    const k = classes.length;
    if (k === 0) return {};
    const y = new Float64Array(n);
    const p = new Float64Array(n * k);
    let kept = 0;
    for (const o of outcomes) {
      const c = classes.indexOf(String(o.label));
      if (c < 0 || !Array.isArray(o.score) || o.score.length !== k) continue;
      y[kept] = c;
      for (let j = 0; j < k; j++) p[kept * k + j] = o.score[j];
      kept++;
    }
    return kept === 0 ? {} : computeMetrics(task, y.subarray(0, kept), p.subarray(0, kept * k), k);
  }
  const y = new Float64Array(n);
  const pred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = Number(outcomes[i].label);
    pred[i] = typeof outcomes[i].score === 'number' ? (outcomes[i].score as number) : NaN;
  }
  return computeMetrics(task, y, pred, task === 'binary' ? 2 : 1);
}
