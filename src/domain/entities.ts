/**
 * Refit's entities: readonly values passed between subsystems. Database rows live in src/store
 * and are mapped to these explicitly; nothing here knows about I/O.
 */
import type { ImportJobFields } from './import-source.js';
/** What a model predicts. */
export type Task = 'binary' | 'multiclass' | 'regression';

/** The kinds of input a feature may hold. */
export type FeatureType = 'number' | 'category' | 'boolean' | 'text';

/** One declared input of a model. */
export interface FeatureSpec {
  readonly name: string;
  readonly type: FeatureType;
}

/** Which labels a retrain learns from. */
export type TrainingWindow =
  | { readonly kind: 'all' }
  | { readonly kind: 'auto' }
  | { readonly kind: 'days'; readonly days: number }
  | { readonly kind: 'labels'; readonly count: number };

import type { DataRows, Gates, LabelPolicy, SmokeTestPolicy } from './quality.js';
/** The checks a challenger must pass before it may be promoted (src/domain/quality.ts). */
export type { Gates } from './quality.js';
/** A model's history rows and stored monitor checks (src/domain/history.ts). */
export type { TimelineEntry, TriggerCheck } from './history.js';

/** When a schedule runs: a cron expression (or nickname such as `@daily`), or a simple form. */
export type ScheduleSpec =
  | string
  | { readonly every: 'day'; readonly at: string }
  | { readonly every: 'week'; readonly day: string; readonly at: string }
  | { readonly every: 'month'; readonly at: string };

/** What happens to occurrences missed while the server was down. */
export type CatchUpPolicy = 'skip' | 'once';

/** A schedule as kept: when, in which zone (null: the server's), enabled, catch-up policy. */
export interface ScheduleConfig {
  readonly schedule: ScheduleSpec;
  readonly timezone: string | null;
  readonly enabled: boolean;
  readonly catchUp: CatchUpPolicy;
  /** Usable labels below which this schedule's retrains are skipped; null or absent: the spec's `minSamples`. */
  readonly minSamples?: number | null;
}

/** An extra retrain schedule of a model (besides the one in its spec). */
export interface ModelSchedule {
  readonly id: string;
  readonly modelId: string;
  readonly config: ScheduleConfig;
  readonly createdAt: Date;
}

/** What the scheduler remembers per schedule, so that no occurrence runs twice. */
export interface ScheduleState {
  readonly scheduleId: string;
  readonly lastOccurrenceAt: Date | null;
  readonly lastJobId: string | null;
  /** The occurrence that last started a job; claims without one (missed, or a change's floor) are not runs. */ readonly lastRunAt?: Date | null;
}

/** Retrain when the live primary metric falls against the version's baseline (its test metrics). */
export interface PerformanceTrigger {
  /** Default true. */
  readonly enabled: boolean;
  /** Fire when an accuracy-like metric is down more than this many percent. Default 10. */
  readonly maxDropPct: number;
  /** Fire when an error metric (mae, rmse, logLoss) is up more than this many percent. Default 20. */
  readonly maxErrorRisePct: number;
  /** Labelled outcomes the live window needs before it is judged. Default 30. */
  readonly minLabels: number;
  /** The live window, in hours. Default 24. */
  readonly windowHours: number;
  /** After firing, wait this long before firing again. Default 24. */
  readonly cooldownHours: number;
}

/** Retrain when the inputs or the scores drift from the training data. */
export interface DriftTrigger {
  /** Default true. */
  readonly enabled: boolean;
  /** Share of features that must drift to call the model drifted. Default 0.5. */
  readonly featureShare: number;
  /** Scores in the current window (the most recent ones). Default 10,000. */
  readonly windowScores: number;
  /** Scored rows the window needs before it is judged. Default 100. */
  readonly minScores: number;
  /** 0: retrain at the check that detects drift. Otherwise a later check must confirm it within this many hours (a detection older than that is stale and waits again). Default 24. */
  readonly delayHours: number;
  /** Retrain on drift even without new labels (the retrain is forced past minNewLabels). Default false. */
  readonly force: boolean;
  /** Default 24. */
  readonly cooldownHours: number;
}

