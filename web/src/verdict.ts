/**
 * The one verdict on a version's live metric against its test metric, used by the overview, the
 * model page and the triggers card alike, so the same numbers never read "fine" on one card and
 * red on another. It follows the server's performance trigger: accuracy-like metrics are judged
 * by their drop in percent against `maxDropPct`, error metrics by their rise against
 * `maxErrorRisePct`, and nothing is judged with fewer than `minLabels` outcomes.
 */
import { lowerIsBetter, type Triggers } from './api.js';
import { metric, metricName, plural, signedPercent } from './format.js';

/** good: as good as the test metric or better; within: worse, inside the limit; beyond: worse than the limit allows; unjudged: too few labels or nothing to compare. */
export type VerdictTone = 'good' | 'within' | 'beyond' | 'unjudged';

export interface LiveVerdict {
  tone: VerdictTone;
  /** The verdict in two or three words, the same everywhere: "better than test", "within the limit", "beyond the limit", "too few labels". */
  word: string;
  /** The numbers behind it in one sentence. */
  detail: string;
  /** (live − test) / |test| in percent; positive means higher. Null when not computed. */
  changePct: number | null;
  /** The allowed change in percent (negative for a drop), or null. */
  limitPct: number | null;
}

/** The limits a verdict is judged by: the model's performance trigger settings. */
export type VerdictLimits = Pick<Triggers['performance'], 'maxDropPct' | 'maxErrorRisePct' | 'minLabels'>;

/** Badge class per tone (styles.css). */
export const VERDICT_CLASS: Record<VerdictTone, string> = { good: 'badge-good', within: 'badge-within', beyond: 'badge-bad', unjudged: '' };

/** The verdict on `live` (over `count` labelled outcomes) against `test`, for the metric `primary`. */
export function liveVerdict(primary: string, live: number | null | undefined, test: number | null | undefined, count: number, limits: VerdictLimits): LiveVerdict {
  const name = metricName(primary);
  const lower = lowerIsBetter(primary);
  const limitPct = lower ? limits.maxErrorRisePct : -limits.maxDropPct;
  const limitText = lower ? `the ${signedPercent(limits.maxErrorRisePct)} limit` : `the ${signedPercent(-limits.maxDropPct)} limit`;
  if (typeof live !== 'number' || !Number.isFinite(live) || typeof test !== 'number' || !Number.isFinite(test) || test === 0) {
    return { tone: 'unjudged', word: 'not judged', detail: `no test ${name} to compare with`, changePct: null, limitPct };
  }
  const changePct = ((live - test) / Math.abs(test)) * 100;
  const versus = `live ${metric(live)} vs test ${metric(test)} (${signedPercent(changePct)}) over ${plural(count, 'label')}`;
  if (count < limits.minLabels) {
    return { tone: 'unjudged', word: 'too few labels', detail: `${versus}; ${limits.minLabels} needed to judge`, changePct, limitPct };
  }
  const better = lower ? changePct <= 0 : changePct >= 0;
  if (better) return { tone: 'good', word: changePct === 0 ? 'as tested' : 'better than test', detail: versus, changePct, limitPct };
  const beyond = lower ? changePct > limits.maxErrorRisePct : -changePct > limits.maxDropPct;
  return beyond
    ? { tone: 'beyond', word: 'beyond the limit', detail: `${versus}: worse than ${limitText}`, changePct, limitPct }
    : { tone: 'within', word: 'within the limit', detail: `${versus}: inside ${limitText}`, changePct, limitPct };
}
