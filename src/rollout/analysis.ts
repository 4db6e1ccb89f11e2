import type { Metrics, RolloutPolicy, Task } from '../domain/entities.js';
import { outcomeMetrics } from '../evaluate/outcome-metrics.js';
import type { RolloutOutcome, ServingStats } from '../store/store.js';
import { oneProportionZTest, quantile, twoProportionZTest } from '../stats/z-tests.js';

/** The live numbers of one version over a rollout. */
export interface ArmNumbers {
  readonly version: string;
  /** Labelled outcomes of its scores. */
  readonly labels: number;
  /** Correct predictions among them (null for regression, which has no success). */
  readonly successes: number | null;
  readonly successRate: number | null;
  /** Offline-style metrics of the labelled outcomes (the primary metric among them). */
  readonly metrics: Metrics;
  /** Scoring attempts, failed ones included. */
  readonly attempts: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly latencyP95Ms: number | null;
  /**
   * True when the rollout had more outcomes or attempts than an evaluation reads: the numbers are
   * those of the most recent ones (see RolloutManager.arms). Absent when computed outside one.
   */
  readonly sampled?: boolean;
}

/** What an evaluation concluded, and the numbers that decided it. */
export interface Decision<D extends string> {
  readonly decision: D;
  readonly reason: string;
  readonly numbers: Readonly<Record<string, unknown>>;
}

const fmt = (x: number | null) => (x === null ? 'n/a' : String(Number(x.toPrecision(4))));

/** Whether a logged raw score got the label right: binary at 0.5, multiclass by the most probable class. */
function isSuccess(task: Task, score: number | readonly number[], label: unknown, classes: readonly string[]): boolean | null {
  if (task === 'binary') return typeof score === 'number' ? (score >= 0.5 ? 1 : 0) === Number(label) : null;
  if (task === 'multiclass') {
    if (!Array.isArray(score) || score.length === 0) return null;
    let best = 0;
    for (let i = 1; i < score.length; i++) if ((score[i] as number) > (score[best] as number)) best = i;
    return classes[best] === String(label);
  }
  return null;
}

/**
 * One version's numbers from the labelled outcomes and serving attempts of a rollout.
 * `classes` is the version's class order (multiclass), to read its logged probability lists.
 */
export function armNumbers(task: Task, version: string, outcomes: readonly RolloutOutcome[], serving: readonly ServingStats[], classes: readonly string[]): ArmNumbers {
  const mine = outcomes.filter((o) => o.version === version);
  let successes: number | null = task === 'regression' ? null : 0;
  let judged = 0;
  for (const o of mine) {
    const ok = isSuccess(task, o.score, o.label, classes);
    if (ok === null) continue;
    judged++;
    if (ok && successes !== null) successes++;
  }
  let metrics: Metrics = {};
  try {
    metrics = outcomeMetrics(task, mine, classes);
  } catch {
    // A malformed logged score must not stop a rollout decision; the success rate still counts.
  }
  const s = serving.find((x) => x.version === version);
  const attempts = s?.attempts ?? 0;
  const errors = s?.errors ?? 0;
  const labels = task === 'regression' ? mine.length : judged;
  return {
    version,
    labels,
    successes,
    successRate: successes === null || labels === 0 ? null : successes / labels,
    metrics,
    attempts,
    errors,
    errorRate: attempts === 0 ? null : errors / attempts,
    latencyP95Ms: s && s.latenciesMs.length > 0 ? quantile(s.latenciesMs, 0.95) : null,
  };
}

/**
 * Decide a canary or shadow: `abort` as soon as the challenger fails a guardrail (error rate or
 * latency p95 over its limit once it has `minScores` attempts), scores below the success-rate
 * threshold, or is significantly worse than the champion (one-sided two-proportion z-test at
 * `significance`) once both arms have `minLabels` outcomes; `promote` once it has enough labels
 * and passes everything; at the end of the duration without enough labels, `abort` as
 * inconclusive (the champion keeps serving: a rollout is never decided on thin evidence).
 * Regression models have no success rate: they are decided on error rate and latency at the end.
 */
