import type {
  Activation,
  EventType,
  FeatureRow,
  JobStage,
  JobStatus,
  JobTrigger,
  LabelValue,
  Model,
  ModelSpec,
  ModelVersion,
  RefitEvent,
  RetrainJob,
  RetrainResult,
  Rollout,
  ScoreArm,
  TimelineEntry,
  ModelSchedule,
  Score,
  TriggerCheck,
  ScheduleState,
  TrainingWindow,
  VersionStatus,
} from '../domain/entities.js';

/** What recovery reads of a pending or running job to decide whether its owner is gone. */
export interface JobOwnership {
  /** `<host>/<pid>/<instance>` of the process running it; null for jobs from before owners were kept. */
  readonly owner: string | null;
  /** Last heartbeat; the creation time when none was recorded. */
  readonly heartbeatAt: Date;
}

/** A label to insert. */
export interface NewLabel {
  readonly features: FeatureRow;
  readonly label: LabelValue;
  readonly scoreId: string | null;
  readonly occurredAt: Date;
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
}

/** Parse a stored label row. */
export function parseLabelRow(raw: RawLabelRow): LabelRow {
  return { id: raw.id, features: JSON.parse(raw.features) as FeatureRow, label: JSON.parse(raw.label) as LabelValue };
}

/** A labelled outcome joined to the score it refers to. */
export interface Outcome {
  readonly version: string | null;
  /** The raw model output logged with the score (probability for binary, list for multiclass). */
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

/** A rollout to start. */
export interface NewRollout {
  readonly modelId: string;
  readonly kind: Rollout['kind'];
  readonly mode: Rollout['mode'];
  readonly version: string;
  readonly baseVersion: string | null;
  readonly share: number | null;
  readonly startedAt: Date;
  readonly endsAt: Date;
}

/** A timeline row to append. */
export type NewTimelineEntry = Omit<TimelineEntry, 'id'>;

/** A promotion or rollback about to be made (kept until its transaction commits). */
export interface RolloutIntent {
  readonly id: number;
  readonly modelId: string;
  readonly action: string;
  readonly version: string;
  readonly fromVersion: string | null;
  readonly actor: string;
  readonly reason: string;
  readonly startedAt: Date;
  /** The process making the change (see retrain/job-owner.ts). */
  readonly owner: string | null;
}

/** A check to store. */
export type NewTriggerCheck = Omit<TriggerCheck, 'id'>;

/** Fields of a job that the runner updates as it goes. */
export interface JobPatch {
  readonly status?: JobStatus;
  readonly stage?: string | null;
  readonly progress?: number | null;
  readonly stages?: readonly JobStage[];
  readonly attempts?: number;
  readonly result?: RetrainResult | null;
  readonly error?: string | null;
  readonly startedAt?: Date | null;
  readonly finishedAt?: Date | null;
}

/** A change of the active version. */
export interface ActivationInput {
  readonly modelId: string;
  readonly toVersion: string;
  readonly action: Activation['action'];
  readonly reason: string;
  readonly actor: string;
  readonly at: Date;
  /** Numbers that decided it, kept on its timeline row. */
  readonly numbers?: Readonly<Record<string, unknown>> | null;
}

/** An event to append to the outbox. */
export interface NewEvent {
  readonly eventType: EventType;
  readonly runId: string | null;
  readonly modelId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly occurredAt: Date;
}

/** One page of results. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
}

/**
 * Everything Refit keeps, behind one interface (MLflow's store abstraction). Implemented with
 * Kysely for SQLite and PostgreSQL; nothing outside src/store sees SQL.
 */
export interface Store {
  /** The dialect in use. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Run `fn` in one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Release connections. */
  close(): Promise<void>;

  /** Insert a model; throws RefitError MODEL_EXISTS when the id is taken. */
  createModel(spec: ModelSpec, at: Date): Promise<Model>;
  getModel(id: string): Promise<Model | null>;
  /**
   * Inside a transaction: read a model and hold it until the transaction ends (`for update` on
   * PostgreSQL; SQLite runs one writer at a time anyway), so that concurrent changes of the same
   * model's active version or rollouts happen one after the other.
   */
  lockModel(id: string): Promise<Model | null>;
  listModels(): Promise<Model[]>;
  updateModelSpec(id: string, spec: ModelSpec, at: Date): Promise<void>;
  /** The label-id watermark of the last retrain that trained. */
  getTrainedThrough(modelId: string): Promise<number>;
  setTrainedThrough(modelId: string, labelId: number): Promise<void>;

  insertVersion(v: ModelVersion): Promise<void>;
  getVersion(modelId: string, version: string): Promise<ModelVersion | null>;
  /** Newest first. */
  listVersions(modelId: string): Promise<ModelVersion[]>;
  /** The most recently created version, whatever its status. */
  latestVersion(modelId: string): Promise<ModelVersion | null>;
  setVersionStatus(modelId: string, version: string, status: VersionStatus): Promise<void>;

  /** Move the active pointer, retire the previous version and record the history and timeline rows. */
  activate(input: ActivationInput): Promise<Activation>;
  /** Newest first. */
  listActivations(modelId: string): Promise<Activation[]>;

  /** Insert labels in order; returns their ids. */
  insertLabels(modelId: string, labels: readonly NewLabel[], receivedAt: Date): Promise<number[]>;
  /** Labels with id greater than `afterId`. */
  countLabelsAfter(modelId: string, afterId: number): Promise<number>;
  countLabels(modelId: string): Promise<number>;
  /** The highest label id of a model (0 when it has none). */
  maxLabelId(modelId: string): Promise<number>;
  /** Labels in the training window, oldest first. */
  loadLabels(modelId: string, window: TrainingWindow, now: Date): Promise<LabelRow[]>;
  /** The same rows unparsed, for handing to a training worker. */
  loadLabelsRaw(modelId: string, window: TrainingWindow, now: Date): Promise<RawLabelRow[]>;

