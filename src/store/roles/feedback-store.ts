import type { FeatureRow, LabelValue, Score, ScoreArm, TrainingWindow } from '../../domain/entities.js';

/** A label to insert. */
export interface NewLabel {
  readonly features: FeatureRow;
  readonly label: LabelValue;
  readonly scoreId: string | null;
  readonly occurredAt: Date;
  /** Metadata sent with the label (exclusion rules match it). Default null. */
  readonly meta?: Readonly<Record<string, unknown>> | null;
  /** Externally served models: the version the outcome is about. Default null. */
  readonly version?: string | null;
}

/** A label row as read back for training. */
export interface LabelRow {
  readonly id: number;
  readonly features: FeatureRow;
  readonly label: LabelValue;
}

/**
 * A label row as stored: features and label still JSON text. Training windows travel in this
 * form so that parsing happens in the training worker, not on the server's event loop.
 */
export interface RawLabelRow {
  readonly id: number;
  readonly features: string;
  readonly label: string;
  /** The score the label refers to; null or absent when none. */
  readonly scoreId?: string | null;
  /** Metadata as JSON text; null or absent when none. */
  readonly meta?: string | null;
}

/** Parse a stored label row. */
export function parseLabelRow(raw: RawLabelRow): LabelRow {
  return { id: raw.id, features: JSON.parse(raw.features) as FeatureRow, label: JSON.parse(raw.label) as LabelValue };
}

/** A labelled outcome joined to the score it refers to. */
export interface Outcome {
  readonly version: string | null;
  /** The raw model output logged with the score (probability for binary, list for multiclass); NaN for an externally served model's outcome. */
  readonly score: number | readonly number[];
  readonly label: LabelValue;
  readonly occurredAt: Date;
}

/** A labelled outcome of a score made during a rollout, with the arm that made it. */
export interface RolloutOutcome {
  readonly version: string | null;
  readonly arm: ScoreArm;
  /** True for shadow scores (joined to the label through the score that was returned). */
  readonly shadow: boolean;
  readonly score: number | readonly number[];
  readonly label: LabelValue;
}

/** Scoring attempts of one version since a time: how many, how many failed, and their latencies. */
export interface ServingStats {
  readonly version: string;
  readonly attempts: number;
  readonly errors: number;
  /** Latency of the most recent attempts (ms, at most 20,000), unsorted; rows logged without one are left out. */
  readonly latenciesMs: readonly number[];
}

/** Feedback: the labels applications send, the scores Refit logged, and the live outcomes that join them. */
export interface FeedbackStore {
  /** Insert labels in order (in one transaction); returns their ids. */
  insertLabels(modelId: string, labels: readonly NewLabel[], receivedAt: Date): Promise<number[]>;
  /** Score ids among `scoreIds` that already have a label (for `duplicates: "refuse"`). */
  labelledScoreIds(modelId: string, scoreIds: readonly string[]): Promise<Set<string>>;
  /** Labels with id greater than `afterId`. */
  countLabelsAfter(modelId: string, afterId: number): Promise<number>;
  /** All labels of a model. */
  countLabels(modelId: string): Promise<number>;
  /** The highest label id of a model (0 when it has none). */
  maxLabelId(modelId: string): Promise<number>;
  /** Labels in the training window, oldest first. */
  loadLabels(modelId: string, window: TrainingWindow, now: Date): Promise<LabelRow[]>;
  /** The same rows unparsed, for handing to a training worker. */
  loadLabelsRaw(modelId: string, window: TrainingWindow, now: Date): Promise<RawLabelRow[]>;

  /** Log scores (in one transaction). */
  insertScores(scores: readonly Score[]): Promise<void>;
  /** Scores by id for one model (missing ids are absent from the map). */
  getScores(modelId: string, ids: readonly string[]): Promise<Map<string, Score>>;
  /** The most recent served scores of a model (newest first), at most `limit`. */
  recentScores(modelId: string, limit: number): Promise<Score[]>;

  /**
   * Labels that refer to a score (by id), joined to it, with occurredAt in [since, until): the
   * most recent `limit` of them, oldest first; a score counts once (its latest label). The limit
   * bounds what one call reads (a busy model has millions of outcomes a day: reading them all
   * held the server's event loop for minutes). `complete` is false when there were more.
   */
  liveOutcomes(modelId: string, since: Date, until: Date, limit: number): Promise<{ outcomes: Outcome[]; complete: boolean }>;
  /**
   * The outcomes of a rollout: scores of a model made at or after `since` that have a label, with
   * their arm, from the model's most recently received `limit` labels with an id above
   * `afterLabelId` (the rollout's watermark: no label at or below it can be of a score made since
   * it started). Shadow scores (joined to the label through the score that was returned) only when
   * `shadow`. A score counts once (its latest label). `complete` is false when there were more
   * labels: before it was bounded, the read walked every label of the model, seconds a check on a
   * busy model, holding the server's event loop.
   */
  rolloutOutcomes(modelId: string, since: Date, read: { afterLabelId: number; limit: number; shadow: boolean }): Promise<{ outcomes: RolloutOutcome[]; complete: boolean }>;
  /**
   * Scoring attempts per version among the most recent `limit` at or after `since` (served and
   * shadow). `complete` is false when there were more (counts over a day of a busy model's
   * traffic meant reading hundreds of millions of rows).
   */
  servingStats(modelId: string, since: Date, limit: number): Promise<{ stats: ServingStats[]; complete: boolean }>;
}
