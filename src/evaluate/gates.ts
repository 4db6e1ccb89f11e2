/**
 * Promotion gates: whether a challenger may replace the champion, with the reasons in words.
 */
import type { Gates, Metrics, Task } from '../domain/entities.js';
import { higherIsBetter, primaryMetric } from './metrics.js';
import type { PairedBootstrap } from './paired-bootstrap.js';

/** What the gates look at. */
export interface GateInput {
  /** The model's task; decides the primary metric. */
  readonly task: Task;
  /** The challenger's metrics on the test rows. */
  readonly challenger: Metrics;
  /** The champion's metrics on the same rows; null when there is no champion. */
  readonly champion: Metrics | null;
  /** The model's gates (minimums, and maxDegradation, default 0.05 in the policy); absent newer fields mean none. */
  readonly gates: Pick<Gates, 'minimums' | 'maxDegradation'> & Partial<Pick<Gates, 'minImprovement' | 'guards' | 'significance'>>;
  /** The paired bootstrap of the primary metric on the test rows; null or absent when not computed. */
  readonly bootstrap?: PairedBootstrap | null;
  /** Whether the challenger's feature schema can serve the champion's callers. */
  readonly schemaCompatible: boolean;
}

/** The verdict of the gates. */
export interface GateDecision {
  /** True when every gate passed. */
  readonly pass: boolean;
  /** When failing, one sentence per failed gate; when passing, one per gate explaining why it passed. */
  readonly reasons: string[];
  /** The metric compared against the champion (see `primaryMetric`). */
  readonly primaryMetric: string;
  /** Relative change of the primary metric against the champion in percent, positive is better; null without a comparable champion value. */
  readonly improvementPct: number | null;
  /** Every check with the numbers it used (passed or failed), for the decision text. */
  readonly details: string[];
}

// Relative changes are computed in floating point: 0.855 vs 0.9 is 5.000000000000004% worse.
// A degradation exactly at the limit must pass, so allow this much slack.
const TOLERANCE = 1e-9;