  insertScores(scores: readonly Score[]): Promise<void>;
  /** Scores by id for one model (missing ids are absent from the map). */
  getScores(modelId: string, ids: readonly string[]): Promise<Map<string, Score>>;

  /** `owner`: the process that will run it (see retrain/job-owner.ts); its heartbeat starts at `at`. */
  createJob(input: { id: string; modelId: string; trigger: JobTrigger; force: boolean; at: Date; owner?: string | null }): Promise<RetrainJob>;
  updateJob(id: string, patch: JobPatch): Promise<RetrainJob>;
  getJob(id: string): Promise<RetrainJob | null>;
  /** The pending or running job of a model, if any. */
  findActiveJob(modelId: string): Promise<RetrainJob | null>;
  /** Newest first. */
  listJobs(modelId: string, page: { limit: number; offset: number }): Promise<Page<RetrainJob>>;
  /** Renew the heartbeat of an owner's pending and running jobs. Returns how many. */
  heartbeatJobs(owner: string, at: Date): Promise<number>;
  /**
   * Mark failed the pending or running jobs that `isOrphan` says their owner left (each a
   * compare-and-set on the owner and heartbeat read). Returns them.
   */
  failOrphanedJobs(isOrphan: (job: JobOwnership) => boolean, at: Date, reason: string): Promise<RetrainJob[]>;

  appendEvent(e: NewEvent): Promise<RefitEvent>;
  /** Events with seq greater than `afterSeq`, oldest first. */
  listEvents(afterSeq: number, limit: number): Promise<RefitEvent[]>;

  createSchedule(s: ModelSchedule): Promise<void>;
  /** Extra schedules, of one model or of all; oldest first. */
  listSchedules(modelId?: string): Promise<ModelSchedule[]>;
  getSchedule(id: string): Promise<ModelSchedule | null>;
  /** Remove a schedule and its state; false when there was none. */
  deleteSchedule(id: string): Promise<boolean>;
  getScheduleStates(ids: readonly string[]): Promise<Map<string, ScheduleState>>;
  /**
   * Record `occurrence` as a schedule's last one, only if it is later than the one recorded
   * (compare-and-set): true when this caller claimed it, so an occurrence runs once even with
   * several processes.
   */
  claimOccurrence(scheduleId: string, occurrence: Date): Promise<boolean>;
  setScheduleJob(scheduleId: string, jobId: string): Promise<void>;

  /** Labels that refer to a score (by id), joined to it, with occurredAt in [since, until). Oldest first. */
  liveOutcomes(modelId: string, since: Date, until: Date): Promise<Outcome[]>;
  /** The most recent scores of a model (newest first), at most `limit`. */
  recentScores(modelId: string, limit: number): Promise<Score[]>;
  insertTriggerCheck(c: NewTriggerCheck): Promise<TriggerCheck>;
  /** Newest first; optionally of one kind and one decision. */
  listTriggerChecks(modelId: string, options: { kind?: TriggerCheck['kind']; decision?: TriggerCheck['decision']; limit: number }): Promise<TriggerCheck[]>;

  // ---- rollout ----

  /** Scores of a model made at or after `since` that have a label, with their arm (served and shadow). */
  rolloutOutcomes(modelId: string, since: Date): Promise<RolloutOutcome[]>;
  /** Scoring attempts per version at or after `since` (served and shadow). */
  servingStats(modelId: string, since: Date): Promise<ServingStats[]>;
  /** Start a rollout; throws when one of the same kind is running. */
  createRollout(r: NewRollout): Promise<Rollout>;
  /** The running challenger (canary or shadow) and the running watch of a model. */
  runningRollouts(modelId: string): Promise<{ challenger: Rollout | null; watch: Rollout | null }>;
  /** Every running rollout, of every model. */
  listRunningRollouts(): Promise<Rollout[]>;
  /** Close a running rollout; false when it was no longer running (someone else decided it). */
  finishRollout(id: number, patch: { status: Exclude<Rollout['status'], 'running'>; reason: string; numbers: Readonly<Record<string, unknown>> | null; at: Date }): Promise<boolean>;
  /** Newest first. */
  listRollouts(modelId: string, limit: number): Promise<Rollout[]>;
  appendTimeline(e: NewTimelineEntry): Promise<TimelineEntry>;
  /** Newest first. */
  listTimeline(modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>>;
  /** Record a promotion or rollback before its transaction starts (committed on its own). */
  beginIntent(i: Omit<RolloutIntent, 'id'>): Promise<number>;
  /** Remove an intent (inside the change's transaction, so it goes exactly when the change commits). */
  clearIntent(id: number): Promise<void>;
  /** Intents not yet cleared: those of a process that stopped mid-change, and those in progress. */
  listIntents(): Promise<RolloutIntent[]>;
  /** Mark a version's artifact deleted by retention. */
  markArtifactDeleted(modelId: string, version: string, at: Date): Promise<void>;
  /** Versions (of any model) whose artifact or reference is this sha256 and not deleted. */
  countArtifactUses(sha256: string): Promise<number>;
  /** Delete an artifact's bytes; returns how many bytes were freed (0 when absent). */
  deleteArtifact(sha256: string): Promise<number>;

  /** Store bytes content-addressed; returns their sha256 (hex). Idempotent. */
  putArtifact(bytes: Uint8Array, at: Date): Promise<string>;
  /** Read bytes back, verifying the checksum; throws ARTIFACT_CORRUPT on mismatch, null when absent. */
  getArtifact(sha256: string): Promise<Uint8Array | null>;
}
