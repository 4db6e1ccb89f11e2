import type { Activation, FeatureSpec, ModelVersion, RetrainJob, Task, TimelineEntry, TrainerSpec } from '../domain/entities.js';
import type { DriftResult } from '../monitor/drift.js';
import type { PerformanceReport } from '../monitor/monitor.js';
import type { RetrainStatus, ScheduleView } from '../service/index.js';
import type { ScoreItem } from '../serve/scorer.js';

/** A value as it travels as JSON: dates become ISO-8601 strings. */
export type Wire<T> = { readonly [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/** A model as the API shows it (the spec in input form plus its state). */
export interface ModelView {
  readonly id: string;
  readonly task: Task;
  readonly description: string;
  readonly features: readonly FeatureSpec[];
  readonly trainer: TrainerSpec;
  readonly scoreRange: readonly [number, number] | null;
  readonly defaultScore: number;
  readonly classes: readonly string[] | null;
  readonly retrain: {
    readonly minNewLabels: number;
    readonly window: 'all' | { readonly days: number } | { readonly labels: number };
    readonly autoPromote: boolean;
    readonly gates: { readonly minimums: Readonly<Record<string, number>>; readonly maxDegradation: number };
    readonly seed: number;
  };
  readonly activeVersion: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A retrain job as the API shows it. */
export type JobView = Wire<RetrainJob> & { readonly durationMs: number | null };

/** A model version as the API shows it. */
export type VersionView = Wire<ModelVersion>;

/** An activation (promotion or rollback) as the API shows it. */
export type ActivationView = Wire<Activation>;

/** A timeline entry as the API shows it. */
export type TimelineView = Wire<TimelineEntry>;

/** A retrain schedule as the API shows it (already in JSON form). */
export type { ScheduleView };

/** A model's retrain status as the API shows it. */
export type StatusView = Omit<RetrainStatus, 'currentJob' | 'lastJob'> & { readonly currentJob: JobView | null; readonly lastJob: JobView | null };

/** What a followed job reports while it runs. */
export interface JobUpdate {
  /** The stage running now, if known. */
  readonly stage: string | null;
  /** Training progress from 0 to 1, during the training stage. */
  readonly progress: number | null;
  /** Stages already finished, in order (may be empty when only live events are seen). */
  readonly stagesDone: readonly string[];
}

/** The end states of a retrain job. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/**
 * What every client command needs, whether it talks to a server over HTTP or opens the data
 * directory in-process. Both implementations return the API's JSON shapes and throw
 * `ClientError` for anything the user can act on.
 */
export interface Client {
  /** `http` against a server, `direct` on the store in this process. */
  readonly mode: 'http' | 'direct';
  /** What the client talks to, for messages: a URL or a database. */
  readonly target: string;
  listModels(): Promise<ModelView[]>;
  getModel(modelId: string): Promise<ModelView>;
  createModel(spec: unknown): Promise<ModelView>;
  /** Store one batch of labels; refused whole (VALIDATION_FAILED with every problem) on any bad item. */
  addLabels(modelId: string, items: readonly unknown[]): Promise<{ accepted: number }>;
  score(modelId: string, items: readonly unknown[]): Promise<ScoreItem[]>;
  status(modelId: string): Promise<StatusView>;
  history(modelId: string, page: { limit: number; offset: number }): Promise<{ items: JobView[]; total: number }>;
  versions(modelId: string): Promise<{ activeVersion: string | null; items: VersionView[] }>;
  /** Every retrain schedule (each model's own and the extra ones), or only `modelId`'s, with its last and next run. */
  listSchedules(modelId?: string): Promise<ScheduleView[]>;
  /** Activate `version`, or by default the version active before the current one. */
  rollback(modelId: string, version?: string): Promise<ActivationView>;
  /** Start a retrain, or join the one already pending or running (`joined`). */
  retrain(modelId: string, options: { force: boolean }): Promise<{ jobId: string; status: string; joined: boolean }>;
  getJob(jobId: string): Promise<JobView>;
  /** The model's timeline (activations, canary and shadow starts and stops, promotions, rollbacks, cleanups), newest first. */
  timeline(modelId: string, page: { limit: number; offset: number }): Promise<{ items: TimelineView[]; total: number }>;
  /** Activate `version` now, by hand, with the reason recorded on the timeline. */
  promote(modelId: string, version: string, reason: string): Promise<ActivationView>;
  /** The drift report of the active version over the most recent scores, computed now. */
  drift(modelId: string): Promise<DriftResult>;
  /** Live metrics per version in `windows` windows of `windowHours`, ending now. */
  performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceReport>;
  cancelJob(jobId: string): Promise<JobView>;
  /** Wait for a job to end, reporting its stages and progress; resolves with the ended job. */
  followJob(jobId: string, onUpdate: (update: JobUpdate) => void, signal?: AbortSignal): Promise<JobView>;
  close(): Promise<void>;
}