/** A number for a sentence: four significant digits, no trailing zeros. */
function fmt(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** A percentage for a sentence: one decimal, no trailing zero. */
function pct(x: number): string {
  return String(Number(x.toFixed(1)));
}

function isNumber(x: number | undefined): x is number {
  return x !== undefined && Number.isFinite(x);
}

/**
 * Decides whether a challenger passes: the schema must be compatible, every `gates.minimums` entry
 * met (a maximum for error metrics), and the primary metric at most `gates.maxDegradation` worse
 * (relatively) than the champion's, when there is a champion with that metric.
 */
export function decideGates(input: GateInput): GateDecision {
  const { task, challenger, champion, gates, schemaCompatible } = input;
  const primary = primaryMetric(task);
  const failed: string[] = [];
  const passed: string[] = [];

  if (schemaCompatible) passed.push('the feature schema is compatible');
  else failed.push("the feature schema is not compatible with the champion's");

  for (const [metric, bound] of Object.entries(gates.minimums)) {
    const higher = higherIsBetter(metric);
    const value = challenger[metric];
    const limit = higher ? `minimum ${fmt(bound)}` : `maximum ${fmt(bound)}`;
    if (!isNumber(value)) {
      failed.push(`${metric} is missing from the challenger's metrics (${limit})`);
    } else if (higher ? value >= bound : value <= bound) {
      passed.push(`${metric} ${fmt(value)} meets the ${limit}`);
    } else {
      failed.push(`${metric} ${fmt(value)} is ${higher ? 'below' : 'above'} the ${limit}`);
    }
  }

  let improvementPct: number | null = null;
  const championValue = champion?.[primary];
  const challengerValue = challenger[primary];
  const limitText = `limit ${pct(gates.maxDegradation * 100)}%`;
  if (champion === null) {
    passed.push('no champion: first version');
  } else if (!isNumber(championValue)) {
    passed.push(`the champion has no ${primary}: nothing to compare against`);
  } else if (!isNumber(challengerValue)) {
    failed.push(`${primary} is missing from the challenger's metrics, so it cannot be compared with the champion's ${fmt(championValue)}`);
  } else {
    // Sign so that a positive change is an improvement whatever the metric's direction.
    const direction = higherIsBetter(primary) ? 1 : -1;
    const delta = direction * (challengerValue - championValue);
    let change: number;
    if (championValue !== 0) {
      change = delta / Math.abs(championValue);
      improvementPct = change * 100;
    } else {
      // No relative change from zero: any loss is unbounded, equality is no change.
      change = delta === 0 ? 0 : delta > 0 ? Infinity : -Infinity;
    }
    const versus = `${primary} ${fmt(challengerValue)} vs champion ${fmt(championValue)}`;
    const minImprovement = gates.minImprovement ?? null;
    if (minImprovement !== null && !(change >= minImprovement - TOLERANCE)) {
      const by = Number.isFinite(change) ? ` (${change >= 0 ? '+' : ''}${pct(change * 100)}%)` : '';
      failed.push(`${versus}${by} is short of the minimum improvement ${pct(minImprovement * 100)}%`);
    } else if (minImprovement !== null) {
      passed.push(`${versus} (${improvementPct === null ? 'better' : `+${pct(improvementPct)}%`}, minimum improvement ${pct(minImprovement * 100)}%)`);
    } else if (-change > gates.maxDegradation + TOLERANCE) {
      const howMuch = Number.isFinite(change) ? `${pct(-change * 100)}% ` : '';
      failed.push(`${primary} ${fmt(challengerValue)} is ${howMuch}worse than the champion's ${fmt(championValue)} (${limitText})`);
    } else if (improvementPct === null) {
      passed.push(`${versus} (${change === 0 ? 'no change' : 'better'})`);
    } else if (change >= 0) {
      passed.push(`${versus} (+${pct(improvementPct)}%)`);
    } else {
      passed.push(`${versus} (${pct(improvementPct)}%, within the ${limitText})`);
    }
  }

  if (champion !== null) guardChecks(challenger, champion, gates.guards ?? {}, failed, passed);
  significanceCheck(input.bootstrap ?? null, gates.significance ?? null, failed, passed);

  const pass = failed.length === 0;
  return { pass, reasons: pass ? passed : failed, primaryMetric: primary, improvementPct, details: [...failed, ...passed] };
}

/** Guard metrics: each may fall (rise, for error metrics) by at most its relative limit against the champion. */
function guardChecks(challenger: Metrics, champion: Metrics, guards: Readonly<Record<string, number>>, failed: string[], passed: string[]): void {
  for (const [metric, maxDrop] of Object.entries(guards)) {
    const c = challenger[metric];
    const o = champion[metric];
    if (!isNumber(c) || !isNumber(o)) continue;
    const direction = higherIsBetter(metric) ? 1 : -1;
    const delta = direction * (c - o);
    const change = o !== 0 ? delta / Math.abs(o) : delta === 0 ? 0 : delta > 0 ? Infinity : -Infinity;
    const shown = Number.isFinite(change) ? `${change >= 0 ? '+' : ''}${pct(change * 100)}%` : change > 0 ? 'better' : 'worse';
    const text = `guard ${metric} ${fmt(c)} vs champion ${fmt(o)} (${shown}, max drop ${pct(maxDrop * 100)}%)`;
    if (-change > maxDrop + TOLERANCE) failed.push(text);
    else passed.push(text);
  }
}

/** The paired bootstrap: always reported; an unproven improvement fails only when `require` is set. */
function significanceCheck(
  b: PairedBootstrap | null,
  s: Gates['significance'] | null,
  failed: string[],
  passed: string[],
): void {
  if (!b) return;
  const significant = b.pValue < b.alpha;
  const verdict = significant ? (b.delta > 0 ? 'significant improvement' : 'significant degradation') : 'noise level: not significant';
  const text = `paired bootstrap on ${b.rows} test rows (${b.resamples} resamples): Δ${b.metric} ${b.delta >= 0 ? '+' : ''}${fmt(b.delta)}, ${pct((1 - b.alpha) * 100)}% interval [${fmt(b.low)}, ${fmt(b.high)}], p=${fmt(b.pValue)} (alpha ${fmt(b.alpha)}): ${verdict}`;
  if (s?.require && !(significant && b.delta > 0)) failed.push(`${text}, and significance is required`);
  else passed.push(text);
}
