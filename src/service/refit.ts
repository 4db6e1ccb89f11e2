import type { Delivery, DeliveryStatus, Webhook } from '../domain/delivery.js';
import type { SinkView } from '../events/delivery/delivery-worker.js';
import type { SinkOutcome } from '../events/delivery/sink.js';
import type { Activation, Model, ModelSpec, ModelVersion, RefitEvent, RetrainJob, Rollout, RolloutPolicy, TimelineEntry, TriggerCheck } from '../domain/entities.js';
import type { RetrainConfigWire } from '../contract/index.js';
import type { HubEventMap } from '../events/hub.js';
import type { DriftResult } from '../monitor/drift.js';
import type { PerformanceReport, RetrainNeeded } from '../monitor/monitor.js';
import type { EnqueueOptions } from '../retrain/runner.js';
import type { RetentionReport } from '../rollout/retention.js';
import type { RolloutEvaluation } from '../rollout/rollout-manager.js';
import type { ScoreItem } from '../serve/scorer.js';
import type { Page } from '../store/store.js';
import type { PruneResult, StorageReport } from '../domain/data-retention.js';
import type { AuditInput } from '../auth/audit.js';
import type { CreatedKey, KeyCheck } from '../auth/keys.js';
import type { ApiKey, AuditEntry } from '../domain/auth.js';
import type { AuditFilter } from '../store/store.js';
import * as access from './access.js';
import * as byom from './byom.js';
import * as feedback from './feedback.js';
import * as lifecycle from './lifecycle.js';
import type { RecoveryReport } from './lifecycle.js';
import * as models from './models.js';
import * as monitoring from './monitoring.js';
import type { ImportanceReport } from './monitoring.js';
import type { RefitParts } from './parts.js';
import * as retraining from './retraining.js';
import type { RetrainStatus } from './retraining.js';
import * as rollout from './rollout.js';
import * as schedules from './schedules.js';
import * as storage from './storage.js';
import * as webhooks from './webhooks.js';
import type { ScheduleView } from './schedules.js';

/**
 * The library API: everything the HTTP API and the CLI do, on typed values. Validation lives
 * behind it so every entry point refuses the same input with the same named problems. Build it
 * with `createRefit(deps)`; its collaborators stay private, and each method delegates to the
 * module of its resource.
 */
export class Refit {
  readonly #p: RefitParts;
  readonly #sweep: lifecycle.RecoverySweep;

  /** Use `createRefit(deps)`, which wires the parts. */
  constructor(parts: RefitParts) {
    this.#p = parts;
    this.#sweep = new lifecycle.RecoverySweep(parts);
  }

  /** This instance's job owner id (`<host>/<pid>/<instance>`), written on the jobs it runs. */
  get ownerId(): string {
    return this.#p.owner.id;
  }

  // ---- lifecycle ----

