import type { DriftTrigger, Metrics, PerformanceTrigger, RateTrigger, TriggerCheck } from '../domain/entities.js';
import { higherIsBetter } from '../evaluate/metrics.js';
import type { PerformanceWindow } from './performance.js';

/** A trigger's verdict before cooldowns: whether it wants a retrain, and why, with the numbers. */
export interface Verdict {
  readonly decision: 'fire' | 'ok' | 'insufficient' | 'disabled';
  readonly reason: string;
  readonly numbers: Record<string, unknown>;
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));

/**
 * Performance: the live primary metric of the active version against its baseline (its test
 * metrics at registration). Accuracy-like metrics fire when down more than `maxDropPct` percent,
 * error metrics when up more than `maxErrorRisePct` percent. With fewer than `minLabels` live
 * outcomes nothing is judged. When the primary metric is undefined live (AUC with one class),
 * accuracy is used instead.
 */
export function performanceVerdict(config: PerformanceTrigger, primary: string, baseline: Metrics | null, live: Metrics, count: number): Verdict {
  if (!config.enabled) return { decision: 'disabled', reason: 'the performance trigger is off', numbers: {} };
  if (!baseline) return { decision: 'insufficient', reason: 'no active version to judge', numbers: { count } };
  if (count < config.minLabels) {
    return { decision: 'insufficient', reason: `${count} labelled outcomes in the window; ${config.minLabels} needed`, numbers: { count, minLabels: config.minLabels } };
  }
  const metric = Number.isFinite(live[primary]) && Number.isFinite(baseline[primary]) ? primary : 'accuracy';
  const now = live[metric];
  const base = baseline[metric];
  if (!Number.isFinite(now) || !Number.isFinite(base) || base === 0) {
    return { decision: 'insufficient', reason: `'${metric}' is not defined for the live window or the baseline`, numbers: { count, live, baseline } };
  }
  const up = higherIsBetter(metric);
  const changePct = ((now - base) / Math.abs(base)) * 100;
  const numbers = { metric, live: now, baseline: base, changePct, count, limitPct: up ? -config.maxDropPct : config.maxErrorRisePct };
  const worse = up ? -changePct > config.maxDropPct : changePct > config.maxErrorRisePct;
  const words = `live ${metric} ${fmt(now)} vs baseline ${fmt(base)} (${changePct >= 0 ? '+' : ''}${fmt(changePct)}%) over ${count} outcomes`;
  return worse
    ? { decision: 'fire', reason: `${words}: beyond the ${up ? `${config.maxDropPct}% drop` : `${config.maxErrorRisePct}% rise`} limit`, numbers }
    : { decision: 'ok', reason: `${words}: within the limit`, numbers };
}

/**
 * Rate window: the average accept rate over the last `lastWindows` windows that hold feedback
 * fires below `below`, once at least `minWindows` such windows exist.
 */
export function rateVerdict(config: RateTrigger, windows: readonly PerformanceWindow[], version: string | null): Verdict {
  if (!config.enabled) return { decision: 'disabled', reason: 'the rate trigger is off', numbers: {} };
  const rates = windows.filter((w) => w.version === version && w.acceptRate !== null && w.count > 0).map((w) => w.acceptRate as number);
  const recent = rates.slice(-config.lastWindows);
  if (recent.length < config.minWindows) {
    return { decision: 'insufficient', reason: `${recent.length} window(s) with feedback; ${config.minWindows} needed`, numbers: { windows: recent.length, minWindows: config.minWindows } };
  }
  const average = recent.reduce((a, b) => a + b, 0) / recent.length;
  const numbers = { average, below: config.below, windows: recent.length, rates: recent };
  return average < config.below
    ? { decision: 'fire', reason: `accept rate averages ${fmt(average)} over the last ${recent.length} windows, below ${config.below}`, numbers }
    : { decision: 'ok', reason: `accept rate averages ${fmt(average)} over the last ${recent.length} windows (threshold ${config.below})`, numbers };
}

/** True when the trigger last fired less than `cooldownHours` before `now`. */
export function inCooldown(lastFire: TriggerCheck | undefined, cooldownHours: number, now: Date): boolean {
  return lastFire !== undefined && now.getTime() - lastFire.checkedAt.getTime() < cooldownHours * 3_600_000;
}

const HOUR_MS = 3_600_000;

/**
 * Drift: a drifted report fires at once with `delayHours` 0; otherwise it waits for the next
 * check to confirm it. A confirmation counts only if the drift check before it (waiting, fired or
 * held by the cooldown) is at most `delayHours` old: a detection that no check confirmed within
 * the delay (checks paused, the service down) is stale, and the drift starts waiting again. So a
 * retrain comes within `delayHours` of the detection it acts on, at a scheduled check.
 */
export function driftVerdict(
  config: Pick<DriftTrigger, 'delayHours'>,
  report: { readonly drifted: boolean; readonly reason: string; readonly driftedShare: number; readonly driftedFeatures: readonly string[] },
  previous: TriggerCheck | undefined,
  now: Date,
): Verdict {
  const base = { share: report.driftedShare, features: report.driftedFeatures };
  if (!report.drifted) return { decision: 'ok', reason: report.reason, numbers: base };
  const seen = previous && (previous.decision === 'waiting' || previous.decision === 'cooldown' || previous.decision === 'fire') ? previous : undefined;
  const fresh = seen !== undefined && now.getTime() - seen.checkedAt.getTime() <= config.delayHours * HOUR_MS;
  const detectedAt = fresh && typeof seen.numbers.detectedAt === 'string' ? seen.numbers.detectedAt : now.toISOString();
  if (config.delayHours === 0 || fresh) {
    return { decision: 'fire', reason: `${report.reason}; detected ${detectedAt}`, numbers: { ...base, detectedAt } };
  }
  return {
    decision: 'ok',
    reason: `${report.reason}; retrain at the next check if it persists and that check is within ${config.delayHours} h`,
    numbers: { ...base, detectedAt, waiting: true },
  };
}
