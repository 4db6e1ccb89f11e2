import type { ModelSpec, RetrainPolicy } from './entities.js';
/**
 * The rules that make a retrain's decision trustworthy: the promotion gates (primary metric,
 * guards, significance), which labels may train (exclusion rule, duplicates, minimum count),
 * the smoke test before activation, and the record of which rows a version saw.
 */

/** A significance check of the primary-metric difference on the paired test rows (a paired bootstrap). */
export interface SignificanceCheck {
  /** Level below which a difference counts as real. Default 0.05. */
  readonly alpha: number;
  /** Bootstrap resamples of the test rows (seeded by the retrain seed). Default 1000. */
  readonly resamples: number;
  /** When true, an improvement must be significant for the challenger to pass. Default false (reported only). */
  readonly require: boolean;
}

/** Promotion gates. */
export interface Gates {
  /** Minimum value per metric (e.g. `{ "auc": 0.7 }`); for error metrics (mae, rmse, logLoss) a maximum. Default: none. */
  readonly minimums: Readonly<Record<string, number>>;
  /** Largest allowed relative degradation of the primary metric against the champion. Default 0.05 (5%). */
  readonly maxDegradation: number;
  /** Smallest relative improvement of the primary metric the challenger must show; null requires none. Default null. */
  readonly minImprovement: number | null;
  /** Guard metrics: largest allowed relative fall (a rise for error metrics) against the champion. Default: accuracy 0.05 (binary), macroF1 0.05 (multiclass), mae 0.05 (regression). */
  readonly guards: Readonly<Record<string, number>>;
  /** The paired significance check of the primary metric. */
  readonly significance: SignificanceCheck;
}

/** The default guard metrics of a task (see `Gates.guards`). */
export function defaultGuards(task: 'binary' | 'multiclass' | 'regression'): Record<string, number> {
  if (task === 'binary') return { accuracy: 0.05 };
  if (task === 'multiclass') return { macroF1: 0.05 };
  return { mae: 0.05 };
}

/** A metadata value a label may carry and an exclusion rule may match. */
export type MetaValue = string | number | boolean | null;

/** Which labels a model learns from. */
export interface LabelPolicy {
  /** Labels whose `meta` matches every key of this object are not trained on (e.g. `{ "safeToSend": false }`). Default null (none). */
  readonly exclude: Readonly<Record<string, MetaValue>> | null;
  /** A second label for a score id: `replace` the earlier one (default) or `refuse` it. */
  readonly duplicates: 'replace' | 'refuse';
}

/** Whether a label's metadata matches an exclusion rule (every key equal). */
export function excludedByRule(meta: Readonly<Record<string, unknown>> | null, rule: LabelPolicy['exclude']): boolean {
  if (!rule) return false;
  const keys = Object.keys(rule);
  if (keys.length === 0) return false;
  return keys.every((k) => meta !== null && Object.prototype.hasOwnProperty.call(meta, k) && meta[k] === rule[k]);
}

/** The smoke test a new version's stored artifact passes before it may be activated. */
export interface SmokeTestPolicy {
  /** Recent label rows scored by the freshly loaded artifact. Default 100. */
  readonly rows: number;
  /** Largest time the loaded artifact may take to score them, in ms. Default 5000. */
  readonly maxLatencyMs: number;
}

/** A set of label rows, identified by the range of their ids, their count and a hash of the ids. */
export interface RowSet {
  /** Lowest label id in the set (0 when empty). */
  readonly from: number;
  /** Highest label id in the set (0 when empty). */
  readonly to: number;
  readonly count: number;
  /** sha256 of the ids, ascending, comma-separated. */
  readonly sha256: string;
}

/** Exactly which label rows a version trained, validated and was tested on. */
export interface DataRows {
  /** `recent`: the test rows are the most recent labels (out-of-time) that the champion did not train on. */
  readonly holdout: 'recent';
  readonly train: RowSet;
  readonly validation: RowSet;
  readonly test: RowSet;
  /** Recent rows left out of the test because the champion had trained on them. */
  readonly excludedAsChampionTraining: number;
}

/**
 * A stored spec with the fields added in 0010 filled in with their defaults, so models created
 * before them read as if they had been written with them.
 */
export function withQualityDefaults(spec: ModelSpec): ModelSpec {
  const r = spec.retrain as Partial<RetrainPolicy> & RetrainPolicy;
  const g = r.gates as Partial<Gates> & Pick<Gates, 'minimums' | 'maxDegradation'>;
  const rollout = r.rollout as RetrainPolicy['rollout'];
  const drift = r.triggers.drift as Partial<RetrainPolicy['triggers']['drift']> & Omit<RetrainPolicy['triggers']['drift'], 'force'>;
  if (r.labels && r.smokeTest && r.minSamples !== undefined && g.guards && g.significance && g.minImprovement !== undefined && drift.force !== undefined && rollout.steps !== undefined) return spec;
  return {
    ...spec,
    retrain: {
      ...r,
      triggers: { ...r.triggers, drift: { ...drift, force: drift.force ?? false } },
      rollout: { ...rollout, steps: rollout.steps ?? null },
      gates: {
        minimums: g.minimums,
        maxDegradation: g.maxDegradation,
        minImprovement: g.minImprovement ?? null,
        guards: g.guards ?? defaultGuards(spec.task),
        significance: g.significance ?? { alpha: 0.05, resamples: 1000, require: false },
      },
      labels: r.labels ?? { exclude: null, duplicates: 'replace' },
      minSamples: r.minSamples ?? 10,
      smokeTest: r.smokeTest ?? { rows: 100, maxLatencyMs: 5000 },
    },
  };
}
