import type { Metrics, Task } from '../domain/entities.js';
import { outcomeMetrics } from '../evaluate/outcome-metrics.js';
import type { Outcome } from '../store/store.js';

/** Live numbers of one version over one time window. */
export interface PerformanceWindow {
  readonly version: string | null;
  readonly start: string;
  readonly end: string;
  /** Labelled outcomes in the window. */
  readonly count: number;
  /** Metrics of the logged scores against the labels (those defined for the window). */
  readonly metrics: Metrics;
  /** Binary only: share of outcomes whose feedback was positive. */
  readonly acceptRate: number | null;
  /**
   * True when the window had more outcomes than were read: `count`, the metrics and the accept
   * rate are those of its most recent outcomes (see Monitor.performance).
   */
  readonly sampled: boolean;
}

/**
 * Live performance per version in one window [start, end): the window's outcomes (labels joined
 * to the scores they refer to, as the store read them for it) grouped by the version that made
 * the score, and scored with the same metric code as the offline evaluation. `sampled`: the
 * outcomes are the window's most recent, not all of them. `classesOf(version)` gives a multiclass
 * version's class order (its logged probability lists).
 */
export function windowPerformance(
  task: Task,
  outcomes: readonly Outcome[],
  start: Date,
  end: Date,
  sampled: boolean,
  classesOf: (version: string | null) => readonly string[] = () => [],
): PerformanceWindow[] {
  const byVersion = new Map<string | null, Outcome[]>();
  for (const o of outcomes) {
    let list = byVersion.get(o.version);
    if (!list) byVersion.set(o.version, (list = []));
    list.push(o);
  }
  const out: PerformanceWindow[] = [];
  for (const [version, list] of byVersion) {
    out.push({
      version,
      start: start.toISOString(),
      end: end.toISOString(),
      count: list.length,
      // The default score served before any version is not a model output: no metrics for it; nor
      // for outcomes of externally served models, which have no score.
      metrics: version === null ? {} : outcomeMetrics(task, list.filter(hasScore), classesOf(version)),
      acceptRate: task === 'binary' ? list.filter((o) => Number(o.label) === 1).length / list.length : null,
      sampled,
    });
  }
  return out;
}

function hasScore(o: Outcome): boolean {
  return typeof o.score !== 'number' || !Number.isNaN(o.score);
}

/** Longest window a caller may ask for: 366 days. */
export const MAX_WINDOW_HOURS = 366 * 24;

/** A window written `1h`, `24h` or `7d` → hours (1 h to 366 d), or null when it is not one. */
export function parseWindowHours(text: string): number | null {
  const m = /^(\d{1,6})(h|d)$/.exec(text);
  if (!m) return null;
  const hours = Number(m[1]) * (m[2] === 'd' ? 24 : 1);
  return hours >= 1 && hours <= MAX_WINDOW_HOURS ? hours : null;
}
