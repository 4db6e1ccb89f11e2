/** Reading the monitoring endpoints: live metrics per version, drift verdicts in plain words. */
import type { DriftResult, FeatureDrift, Performance, PerformanceWindow } from './api.js';
import { pValue, plural, statistic } from './format.js';

/** One version's live primary metric: its most recent window with labelled outcomes (a mean of per-window AUCs would not be an AUC). */
export interface LiveMetric {
  version: string;
  /** The most recent window with a value. */
  latest: PerformanceWindow;
}

/** Per version, the live primary metric (windows without outcomes or without the metric are left out). */
export function liveByVersion(perf: Performance): Map<string, LiveMetric> {
  const out = new Map<string, LiveMetric>();
  for (const w of perf.windows) {
    const v = w.metrics[perf.primaryMetric];
    // A null version is the default score served before any version: it has no metrics.
    if (w.version === null || w.count <= 0 || typeof v !== 'number' || !Number.isFinite(v)) continue;
    const prev = out.get(w.version);
    if (!prev || new Date(w.end).getTime() > new Date(prev.latest.end).getTime()) out.set(w.version, { version: w.version, latest: w });
  }
  return out;
}

/** "24 h", "7 d": a window length as people read it. */
export function hoursText(h: number): string {
  return h % 24 === 0 && h >= 48 ? `${h / 24} d` : `${h} h`;
}

const TESTS: Record<FeatureDrift['test'], string> = {
  ks: 'Kolmogorov–Smirnov',
  chi2: 'chi-square',
  wasserstein: 'Wasserstein distance',
  'jensen-shannon': 'Jensen–Shannon distance',
  none: 'no values yet',
};

export function testName(t: FeatureDrift['test']): string {
  return TESTS[t] ?? t;
}

/** p-value tests drift below their threshold (alpha); distance tests above theirs. */
export function isPValueTest(t: FeatureDrift['test']): boolean {
  return t === 'ks' || t === 'chi2' || t === 'none';
}

export function thresholdText(f: FeatureDrift): string {
  if (f.test === 'none') return '—';
  return isPValueTest(f.test) ? `p < ${f.threshold}` : `> ${f.threshold}`;
}

/** Small p-values as 1e-40, others with three decimals. */
export const pValueText = pValue;

export const statisticText = statistic;

/** How many features drifted, in words that cannot be misread: "no feature drifted", "1 of 3 features drifted". */
export function driftedText(drifted: number, tested: number): string {
  if (tested === 0) return 'no feature compared yet';
  if (drifted === 0) return tested === 1 ? 'the feature did not drift' : `no feature drifted (${tested} compared)`;
  if (drifted === tested && tested > 1) return `all ${tested} features drifted`;
  return `${drifted} of ${plural(tested, 'feature')} drifted`;
}

/** Why there is no drift report, in words a person can act on. */
export function driftUnavailable(d: DriftResult, minScores: number | undefined): string {
  switch (d.status) {
    case 'no-version':
      return 'No active version yet. Drift compares recent scores with the training data of the active version, so it starts after the first successful retrain.';
    case 'no-reference':
      return `Version ${d.version ?? ''} has no reference sample of its training data (it was trained before Refit kept one). The next retrain records one.`;
    case 'insufficient':
      return minScores !== undefined
        ? `Needs ${minScores} scores by version ${d.version ?? ''}; ${d.currentRows} so far. Drift is measured once the model has scored that many rows.`
        : `Not enough scores yet: ${d.reason}.`;
    default:
      return d.reason;
  }
}
