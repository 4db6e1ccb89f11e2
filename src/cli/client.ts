import type {
  JobLogWire,
  ActivationWire,
  DriftWire,
  JobPageWire,
  JobWire,
  LabelsAcceptedWire,
  ModelWire,
  PerformanceWire,
  RetrainStartedWire,
  RetrainStatusWire,
  ScheduleWire,
  ScoreItemWire,
  TimelinePageWire,
  VersionListWire,
  WorkerListWire,
  DeliveryWire,
  WebhookCreatedWire,
  WebhookTestWire,
  WebhookWire,
  PruneResultWire,
  StorageReportWire,
} from '../contract/index.js';

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
 * directory in-process. Both implementations return the API's JSON shapes (the wire types of src/contract) and throw
 * `ClientError` for anything the user can act on.
 */
export interface Client {
  /** `http` against a server, `direct` on the store in this process. */
  readonly mode: 'http' | 'direct';
  /** What the client talks to, for messages: a URL or a database. */
  readonly target: string;
  listModels(): Promise<ModelWire[]>;
  getModel(modelId: string): Promise<ModelWire>;
  createModel(spec: unknown): Promise<ModelWire>;
  /** Store one batch of labels; refused whole (VALIDATION_FAILED with every problem) on any bad item. */
  addLabels(modelId: string, items: readonly unknown[]): Promise<Pick<LabelsAcceptedWire, 'accepted'>>;
  score(modelId: string, items: readonly unknown[]): Promise<ScoreItemWire[]>;
  status(modelId: string): Promise<RetrainStatusWire>;
  /** The worker processes running retrains (`in-process` with none when the server trains itself). */
  workers(): Promise<WorkerListWire>;
  history(modelId: string, page: { limit: number; offset: number }): Promise<Pick<JobPageWire, 'items' | 'total'>>;
  versions(modelId: string): Promise<VersionListWire>;
  /** Every retrain schedule (each model's own and the extra ones), or only `modelId`'s, with its last and next run. */
  listSchedules(modelId?: string): Promise<ScheduleWire[]>;
  /** Activate `version`, or by default the version active before the current one. */
  rollback(modelId: string, version?: string): Promise<ActivationWire>;
  /** Start a retrain, or join the one already pending or running (`joined`). */
  retrain(modelId: string, options: { force: boolean }): Promise<RetrainStartedWire>;
  getJob(jobId: string): Promise<JobWire>;
  /** The model's timeline (activations, canary and shadow starts and stops, promotions, rollbacks, cleanups), newest first. */
  timeline(modelId: string, page: { limit: number; offset: number }): Promise<Pick<TimelinePageWire, 'items' | 'total'>>;
  /** Activate `version` now, by hand, with the reason recorded on the timeline. */
  promote(modelId: string, version: string, reason: string): Promise<ActivationWire>;
  /** The drift report of the active version over the most recent scores, computed now. */
  drift(modelId: string): Promise<DriftWire>;
  /** Live metrics per version in `windows` windows of `windowHours`, ending now. */
  performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceWire>;
  cancelJob(jobId: string): Promise<JobWire>;
  /** A job's log: its command trainer's standard output and error. */
  jobLog(jobId: string): Promise<JobLogWire>;
  /** Wait for a job to end, reporting its stages and progress; resolves with the ended job. */
  followJob(jobId: string, onUpdate: (update: JobUpdate) => void, signal?: AbortSignal): Promise<JobWire>;
  /** Every webhook (without secrets). */
  listWebhooks(): Promise<WebhookWire[]>;
  /** Register a webhook `{url, events, description?}`; the secret is in this answer only. */
  createWebhook(input: unknown): Promise<WebhookCreatedWire>;
  /** Change a webhook's URL, events, description or enabled flag. */
  updateWebhook(id: string, input: unknown): Promise<WebhookWire>;
  deleteWebhook(id: string): Promise<void>;
  /** Send a signed test event now. */
  testWebhook(id: string): Promise<WebhookTestWire>;
  /** A webhook's deliveries with their attempts, newest first. */
  webhookDeliveries(id: string, options: { status?: 'pending' | 'delivered' | 'dead'; limit: number }): Promise<DeliveryWire[]>;
  /** Queue one delivery, or every dead letter of the webhook, again; returns how many. */
  redeliverWebhook(id: string, deliveryId?: number): Promise<number>;
  /** The database size, the scores and labels tables, what retention keeps of each model and why, and the last prune. */
  storage(): Promise<StorageReportWire>;
  /** Prune scores and labels past their retention age now (`dryRun`: count only). */
  prune(options: { dryRun: boolean; tables?: readonly ('scores' | 'labels')[] }): Promise<PruneResultWire>;
  close(): Promise<void>;
}