/** Retrain when the share of positive feedback ("accept rate") stays low. */
export interface RateTrigger {
  /** Default true (binary models only). */
  readonly enabled: boolean;
  /** Length of one evaluation window, in hours. Default 24. */
  readonly windowHours: number;
  /** Windows averaged. Default 5. */
  readonly lastWindows: number;
  /** Fire when the average falls below this. Default 0.6. */
  readonly below: number;
  /** Windows (with feedback) needed before it can fire. Default 3. */
  readonly minWindows: number;
  /** Default 24. */
  readonly cooldownHours: number;
}

/** The monitor's triggers and how often it checks them. */
export interface Triggers {
  /** Cron expression of the checks (in the schedule's zone). Default hourly, `0 * * * *`. */
  readonly checkSchedule: string;
  readonly performance: PerformanceTrigger;
  readonly drift: DriftTrigger;
  readonly rate: RateTrigger;
}

/** How and when a model retrains. */
export interface RetrainPolicy {
  /** Drift, performance and rate triggers. */
  readonly triggers: Triggers;
  /** The model's own retrain schedule. Default: daily at 06:00. */
  readonly schedule: ScheduleSpec;
  /** IANA zone of the schedule; null means the server's zone. Default null. */
  readonly timezone: string | null;
  /** Whether the schedule runs. Default true. */
  readonly enabled: boolean;
  /** Missed occurrences after downtime: `skip` (default) or run `once`. */
  readonly catchUp: CatchUpPolicy;
  /** Labels needed since the last retrain before a retrain trains anything. Default 5. */
  readonly minNewLabels: number;
  /** Which labels to learn from. Default: all. */
  readonly window: TrainingWindow;
  /** Which labels may train: exclusion rule on `meta`, duplicates per score id. */
  readonly labels: LabelPolicy;
  /** Usable labels in the window below which a retrain is skipped (not failed). Default 10. */
  readonly minSamples: number;
  /** The check of the stored artifact before any activation. */
  readonly smokeTest: SmokeTestPolicy;
  /** Promote automatically when the gates pass. Default true. */
  readonly autoPromote: boolean;
  /** Promotion gates. */
  readonly gates: Gates;
  /** Seed for the split and the trainer. Default 42. */
  readonly seed: number;
  /** A running retrain is stopped (its worker terminated) after this many minutes. Default 30. */
  readonly timeoutMinutes: number;
  /** How transient failures are retried. */
  readonly retry: RetryPolicy;
  /** How a promoted challenger reaches traffic, when it is rolled back, and how many versions are kept. */
  readonly rollout: RolloutPolicy;
}

/** How a challenger that passed its gates reaches traffic. */
export type RolloutMode = 'direct' | 'canary' | 'shadow';

/** Limits a version's live numbers must stay within. */
export interface LiveThresholds {
  /** Smallest acceptable share of correct predictions among labelled outcomes. */
  readonly minSuccessRate: number;
  /** Largest acceptable share of scoring attempts that failed. */
  readonly maxErrorRate: number;
  /** Largest acceptable 95th percentile of scoring latency, in milliseconds. */
  readonly maxLatencyP95Ms: number;
}

/** Progressive delivery of new versions, the watch after promotion, and artifact retention. */
export interface RolloutPolicy {
  /** `direct` (default: promote to 100% at once), `canary` or `shadow`. */
  readonly policy: RolloutMode;
  /** Canary only: share of scoring traffic the challenger serves. Default 0.1. */
  readonly canaryShare: number;
  /** Canary only: gradual shares, e.g. [0.1, 0.25, 0.5, 1]; each is held until its analysis passes, 1 (or the last) promotes. Default null (one step at canaryShare). */
  readonly steps?: readonly number[] | null;
  /** Longest a canary or shadow runs before it is decided, in hours. Default 24. */
  readonly durationHours: number;
  /** Labelled outcomes each arm needs before the live metric may decide. Default 200. */
  readonly minLabels: number;
  /** Scoring attempts the challenger (or the watched version) needs before its error rate and latency may decide. Default 100. */
  readonly minScores: number;
  /** Significance level of the champion-vs-challenger test. Default 0.05. */
  readonly significance: number;
  /** What the challenger must meet to be promoted. Defaults: success rate ≥ 0.80, error rate ≤ 0.05, latency p95 ≤ 100 ms. */
  readonly thresholds: LiveThresholds;
  /** How long a newly promoted version is watched, in hours. Default 24. */
  readonly watchHours: number;
  /** Below these the watched version is rolled back. Defaults: success rate 0.75, error rate 0.10, latency p95 200 ms. */
  readonly rollback: LiveThresholds & {
    /** Labelled outcomes the watched version needs before its success rate may roll it back. Default 50. */
    readonly minLabels: number;
  };
  /** Versions whose artifacts are kept (newest first); protected versions are always kept. Default 10. */
  readonly keepVersions: number;
}