  /**
   * Housekeeping at start-up, and then every minute (`startRecovery`): jobs whose owner is gone
   * (its process ended, or its heartbeat is older than the lease) are marked failed (reason:
   * interrupted), and an interrupted scheduled retrain is started again, once. Jobs of a live
   * process, this one or another on the same store, are never touched. Returns the interrupted
   * jobs and the re-runs.
   */
  recover(): Promise<RecoveryReport> {
    return lifecycle.recover(this.#p);
  }

  /** Run `recover()` every `everyMs` (default 60 s) until `close()`, for owners that go away while this process runs. */
  startRecovery(everyMs = 60_000): void {
    this.#sweep.start(everyMs);
  }

  /** Stop the scheduler and the queue, and close the store. */
  close(): Promise<void> {
    return lifecycle.close(this.#p, this.#sweep);
  }

  /** Read the store once (throws when it is unreachable); returns its dialect. For health checks. */
  checkStore(): Promise<'sqlite' | 'postgres'> {
    return lifecycle.checkStore(this.#p);
  }

  /** Resolves once no retrain of this process is pending or running, and the audit rows under way are written. */
  async whenIdle(): Promise<void> {
    await this.#p.queue.whenIdle();
    await this.#p.audit.flush();
  }

  // ---- models ----

  /** Create a model from a spec in input form; refused whole with every problem named. */
  createModel(input: unknown): Promise<Model> {
    return models.createModel(this.#p, input);
  }

  /** Create the model, or update its spec when it exists (config files at start-up). */
  upsertModel(spec: ModelSpec): Promise<'created' | 'updated' | 'unchanged'> {
    return models.upsertModel(this.#p, spec);
  }

  /** Every model. */
  listModels(): Promise<Model[]> {
    return models.listModels(this.#p);
  }

  /** A model, or MODEL_NOT_FOUND. */
  getModel(id: string): Promise<Model> {
    return models.getModel(this.#p, id);
  }

  /** A model's versions, newest first. */
  listVersions(modelId: string): Promise<ModelVersion[]> {
    return models.listVersions(this.#p, modelId);
  }

  /** A model's activations (promotions and rollbacks), newest first. */
  listActivations(modelId: string): Promise<Activation[]> {
    return models.listActivations(this.#p, modelId);
  }

  // ---- labels and scoring ----

  /**
   * Store a batch of labels. Each item carries its features or the id of an earlier score (whose
   * logged features are used). Any bad item refuses the whole batch, naming every problem.
   */
  addLabels(modelId: string, items: unknown): Promise<{ accepted: number; ids: number[] }> {
    return feedback.addLabels(this.#p, modelId, items);
  }

  /**
   * Score a batch of feature rows with the active version, or during a canary with the
   * challenger for its share (sticky per `entityKey`); refused whole on any bad row.
   */
  score(modelId: string, items: unknown): Promise<ScoreItem[]> {
    return feedback.score(this.#p, modelId, items);
  }

  // ---- retraining ----

  /** Ask for a retrain; 409 RETRAIN_IN_PROGRESS (with the job id) unless `join`. */
  retrain(modelId: string, options: EnqueueOptions = {}): Promise<{ job: RetrainJob; joined: boolean }> {
    return retraining.retrain(this.#p, modelId, options);
  }

  /** Where a model's retraining stands: the current and last job, new labels, the next scheduled run. */
  status(modelId: string): Promise<RetrainStatus> {
    return retraining.status(this.#p, modelId);
  }

  /** A model's retrain jobs, newest first, paged. */
  history(modelId: string, page: { limit: number; offset: number }): Promise<Page<RetrainJob>> {
    return retraining.history(this.#p, modelId, page);
  }

  /** The retrain configuration of a model, in the form `PUT …/retrain/config` accepts. */
  getRetrainConfig(modelId: string): Promise<RetrainConfigWire> {
    return retraining.getRetrainConfig(this.#p, modelId);
  }

  /** Change the retrain configuration; the whole new spec is validated before anything is saved. */
  putRetrainConfig(modelId: string, input: unknown): Promise<RetrainConfigWire> {
    return retraining.putRetrainConfig(this.#p, modelId, input);
  }

  /** A retrain job, or JOB_NOT_FOUND. */
  getJob(jobId: string): Promise<RetrainJob> {
    return retraining.getJob(this.#p, jobId);
  }

  /** A job's log: the standard output and error of its command trainer ('' for Refit's own trainers). */
  jobLog(jobId: string): Promise<{ job: RetrainJob; log: string }> {
    return byom.jobLog(this.#p, jobId);
  }

  /** Import a model file (`xgboost-json` or `onnx`); a job evaluates it and rolls it out like a retrain. */
  importVersion(modelId: string, format: unknown, bytes: Uint8Array): Promise<RetrainJob> {
    return byom.importVersion(this.#p, modelId, format, bytes);
  }

  /** A version as an XGBoost JSON model file (gbdt and XGBoost versions). */
  exportVersion(modelId: string, version: string, format: unknown): Promise<Uint8Array> {
    return byom.exportVersion(this.#p, modelId, version, format);
  }

  /** Cancel a pending or running job. */
  cancelJob(jobId: string): Promise<RetrainJob> {
    return retraining.cancelJob(this.#p, jobId);
  }

  // ---- rollout ----

  /**
   * Make an earlier version active again: the given one, or by default the version that was
   * active before the current one. A running canary or shadow stops; the timeline records it.
   */
  rollback(modelId: string, version?: string, actor = 'api', reason?: string): Promise<Activation> {
    return rollout.rollback(this.#p, modelId, version, actor, reason);
  }

  /** Promote a retained version now, past gates and canaries; audited with the reason given. */
  promote(modelId: string, input: unknown, actor = 'api'): Promise<Activation> {
    return rollout.promote(this.#p, modelId, input, actor);
  }

  /** The rollout policy and running canary, shadow or watch with their live numbers (nothing is changed). */
  rolloutState(modelId: string): Promise<{ policy: RolloutPolicy; evaluation: RolloutEvaluation; recent: Rollout[] }> {
    return rollout.rolloutState(this.#p, modelId);
  }

  /** Evaluate the model's rollouts now and act on the result, as the periodic checks do. */
  evaluateRollout(modelId: string): Promise<RolloutEvaluation> {
    return rollout.evaluateRollout(this.#p, modelId);
  }

  /** Stop a running canary or shadow by hand. */
  abortRollout(modelId: string, reason: string | undefined, actor = 'api'): Promise<Rollout> {
    return rollout.abortRollout(this.#p, modelId, reason, actor);
  }

  /** A model's history of activations, canaries, shadows, rollbacks and cleanups, newest first. */
  timeline(modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>> {
    return rollout.timeline(this.#p, modelId, page);
  }

  /** Delete the artifacts of versions beyond the retention limit now; reports what was freed. */
  cleanupRetention(modelId: string, actor = 'api'): Promise<RetentionReport> {
    return rollout.cleanupRetention(this.#p, modelId, actor);
  }

  // ---- monitoring ----

  /** The drift report of the model's active version over its most recent scores, computed now. */
  drift(modelId: string): Promise<DriftResult> {
    return monitoring.drift(this.#p, modelId);
  }

  /** Live performance per version: `windows` windows of `windowHours` hours ending now (the route's default: 7 of 24 h). */
  performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceReport> {
    return monitoring.performance(this.#p, modelId, windowHours, windows);
  }

  /** Whether the model needs a retrain now, evaluated without starting one or storing the check. */
  retrainNeeded(modelId: string): Promise<RetrainNeeded> {
    return monitoring.retrainNeeded(this.#p, modelId);
  }

  /**
   * Run the periodic checks now, as the check schedule does: first the rollout evaluation
   * (canary or shadow decision, watch after a promotion), then the trigger checks, stored, with a
   * retrain started when one fires.
   */
  runChecks(modelId: string): Promise<RetrainNeeded> {
    return monitoring.runChecks(this.#p, modelId);
  }

  /** Stored checks, newest first. */
  listChecks(modelId: string, limit: number): Promise<TriggerCheck[]> {
    return monitoring.listChecks(this.#p, modelId, limit);
  }

  /** Feature importance of a version (gain and split count per feature; tree models only), from its stored artifact. */
  importance(modelId: string, version: string): Promise<ImportanceReport> {
    return monitoring.importance(this.#p, modelId, version);
  }

  // ---- schedules ----

  /** Every schedule (each model's own and the extra ones) with its last and next run. */
  listSchedules(modelId?: string): Promise<ScheduleView[]> {
    return schedules.listSchedules(this.#p, modelId);
  }

  /** Add a schedule to a model: `{modelId, schedule, timezone?, enabled?, catchUp?}`. */
  createSchedule(input: unknown): Promise<ScheduleView> {
    return schedules.createSchedule(this.#p, input);
  }

  /** Remove an extra schedule; a model's own schedule is switched off through its retrain config instead. */
  deleteSchedule(id: string): Promise<void> {
    return schedules.deleteSchedule(this.#p, id);
  }

  // ---- keys and audit ----

  /** Create an API key from `{name, scopes, expiresAt?}`: the key is in the result once and stored only as its sha256. */
  createKey(input: unknown): Promise<CreatedKey> {
    return access.createApiKey(this.#p, input);
  }

  /** Every API key (never a secret), oldest first. */
  listKeys(): Promise<ApiKey[]> {
    return access.listApiKeys(this.#p);
  }

  /** Revoke a key by id or name; KEY_NOT_FOUND when there is none. */
  revokeKey(idOrName: string): Promise<ApiKey> {
    return access.revokeApiKey(this.#p, idOrName);
  }

  /** Make a key expire at `at` (default: now). */
  expireKey(idOrName: string, at?: Date): Promise<ApiKey> {
    return access.expireApiKey(this.#p, idOrName, at);
  }

  /** Check a presented key (constant-time); says why it is refused. */
  verifyKey(presented: string): Promise<KeyCheck> {
    return access.verifyApiKey(this.#p, presented);
  }

  /** Append a change to the audit trail now (`actor`: a key's name, `cli-direct`, …). */
  audit(input: AuditInput): Promise<AuditEntry> {
    return access.audit(this.#p, input);
  }

  /** Append a change to the audit trail in the background (after an HTTP answer is sent); `whenIdle` waits for it. */
  auditLater(input: AuditInput): void {
    this.#p.audit.write(input);
  }

  /** The audit trail, newest first, filtered. */
  listAudit(filter: AuditFilter): Promise<AuditEntry[]> {
    return access.listAudit(this.#p, filter);
  }

  /** The current time, from the injected clock. */
  now(): Date {
    return this.#p.clock.now();
  }

  // ---- webhooks and event delivery ----

  /** Register a webhook `{url, events, description?, enabled?}`; its signing secret is returned this once. */
  createWebhook(input: unknown): Promise<{ webhook: Webhook; secret: string }> {
    return webhooks.createWebhook(this.#p, input);
  }

  /** Every webhook (without secrets). */
  listWebhooks(): Promise<Webhook[]> {
    return webhooks.listWebhooks(this.#p);
  }

  /** A webhook (without its secret), or WEBHOOK_NOT_FOUND. */
  getWebhook(id: string): Promise<Webhook> {
    return webhooks.getWebhook(this.#p, id);
  }

  /** Change a webhook's URL, events, description or enabled flag. */
  updateWebhook(id: string, input: unknown): Promise<Webhook> {
    return webhooks.updateWebhook(this.#p, id, input);
  }

  /** Remove a webhook with its deliveries. */
  deleteWebhook(id: string): Promise<void> {
    return webhooks.deleteWebhook(this.#p, id);
  }

  /** Send a signed test event to a webhook now and report the answer. */
  testWebhook(id: string): Promise<SinkOutcome & { eventId: string; durationMs: number }> {
    return webhooks.testWebhook(this.#p, id);
  }

  /** The sink id (`webhook:<id>`) of a webhook, or WEBHOOK_NOT_FOUND. */
  webhookSinkId(id: string): Promise<string> {
    return webhooks.webhookSinkId(this.#p, id);
  }

  /** Every event sink (Redis stream, Slack, webhooks) with its cursor and deliveries per state. */
  listSinks(): Promise<SinkView[]> {
    return webhooks.listSinks(this.#p);
  }

  /** A sink's deliveries, newest event first, with their attempts (default: 50, any state). */
  listDeliveries(sink: string, options: { status?: DeliveryStatus; limit?: number } = {}): Promise<Delivery[]> {
    return webhooks.listDeliveries(this.#p, sink, { ...(options.status ? { status: options.status } : {}), limit: options.limit ?? 50 });
  }

  /** Queue one delivery, or (without an id) every dead letter of the sink, again; returns how many. */
  redeliver(sink: string, deliveryId?: number): Promise<number> {
    return webhooks.redeliver(this.#p, sink, deliveryId);
  }

  /** Start delivering outbox events to the sinks (the server does; a library user may). */
  startDelivery(): void {
    this.#p.delivery.start();
  }

  // ---- storage ----

  /** The database's size, the scores and labels tables, what retention keeps of each model and why, and the last prune. */
  storage(): Promise<StorageReport> {
    return storage.storageReport(this.#p);
  }

  /**
   * Prune scores and labels past their retention age now: `{dryRun?, tables?}` (refused with every
   * bad field named). PRUNE_IN_PROGRESS when a prune runs already, here or in another process.
   * `requestedBy` is who asked, for the audit trail.
   */
  prune(input: unknown, requestedBy: string | null = null): Promise<PruneResult> {
    return storage.prune(this.#p, input, requestedBy);
  }

  /** Prune on a timer: first after `firstDelayMs` (default 60 s), then every interval of the retention policy (the server does; a library user may). Nothing runs when both retention ages are off. */
  startPruning(firstDelayMs?: number): void {
    this.#p.pruner.start(firstDelayMs);
  }

  // ---- events ----

  /** Outbox events after sequence number `afterSeq`, oldest first, at most `limit` (default 500). */
  async events(afterSeq: number, limit = 500): Promise<RefitEvent[]> {
    return this.#p.store.listEvents(afterSeq, limit);
  }

  /** Listen to an in-process notification (`retrain:progress`, `model:activated`, …); returns the unsubscribe function. */
  onEvent<K extends keyof HubEventMap>(event: K, listener: (payload: HubEventMap[K]) => void): () => void {
    return this.#p.hub.on(event, listener);
  }

  /** Be told whenever new events are committed to the outbox (read them with `events()`); returns the unsubscribe function. */
  subscribeOutbox(listener: () => void): () => void {
    return this.#p.hub.on('outbox:appended', () => listener());
  }
}