export function decideChallenger(
  task: Task,
  policy: RolloutPolicy,
  champion: ArmNumbers,
  challenger: ArmNumbers,
  timing: { now: Date; endsAt: Date },
): Decision<'promote' | 'abort' | 'continue'> {
  const t = policy.thresholds;
  const base = { champion, challenger, thresholds: t, minLabels: policy.minLabels, minScores: policy.minScores, significance: policy.significance };
  if (challenger.attempts >= policy.minScores) {
    if (challenger.errorRate !== null && challenger.errorRate > t.maxErrorRate) {
      return { decision: 'abort', reason: `challenger error rate ${fmt(challenger.errorRate)} over ${challenger.attempts} attempts is above ${t.maxErrorRate}`, numbers: base };
    }
    if (challenger.latencyP95Ms !== null && challenger.latencyP95Ms > t.maxLatencyP95Ms) {
      return { decision: 'abort', reason: `challenger latency p95 ${fmt(challenger.latencyP95Ms)} ms is above ${t.maxLatencyP95Ms} ms`, numbers: base };
    }
  }
  const ended = timing.now.getTime() >= timing.endsAt.getTime();
  if (task === 'regression') {
    if (!ended) return { decision: 'continue', reason: 'regression canaries are decided on error rate and latency at the end of their duration', numbers: base };
    return { decision: 'promote', reason: `duration over; error rate ${fmt(challenger.errorRate)} and latency p95 ${fmt(challenger.latencyP95Ms)} ms within limits`, numbers: base };
  }
  const enough = challenger.labels >= policy.minLabels && champion.labels >= policy.minLabels;
  if (!enough) {
    const have = `challenger ${challenger.labels}, champion ${champion.labels} labelled outcomes; ${policy.minLabels} each needed`;
    return ended
      ? { decision: 'abort', reason: `inconclusive at the end of the duration: ${have}`, numbers: base }
      : { decision: 'continue', reason: `waiting for labels: ${have}`, numbers: base };
  }
  const test = twoProportionZTest(challenger.successes ?? 0, challenger.labels, champion.successes ?? 0, champion.labels);
  const numbers = { ...base, test: { kind: 'two-proportion z-test (one-sided: challenger worse)', z: test.z, pValue: test.pLower } };
  const words = `challenger success rate ${fmt(challenger.successRate)} (${challenger.labels} labels) vs champion ${fmt(champion.successRate)} (${champion.labels} labels), z = ${fmt(test.z)}, p = ${fmt(test.pLower)}`;
  if (test.pLower < policy.significance) return { decision: 'abort', reason: `${words}: significantly worse (p < ${policy.significance})`, numbers };
  if ((challenger.successRate ?? 0) < t.minSuccessRate) return { decision: 'abort', reason: `${words}: below the ${t.minSuccessRate} success-rate threshold`, numbers };
  return { decision: 'promote', reason: `${words}: not worse, above ${t.minSuccessRate}, error rate ${fmt(challenger.errorRate)}, latency p95 ${fmt(challenger.latencyP95Ms)} ms`, numbers };
}

/**
 * Decide the watch after a promotion: `rollback` when the watched version's error rate or latency
 * p95 crosses the rollback limit (with `minScores` attempts), or its success rate is below the
 * rollback threshold and significantly so (one-sided one-proportion z-test, with at least
 * `rollback.minLabels` outcomes); `pass` once the watch period is over; `continue` otherwise.
 */
export function decideWatch(policy: RolloutPolicy, watched: ArmNumbers, timing: { now: Date; endsAt: Date }): Decision<'rollback' | 'pass' | 'continue'> {
  const r = policy.rollback;
  const base = { watched, rollback: r, minScores: policy.minScores, significance: policy.significance };
  if (watched.attempts >= policy.minScores) {
    if (watched.errorRate !== null && watched.errorRate > r.maxErrorRate) {
      return { decision: 'rollback', reason: `error rate ${fmt(watched.errorRate)} over ${watched.attempts} attempts is above the rollback limit ${r.maxErrorRate}`, numbers: base };
    }
    if (watched.latencyP95Ms !== null && watched.latencyP95Ms > r.maxLatencyP95Ms) {
      return { decision: 'rollback', reason: `latency p95 ${fmt(watched.latencyP95Ms)} ms is above the rollback limit ${r.maxLatencyP95Ms} ms`, numbers: base };
    }
  }
  if (watched.successRate !== null && watched.labels >= r.minLabels && watched.successRate < r.minSuccessRate) {
    const test = oneProportionZTest(watched.successes ?? 0, watched.labels, r.minSuccessRate);
    const numbers = { ...base, test: { kind: 'one-proportion z-test (one-sided: below the threshold)', z: test.z, pValue: test.pLower } };
    if (test.pLower < policy.significance) {
      return {
        decision: 'rollback',
        reason: `live success rate ${fmt(watched.successRate)} over ${watched.labels} labels is below the rollback threshold ${r.minSuccessRate} (z = ${fmt(test.z)}, p = ${fmt(test.pLower)})`,
        numbers,
      };
    }
  }
  if (timing.now.getTime() >= timing.endsAt.getTime()) {
    return { decision: 'pass', reason: `watch over: success rate ${fmt(watched.successRate)} (${watched.labels} labels), error rate ${fmt(watched.errorRate)}, latency p95 ${fmt(watched.latencyP95Ms)} ms`, numbers: base };
  }
  return { decision: 'continue', reason: `watching until ${timing.endsAt.toISOString()}: success rate ${fmt(watched.successRate)} (${watched.labels} labels)`, numbers: base };
}