/** Retries of transient failures, with exponential backoff and jitter. */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 3. */
  readonly retries: number;
  /** Delay before the first retry, in seconds; doubles each time. Default 30. */
  readonly initialDelaySeconds: number;
  /** Longest delay between attempts, in seconds. Default 600. */
  readonly maxDelaySeconds: number;
}

/** A trainer by name, with its parameters (validated by the trainer's own schema). */
export interface TrainerSpec {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A model as declared in a config file or through the API, with every default filled in. */
export interface ModelSpec {
  readonly id: string;
  readonly task: Task;
  readonly features: readonly FeatureSpec[];
  readonly trainer: TrainerSpec;
  /** For binary models: the probability is mapped linearly into this range. Default: none ([0, 1]). */
  readonly scoreRange: readonly [number, number] | null;
  /** Score served while no version exists. Default: the middle of the score range, 0.5, or 0 for regression. */
  readonly defaultScore: number;
  /** Class names for multiclass models; learned from the labels when not declared. */
  readonly classes: readonly string[] | null;
  readonly retrain: RetrainPolicy;
  readonly description: string;
  /** `refit` (Refit serves its scores) or `external` (the application serves it; Refit takes outcomes by version and runs its command). Default refit. */
  readonly serving?: 'refit' | 'external';
}

/** A model and its current state. */
export interface Model {
  readonly spec: ModelSpec;
  readonly activeVersion: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Metric values by name (accuracy, precision, recall, f1, auc, logLoss, mae, rmse, r2). */
export type Metrics = Readonly<Record<string, number>>;

/** Whether a version is in service, waiting for a decision, or retired. */
export type VersionStatus = 'active' | 'candidate' | 'rejected' | 'retired' | 'canary' | 'shadow';

/** One trained version of a model. */
export interface ModelVersion {
  readonly modelId: string;
  readonly version: string;
  readonly status: VersionStatus;
  readonly trainer: TrainerSpec;
  /** The features the version was trained on (for schema-compatibility checks). */
  readonly features: readonly FeatureSpec[];
  /** sha256 of a sample of the training rows (JSON list of feature rows), the drift reference. */
  readonly referenceSha256?: string | null;
  /** sha256 of the serialised predictor in the artifact store. */
  readonly artifactSha256: string;
  readonly artifactBytes: number;
  /** The challenger's metrics on the test rows. */
  readonly metrics: Metrics;
  /** The champion's metrics on the same test rows, when there was a champion. */
  readonly championMetrics: Metrics | null;
  readonly parentVersion: string | null;
  readonly labelCount: number;
  readonly trainingSamples: number;
  readonly datasetHash: string;
  /** Which label rows it trained, validated and was tested on; null for versions from before 0010. */
  readonly dataRows?: DataRows | null;
  readonly decision: string;
  readonly jobId: string | null;
  readonly createdAt: Date;
  /** When retention deleted the artifact (the version can no longer be served); null while kept. */
  readonly artifactDeletedAt?: Date | null;
}

/** Lifecycle of a retrain job. */
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** What started a retrain. */
export type JobTrigger = 'manual' | 'schedule' | 'drift' | 'performance' | 'demo' | 'import';

/** One stage of a retrain run, as recorded on the job. */
export interface JobStage {
  readonly name: string;
  readonly startedAt: string;
  readonly durationMs: number;
}

/** The outcome summary of a retrain run. */
export interface RetrainResult {
  readonly oldVersion: string | null;
  readonly newVersion: string | null;
  readonly promoted: boolean;
  readonly oldMetrics: Metrics | null;
  readonly newMetrics: Metrics | null;
  /** Relative change of the primary metric in percent (positive is better), when both exist. */
  readonly improvementPct: number | null;
  readonly primaryMetric: string;
  readonly trainingSamples: number;
  readonly trainingMs: number;
  readonly labelCount: number;
  readonly decision: string;
}

/** One retrain run. */
export interface RetrainJob extends ImportJobFields {
  readonly id: string;
  readonly modelId: string;
  readonly status: JobStatus;
  readonly trigger: JobTrigger;
  readonly force: boolean;
  /** The starting schedule's `minSamples`, which wins over the spec's; null or absent: the spec's. */
  readonly minSamples?: number | null;
  readonly stage: string | null;
  readonly progress: number | null;
  readonly stages: readonly JobStage[];
  readonly attempts: number;
  readonly result: RetrainResult | null;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** A label value: 0/1 for binary, a class name for multiclass, a number for regression. */
export type LabelValue = number | string;

/** Feature values as received: numbers, strings, booleans, or null for missing. */
export type FeatureRow = Readonly<Record<string, number | string | boolean | null>>;

/** One piece of labelled feedback. */
export interface Label {
  readonly id: number;
  readonly modelId: string;
  readonly features: FeatureRow;
  readonly label: LabelValue;
  readonly scoreId: string | null;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
}

/** One logged score. */
export interface Score {
  readonly id: string;
  readonly modelId: string;
  readonly version: string | null;
  readonly features: FeatureRow;
  readonly score: number | readonly number[];
  readonly createdAt: Date;
  /** Which arm produced it: `champion` (the active version) or `challenger` (canary or shadow). Default champion. */
  readonly arm?: ScoreArm;
  /** Time the arm took to score the request this row was part of, in ms. */
  readonly latencyMs?: number | null;
  /** False for shadow scores (logged, never returned). Default true. */
  readonly served?: boolean;
  /** Shadow scores: the id of the score returned for the same row. */
  readonly shadowOf?: string | null;
  /** Set when the arm failed to score the row (the row was then served by the champion). */
  readonly error?: string | null;
}

/** Which side of a rollout served a score. */
export type ScoreArm = 'champion' | 'challenger';

/** A change of the active version, kept forever. */
export interface Activation {
  readonly id: number;
  readonly modelId: string;
  readonly fromVersion: string | null;
  readonly toVersion: string | null;
  readonly action: 'promote' | 'rollback' | 'force-promote';
  readonly reason: string;
  readonly actor: string;
  readonly createdAt: Date;
}

/** A canary or shadow (kind `challenger`), or the watch after a promotion (kind `watch`). */
export interface Rollout {
  readonly id: number;
  readonly modelId: string;
  readonly kind: 'challenger' | 'watch';
  /** Challenger only: how it receives traffic. */
  readonly mode: 'canary' | 'shadow' | null;
  /** The challenger, or the watched version. */
  readonly version: string;
  /** The champion it is compared with, or the version a watch rolls back to. */
  readonly baseVersion: string | null;
  /** Canary only: the challenger's share of traffic. */
  readonly share: number | null;
  /** `running` until decided. */
  readonly status: 'running' | 'promoted' | 'aborted' | 'passed' | 'rolled-back' | 'ended';
  readonly startedAt: Date;
  /** When it is decided at the latest. */
  readonly endsAt: Date;
  readonly finishedAt: Date | null;
  readonly reason: string | null;
  readonly numbers: Readonly<Record<string, unknown>> | null;
  /**
   * The model's newest label id when it started: labels at or below it cannot be of its scores,
   * so reading its outcomes stops there (0 for rollouts started before it was kept). Internal.
   */
  readonly labelsAfterId: number;
}

/** Event types written to the outbox. */
export type EventType =
  | 'model.drift.detected'
  | 'model.performance.degraded'
  | 'model.retrain.triggered'
  | 'model.created'
  | 'model.retrain.started'
  | 'model.retrain.progress'
  | 'model.retrain.completed'
  | 'model.retrain.skipped'
  | 'model.retrain.failed'
  | 'model.retrained'
  | 'model.activated'
  | 'model.deactivated'
  | 'model.promoted'
  | 'model.rollback'
  | 'model.canary.started'
  | 'model.canary.promoted'
  | 'model.canary.aborted'
  | 'model.shadow.started'
  | 'model.shadow.stopped';

/** The envelope of every event. */
export interface RefitEvent {
  readonly eventId: string;
  /** Position in the outbox; increases with every event. */
  readonly seq: number;
  readonly eventType: EventType;
  readonly eventVersion: 1;
  readonly occurredAt: string;
  readonly runId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}
