import type { Logger } from 'pino';
import { parseModelSpec, zodProblems } from './config/model-spec.js';
import type { RetrainConfigWire } from './contract/index.js';
import { toRetrainPolicyWire } from './contract/mappers.js';
import { validateFeatureRow, validateLabel } from './data/validate-row.js';
import type { Clock } from './domain/clock.js';
import { systemClock } from './domain/clock.js';
import type { Activation, FeatureRow, Rollout, RolloutPolicy, TimelineEntry, Model, ModelSpec, ModelVersion, RefitEvent, RetrainJob, ScheduleConfig, TriggerCheck } from './domain/entities.js';
import { timeOrderedId } from './domain/ids.js';
import { nextRunAfter, parseSchedule } from './retrain/schedule.js';
import { Scheduler, defaultScheduleId, specScheduleConfig } from './retrain/scheduler.js';
import type { DriftResult } from './monitor/drift.js';
import type { PerformanceReport, RetrainNeeded } from './monitor/monitor.js';
import { Monitor } from './monitor/monitor.js';
import type { FieldProblem } from './errors.js';
import { RefitError } from './errors.js';
import { EventHub } from './events/hub.js';
import type { ComputeExecutor } from './retrain/executor.js';
import { WorkerExecutor } from './retrain/executor.js';
import type { PipelineDeps } from './retrain/pipeline.js';
import type { EnqueueOptions, JobQueue } from './retrain/runner.js';
import { InProcessQueue } from './retrain/runner.js';
import { LEASE_MS, claimOwnerId, isOrphaned, type OwnerClaim } from './retrain/job-owner.js';
import type { RolloutEvaluation } from './rollout/rollout-manager.js';
import { RolloutManager } from './rollout/rollout-manager.js';
import type { RetentionReport } from './rollout/retention.js';
import type { ScoreItem } from './serve/scorer.js';
import { Scorer } from './serve/scorer.js';
import type { NewLabel, Page, Store } from './store/store.js';
import { z } from 'zod';

/** What a Refit instance is built from. */
export interface RefitDeps {
  readonly store: Store;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** IANA zone of schedules that name none. Default: this machine's zone. */
  readonly defaultTimezone?: string;
  /** Where training runs. Default: a worker thread per job. */
  readonly executor?: ComputeExecutor;
  /** Jitter source for retry delays, in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Default: an in-process queue running one training at a time. */
  readonly queue?: (deps: PipelineDeps) => JobQueue;
  /** Uniform [0, 1) source for canary routing of rows without an entity key. Default Math.random. */
  readonly routingRandom?: () => number;
  /** Monotonic milliseconds for scoring latency. Default performance.now. */
  readonly stopwatch?: () => number;
  /** A job whose owner has not renewed its heartbeat for this long is failed by recovery. Default LEASE_MS (60 s). */
  readonly leaseMs?: number;
  /** The owner id of this instance's jobs and changes, released by `close()`. Default: a new `claimOwnerId()`. */
  readonly owner?: OwnerClaim;
}

/** The retrain status of a model. */
export interface RetrainStatus {
  readonly modelId: string;
  readonly status: 'idle' | RetrainJob['status'];
  readonly stage: string | null;
  readonly progress: number | null;
  readonly activeVersion: string | null;
  /** The pending or running job, if any. */
  readonly currentJob: RetrainJob | null;
  /** The most recent job that ended. */
  readonly lastJob: RetrainJob | null;
  readonly newLabels: number;
  readonly minNewLabels: number;
  /** The next run of the model's own schedule (ISO-8601), null when disabled. */
  readonly nextRunAt: string | null;
}

/** A schedule as the API lists it. */
export interface ScheduleView {
  readonly id: string;
  readonly modelId: string;
  /** `retrain` starts retrains; `check` runs the monitor's trigger checks. */
  readonly kind: 'retrain' | 'check';
  /** True for the schedules in the model's spec (changed through its retrain config). */
  readonly default: boolean;
  readonly config: ScheduleConfig;
  readonly description: string;
  readonly effectiveTimezone: string;
  readonly lastRunAt: string | null;
  readonly lastJobId: string | null;
  readonly lastJobStatus: RetrainJob['status'] | null;
  readonly nextRunAt: string | null;
}

/** Largest number of items in one labels or score request. */
export const MAX_BATCH_ITEMS = 10_000;

/** A labels batch as received. */
const labelItemSchema = z
  .object({
    features: z.unknown().optional(),
    scoreId: z.string().min(1).max(64).optional(),
    label: z.unknown(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** The per-model retrain configuration accepted by `PUT …/retrain/config` (every field optional). */
export const retrainConfigInputSchema = z
  .object({
    // Checked by parseSchedule (through parseModelSpec), which names the exact problem.
    schedule: z.unknown().optional(),
    timezone: z.unknown().optional(),
    triggers: z.record(z.string(), z.unknown()).optional(),
    enabled: z.unknown().optional(),
    catchUp: z.unknown().optional(),
    minNewLabels: z.number().int().min(0).optional(),
    window: z.union([z.literal('all'), z.object({ days: z.number().positive().max(36_500) }).strict(), z.object({ labels: z.number().int().positive() }).strict()]).optional(),
    autoPromote: z.boolean().optional(),
    gates: z.object({ minimums: z.record(z.string(), z.number().finite()).optional(), maxDegradation: z.number().min(0).max(1).optional() }).strict().optional(),
    seed: z.number().int().optional(),
    timeoutMinutes: z.number().positive().max(24 * 60).optional(),
    retry: z
      .object({ retries: z.number().int().min(0).max(10).optional(), initialDelaySeconds: z.number().min(0).max(86_400).optional(), maxDelaySeconds: z.number().min(0).max(86_400).optional() })
      .strict()
      .optional(),
    trainer: z.union([z.string().min(1), z.object({ type: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() }).strict()]).optional(),
    // Checked whole by parseModelSpec, which names every bad field.
    rollout: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** Longest entity key accepted on a score item. */
export const MAX_ENTITY_KEY = 256;

/**
 * The library API: everything the HTTP API and the CLI do, on typed values. Validation lives
 * here so every entry point refuses the same input with the same named problems.
 */
export class Refit {
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: EventHub;
  readonly scorer: Scorer;
  readonly queue: JobQueue;
  readonly scheduler: Scheduler;
  readonly monitor: Monitor;
  readonly rollouts: RolloutManager;
  readonly logger: Logger | undefined;
  /** This instance's job owner id (`<host>/<pid>/<instance>`), written on the jobs it runs. */
  readonly ownerId: string;
  private readonly releaseOwner: () => void;
  private readonly leaseMs: number;
  private cancelSweep: (() => void) | null = null;

  constructor(deps: RefitDeps) {
    this.store = deps.store;
    const owner = deps.owner ?? claimOwnerId();
    this.ownerId = owner.id;
    this.releaseOwner = owner.release;
    this.leaseMs = deps.leaseMs ?? LEASE_MS;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
    this.hub = new EventHub((err, event) => this.logger?.error({ err, event }, 'event listener failed'));
    this.scorer = new Scorer(this.store, this.clock, {
      ...(deps.routingRandom ? { random: deps.routingRandom } : {}),
      ...(deps.stopwatch ? { stopwatch: deps.stopwatch } : {}),
    });
    const qdeps: PipelineDeps = { store: this.store, clock: this.clock, hub: this.hub, scorer: this.scorer, logger: this.logger, executor: deps.executor ?? new WorkerExecutor() };
    this.queue = deps.queue ? deps.queue(qdeps) : new InProcessQueue(qdeps, { logger: this.logger, owner: this.ownerId, ...(deps.random ? { random: deps.random } : {}) });
    this.rollouts = new RolloutManager({ store: this.store, clock: this.clock, hub: this.hub, scorer: this.scorer, owner: this.ownerId, ...(this.logger ? { logger: this.logger } : {}) });
    this.monitor = new Monitor({ store: this.store, clock: this.clock, queue: this.queue, scorer: this.scorer, hub: this.hub, ...(this.logger ? { logger: this.logger } : {}) });
    this.scheduler = new Scheduler({
      store: this.store,
      clock: this.clock,
      queue: this.queue,
      onCheck: (modelId) => this.runChecks(modelId),
      defaultTimezone: deps.defaultTimezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      ...(this.logger ? { logger: this.logger } : {}),
    });
    // Warm the scorer as soon as a promotion or a challenger commits, so that the first score
    // routed to the version does not pay for loading its artifact.
    const preload = ({ modelId, version }: { modelId: string; version: string }) => {
      this.scorer.preload(modelId, version).catch((err: unknown) => this.logger?.warn({ err, modelId, version }, 'preload failed'));
    };
    this.hub.on('model:activated', preload);
    this.hub.on('model:challenger', preload);
  }

  /**
   * Housekeeping at start-up, and then every minute (`startRecovery`): jobs whose owner is gone
   * (its process ended, or its heartbeat is older than the lease) are marked failed (reason:
   * interrupted), and an interrupted scheduled retrain is started again, once. Jobs of a live
   * process, this one or another on the same store, are never touched. Returns the interrupted
   * jobs and the re-runs.
   */
  async recover(): Promise<{ interrupted: RetrainJob[]; reruns: RetrainJob[]; interruptedChanges: TimelineEntry[] }> {
    // Promotions and rollbacks a crash cut short: recorded on the timeline (they never committed).
    const now = this.clock.now();
    const interruptedChanges = await this.rollouts.recover((i) => isOrphaned(i, now, this.leaseMs));
    const jobs = await this.store.failOrphanedJobs((j) => isOrphaned(j, now, this.leaseMs), now, 'interrupted: the process running the job stopped while it was pending or running');
    for (const j of jobs) {
      await this.store.appendEvent({
        eventType: 'model.retrain.failed',
        runId: j.id,
        modelId: j.modelId,
        occurredAt: this.clock.now(),
        payload: { modelId: j.modelId, previousVersion: null, newVersion: null, metrics: null, error: j.error },
      });
      this.hub.emit('retrain:finished', { job: j });
    }
    const reruns: RetrainJob[] = [];
    for (const modelId of new Set(jobs.filter((j) => j.trigger === 'schedule').map((j) => j.modelId))) {
      const { job } = await this.queue.enqueue(modelId, { trigger: 'schedule', join: true });
      reruns.push(job);
    }
    if (jobs.length > 0) this.hub.emit('outbox:appended', {});
    return { interrupted: jobs, reruns, interruptedChanges };
  }

  /** Run `recover()` every `everyMs` (default 60 s) until `close()`, for owners that go away while this process runs. */
  startRecovery(everyMs = 60_000): void {
    const arm = () => {
      this.cancelSweep = this.clock.setTimeout(() => {
        this.recover()
          .then(({ interrupted }) => {
            if (interrupted.length > 0) this.logger?.warn({ jobs: interrupted.map((j) => j.id) }, `${interrupted.length} retrain job(s) whose process is gone marked failed`);
          })
          .catch((err: unknown) => this.logger?.error({ err }, 'recovery of orphaned jobs failed'))
          .finally(() => {
            if (this.cancelSweep) arm();
          });
      }, everyMs);
    };
    this.cancelSweep?.();
    arm();
  }

  /** Stop the scheduler and the queue, and close the store. */
  async close(): Promise<void> {
    this.cancelSweep?.();
    this.cancelSweep = null;
    this.scheduler.stop();
    await this.queue.close();
    await this.store.close();
    this.releaseOwner();
  }

  // ---- models ----

  /** Create a model from a spec in input form; refused whole with every problem named. */
  async createModel(input: unknown): Promise<Model> {
    const spec = parseModelSpec(input);
    const model = await this.store.transaction(async (tx) => {
      const m = await tx.createModel(spec, this.clock.now());
      await tx.appendEvent({ eventType: 'model.created', runId: null, modelId: spec.id, occurredAt: this.clock.now(), payload: { modelId: spec.id, previousVersion: null, newVersion: null, metrics: null } });
      return m;
    });
    this.hub.emit('outbox:appended', {});
    // Its schedules exist from now: wake the scheduler for them instead of at its next routine look.
    await this.scheduler.refresh();
    return model;
  }

  /** Create the model, or update its spec when it exists (config files at start-up). */
  async upsertModel(spec: ModelSpec): Promise<'created' | 'updated' | 'unchanged'> {
    const existing = await this.store.getModel(spec.id);
    if (!existing) {
      await this.store.createModel(spec, this.clock.now());
      await this.scheduler.refresh();
      return 'created';
    }
    if (JSON.stringify(existing.spec) === JSON.stringify(spec)) return 'unchanged';
    if (existing.spec.task !== spec.task) {
      throw new RefitError('VALIDATION_FAILED', `Model '${spec.id}' exists with task '${existing.spec.task}'; a spec cannot change it to '${spec.task}'.`, {
        errors: [{ path: '/task', message: `cannot change from '${existing.spec.task}'` }],
      });
    }
    await this.store.updateModelSpec(spec.id, spec, this.clock.now());
    await this.scheduler.refresh();
    return 'updated';
  }

  async listModels(): Promise<Model[]> {
    return this.store.listModels();
  }

  /** A model, or MODEL_NOT_FOUND. */
  async getModel(id: string): Promise<Model> {
    const m = await this.store.getModel(id);
    if (!m) throw new RefitError('MODEL_NOT_FOUND', `Model '${id}' does not exist.`);
    return m;
  }

  // ---- labels ----

  /**
   * Store a batch of labels. Each item carries its features or the id of an earlier score (whose
   * logged features are used). Any bad item refuses the whole batch, naming every problem.
   */
  async addLabels(modelId: string, items: unknown): Promise<{ accepted: number; ids: number[] }> {
    const model = await this.getModel(modelId);
    const spec = model.spec;
    if (!Array.isArray(items)) throw new RefitError('VALIDATION_FAILED', 'The request is invalid.', { errors: [{ path: '/items', message: 'must be an array' }] });
    if (items.length === 0) throw new RefitError('VALIDATION_FAILED', 'The request is invalid.', { errors: [{ path: '/items', message: 'must hold at least one item' }] });
    if (items.length > MAX_BATCH_ITEMS) {
      throw new RefitError('VALIDATION_FAILED', 'The request is invalid.', { errors: [{ path: '/items', message: `at most ${MAX_BATCH_ITEMS} items per request` }] });
    }
    const problems: FieldProblem[] = [];
    const parsed = items.map((raw, i) => {
      const r = labelItemSchema.safeParse(raw);
      if (!r.success) {
        problems.push(...zodProblems(r.error, `/items/${i}`));
        return null;
      }
      return r.data;
    });
    const scoreIds = parsed.flatMap((p) => (p?.scoreId !== undefined && p.features === undefined ? [p.scoreId] : []));
    const scores = scoreIds.length > 0 ? await this.store.getScores(modelId, scoreIds) : new Map();
    const now = this.clock.now();
    const labels: NewLabel[] = [];
    parsed.forEach((p, i) => {
      if (!p) return;
      const path = `/items/${i}`;
      let features: FeatureRow | null = null;
      if (p.features !== undefined) {
        const v = validateFeatureRow(spec.features, p.features, `${path}/features`);
        problems.push(...v.problems);
        features = v.row;
      } else if (p.scoreId !== undefined) {
        const s = scores.get(p.scoreId);
        if (!s) problems.push({ path: `${path}/scoreId`, message: `no score '${p.scoreId}' for model '${modelId}'` });
        else features = s.features;
      } else {
        problems.push({ path, message: 'needs features or a scoreId' });
      }
      const l = validateLabel(spec.task, spec.classes, p.label, `${path}/label`);
      if (l.problem) problems.push(l.problem);
      if (features && l.label !== null) {
        labels.push({ features, label: l.label, scoreId: p.scoreId ?? null, occurredAt: p.occurredAt ? new Date(p.occurredAt) : now });
      }
    });
    if (problems.length > 0) {
      throw new RefitError('VALIDATION_FAILED', `The batch was refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was stored.`, { errors: problems });
    }
    const ids = await this.store.insertLabels(modelId, labels, now);
    return { accepted: ids.length, ids };
  }

  // ---- scoring ----

  /**
   * Score a batch of feature rows with the active version, or during a canary with the
   * challenger for its share (sticky per `entityKey`); refused whole on any bad row.
   */
  async score(modelId: string, items: unknown): Promise<ScoreItem[]> {
    const model = await this.getModel(modelId);
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH_ITEMS) {
      throw new RefitError('VALIDATION_FAILED', 'The request is invalid.', {
        errors: [{ path: '/items', message: `must be an array of 1 to ${MAX_BATCH_ITEMS} items` }],
      });
    }
    const problems: FieldProblem[] = [];
    const rows: FeatureRow[] = [];
    const entityKeys: (string | null)[] = [];
    items.forEach((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        problems.push({ path: `/items/${i}`, message: 'must be an object with features' });
        return;
      }
      const { features, entityKey, ...rest } = item as Record<string, unknown>;
      for (const k of Object.keys(rest)) problems.push({ path: `/items/${i}/${k}`, message: `unknown field '${k}'` });
      if (entityKey !== undefined && entityKey !== null && (typeof entityKey !== 'string' || entityKey.length === 0 || entityKey.length > MAX_ENTITY_KEY)) {
        problems.push({ path: `/items/${i}/entityKey`, message: `must be a string of 1 to ${MAX_ENTITY_KEY} characters` });
      }
      entityKeys.push(typeof entityKey === 'string' ? entityKey : null);
      const v = validateFeatureRow(model.spec.features, features ?? null, `/items/${i}/features`);
      problems.push(...v.problems);
      rows.push(v.row);
    });
    if (problems.length > 0) throw new RefitError('VALIDATION_FAILED', `The request was refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}.`, { errors: problems });
    const { challenger } = await this.store.runningRollouts(modelId);
    const route = challenger?.mode ? { mode: challenger.mode, version: challenger.version, share: challenger.share } : null;
    return this.scorer.score(model.spec, model.activeVersion, rows, { entityKeys, challenger: route });
  }

  // ---- retraining ----

  /** Ask for a retrain; 409 RETRAIN_IN_PROGRESS (with the job id) unless `join`. */
  async retrain(modelId: string, options: EnqueueOptions = {}): Promise<{ job: RetrainJob; joined: boolean }> {
    await this.getModel(modelId);
    return this.queue.enqueue(modelId, options);
  }

  async status(modelId: string): Promise<RetrainStatus> {
    const model = await this.getModel(modelId);
    const current = await this.store.findActiveJob(modelId);
    const recent = await this.store.listJobs(modelId, { limit: 5, offset: 0 });
    const last = recent.items.find((j) => j.status !== 'pending' && j.status !== 'running') ?? null;
    const newLabels = await this.store.countLabelsAfter(modelId, await this.store.getTrainedThrough(modelId));
    return {
      modelId,
      status: current ? current.status : (last?.status ?? 'idle'),
      stage: current?.stage ?? null,
      progress: current?.progress ?? null,
      activeVersion: model.activeVersion,
      currentJob: current,
      lastJob: last,
      newLabels,
      minNewLabels: model.spec.retrain.minNewLabels,
      nextRunAt: nextRunAfter(this.scheduler.resolve(specScheduleConfig(model)), this.clock.now())?.toISOString() ?? null,
    };
  }

  async history(modelId: string, page: { limit: number; offset: number }): Promise<Page<RetrainJob>> {
    await this.getModel(modelId);
    return this.store.listJobs(modelId, page);
  }

  /** The retrain configuration of a model, in the form `PUT …/retrain/config` accepts. */
  async getRetrainConfig(modelId: string): Promise<RetrainConfigWire> {
    const model = await this.getModel(modelId);
    const schedule = this.scheduler.resolve(specScheduleConfig(model));
    const next = nextRunAfter(schedule, this.clock.now());
    return {
      ...retrainConfigOf(model.spec),
      scheduleDescription: schedule.description,
      effectiveTimezone: schedule.timezone,
      nextRunAt: next ? next.toISOString() : null,
    };
  }

  /** Change the retrain configuration; the whole new spec is validated before anything is saved. */
  async putRetrainConfig(modelId: string, input: unknown): Promise<RetrainConfigWire> {
    const { spec } = await this.getModel(modelId);
    const r = retrainConfigInputSchema.safeParse(input);
    if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The retrain configuration is invalid.', { errors: zodProblems(r.error) });
    const c = r.data;
    const current = retrainConfigOf(spec);
    let next: ModelSpec;
    try {
      next = parseModelSpec({
        id: spec.id,
        task: spec.task,
        features: spec.features,
        trainer: c.trainer ?? { type: spec.trainer.type, params: spec.trainer.params },
        ...(spec.scoreRange ? { scoreRange: spec.scoreRange } : {}),
        defaultScore: spec.defaultScore,
        ...(spec.classes ? { classes: spec.classes } : {}),
        description: spec.description,
        retrain: {
          schedule: c.schedule ?? spec.retrain.schedule,
          ...('timezone' in c ? (c.timezone === null ? {} : { timezone: c.timezone }) : spec.retrain.timezone ? { timezone: spec.retrain.timezone } : {}),
          enabled: c.enabled ?? spec.retrain.enabled,
          catchUp: c.catchUp ?? spec.retrain.catchUp,
          minNewLabels: c.minNewLabels ?? spec.retrain.minNewLabels,
          window: c.window ?? current.window,
          autoPromote: c.autoPromote ?? spec.retrain.autoPromote,
          gates: { ...spec.retrain.gates, ...(c.gates ?? {}) },
          seed: c.seed ?? spec.retrain.seed,
          timeoutMinutes: c.timeoutMinutes ?? spec.retrain.timeoutMinutes,
          retry: { ...spec.retrain.retry, ...(c.retry ?? {}) },
          triggers: mergeTriggers(spec.retrain.triggers, c.triggers),
          rollout: mergeTriggers(spec.retrain.rollout, c.rollout),
        },
      });
    } catch (err) {
      // Name fields as this request wrote them (`/schedule/at`), not as the spec nests them.
      if (err instanceof RefitError) {
        throw new RefitError('VALIDATION_FAILED', 'The retrain configuration is invalid.', {
          errors: err.errors.map((p) => ({ ...p, path: p.path.replace(/^\/retrain(?=\/)/, '') })),
        });
      }
      throw err;
    }
    await this.store.transaction(async (tx) => {
      await tx.updateModelSpec(modelId, next, this.clock.now());
      // A schedule switched back on starts afresh: occurrences from while it was off never run.
      if (next.retrain.enabled && !spec.retrain.enabled) await tx.claimOccurrence(defaultScheduleId(modelId), this.clock.now());
    });
    await this.scheduler.refresh();
    return this.getRetrainConfig(modelId);
  }


  async getJob(jobId: string): Promise<RetrainJob> {
    const j = await this.store.getJob(jobId);
    if (!j) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${jobId}' does not exist.`);
    return j;
  }

  async cancelJob(jobId: string): Promise<RetrainJob> {
    await this.getJob(jobId);
    return this.queue.cancel(jobId);
  }

  // ---- versions ----

  async listVersions(modelId: string): Promise<ModelVersion[]> {
    await this.getModel(modelId);
    return this.store.listVersions(modelId);
  }

  async listActivations(modelId: string): Promise<Activation[]> {
    await this.getModel(modelId);
    return this.store.listActivations(modelId);
  }

  /**
   * Make an earlier version active again: the given one, or by default the version that was
   * active before the current one. A running canary or shadow stops; the timeline records it.
   */
  async rollback(modelId: string, version?: string, actor = 'api', reason?: string): Promise<Activation> {
    return this.rollouts.manualRollback(modelId, version, { actor, ...(reason !== undefined ? { reason } : {}) });
  }

  /** Promote a retained version now, past gates and canaries; audited with the reason given. */
  async promote(modelId: string, input: unknown, actor = 'api'): Promise<Activation> {
    const r = promoteInputSchema.safeParse(input);
    if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The promotion request is invalid.', { errors: zodProblems(r.error) });
    return this.rollouts.forcePromote(modelId, r.data.version, { actor: r.data.actor ?? actor, reason: r.data.reason });
  }

  // ---- rollout ----

  /** The rollout policy and running canary, shadow or watch with their live numbers (nothing is changed). */
  async rolloutState(modelId: string): Promise<{ policy: RolloutPolicy; evaluation: RolloutEvaluation; recent: Rollout[] }> {
    const model = await this.getModel(modelId);
    return { policy: model.spec.retrain.rollout, evaluation: await this.rollouts.inspect(modelId), recent: await this.store.listRollouts(modelId, 10) };
  }

  /** Evaluate the model's rollouts now and act on the result, as the periodic checks do. */
  async evaluateRollout(modelId: string): Promise<RolloutEvaluation> {
    await this.getModel(modelId);
    return this.rollouts.evaluate(modelId);
  }

  /** Stop a running canary or shadow by hand. */
  async abortRollout(modelId: string, reason: string | undefined, actor = 'api'): Promise<Rollout> {
    return this.rollouts.abort(modelId, { actor, reason: reason ?? 'no reason given' });
  }

  /** A model's history of activations, canaries, shadows, rollbacks and cleanups, newest first. */
  async timeline(modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>> {
    return this.rollouts.timeline(modelId, page);
  }

  /** Delete the artifacts of versions beyond the retention limit now; reports what was freed. */
  async cleanupRetention(modelId: string, actor = 'api'): Promise<RetentionReport> {
    return this.rollouts.cleanup(modelId, actor);
  }

  // ---- monitoring ----

  /** The drift report of the model's active version over its most recent scores, computed now. */
  async drift(modelId: string): Promise<DriftResult> {
    await this.getModel(modelId);
    return this.monitor.drift(modelId);
  }

  /** Live performance per version: `windows` windows of `windowHours` hours ending now (the route's default: 7 of 24 h). */
  async performance(modelId: string, windowHours: number, windows: number): Promise<PerformanceReport> {
    return this.monitor.performance(await this.getModel(modelId), windowHours, windows);
  }

  /** Whether the model needs a retrain now, evaluated without starting one or storing the check. */
  async retrainNeeded(modelId: string): Promise<RetrainNeeded> {
    await this.getModel(modelId);
    return this.monitor.check(modelId, { fire: false });
  }

  /**
   * Run the periodic checks now, as the check schedule does: first the rollout evaluation
   * (canary or shadow decision, watch after a promotion), then the trigger checks, stored, with a
   * retrain started when one fires.
   */
  async runChecks(modelId: string): Promise<RetrainNeeded> {
    await this.getModel(modelId);
    try {
      await this.rollouts.evaluate(modelId);
    } catch (err) {
      // A failed rollout evaluation must not stop the trigger checks; it is tried again next time.
      this.logger?.error({ err, modelId }, 'rollout evaluation failed');
    }
    return this.monitor.check(modelId, { fire: true });
  }

  /** Stored checks, newest first. */
  async listChecks(modelId: string, limit: number): Promise<TriggerCheck[]> {
    await this.getModel(modelId);
    return this.store.listTriggerChecks(modelId, { limit });
  }

  // ---- schedules ----

  /** Every schedule (each model's own and the extra ones) with its last and next run. */
  async listSchedules(modelId?: string): Promise<ScheduleView[]> {
    if (modelId !== undefined) await this.getModel(modelId);
    const entries = await this.scheduler.entries(modelId);
    const states = await this.store.getScheduleStates(entries.map((e) => e.id));
    const views: ScheduleView[] = [];
    for (const e of entries) {
      const state = states.get(e.id);
      const lastJob = state?.lastJobId ? await this.store.getJob(state.lastJobId) : null;
      views.push({
        id: e.id,
        modelId: e.modelId,
        kind: e.kind,
        default: e.isDefault,
        config: e.config,
        description: e.schedule.description,
        effectiveTimezone: e.schedule.timezone,
        lastRunAt: state?.lastOccurrenceAt?.toISOString() ?? null,
        lastJobId: state?.lastJobId ?? null,
        lastJobStatus: lastJob?.status ?? null,
        nextRunAt: this.scheduler.nextRun(e)?.toISOString() ?? null,
      });
    }
    return views;
  }

  /** Add a schedule to a model: `{modelId, schedule, timezone?, enabled?, catchUp?}`. */
  async createSchedule(input: unknown): Promise<ScheduleView> {
    const raw = (input ?? {}) as Record<string, unknown>;
    const problems: FieldProblem[] = [];
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new RefitError('VALIDATION_FAILED', 'The schedule is invalid.', { errors: [{ path: '/', message: 'must be an object' }] });
    const { modelId, kind, ...rest } = raw;
    if (typeof modelId !== 'string' || modelId.length === 0) problems.push({ path: '/modelId', message: 'required: the id of the model to retrain' });
    if (kind !== undefined && kind !== 'retrain') problems.push({ path: '/kind', message: "the only kind is 'retrain'" });
    const parsed = parseSchedule(rest, 'UTC');
    if (!parsed.ok) problems.push(...parsed.problems);
    if (problems.length > 0 || !parsed.ok) throw new RefitError('VALIDATION_FAILED', 'The schedule is invalid.', { errors: problems });
    await this.getModel(modelId as string);
    const config: ScheduleConfig = {
      schedule: parsed.schedule.source,
      timezone: typeof rest.timezone === 'string' ? parsed.schedule.timezone : null,
      enabled: parsed.schedule.enabled,
      catchUp: parsed.schedule.catchUp,
    };
    const id = timeOrderedId();
    await this.store.createSchedule({ id, modelId: modelId as string, config, createdAt: this.clock.now() });
    await this.scheduler.refresh();
    const view = (await this.listSchedules(modelId as string)).find((v) => v.id === id);
    if (!view) throw new Error('the new schedule vanished');
    return view;
  }

  /** Remove an extra schedule; a model's own schedule is switched off through its retrain config instead. */
  async deleteSchedule(id: string): Promise<void> {
    if (id.endsWith('/default') || id.endsWith('/checks')) {
      throw new RefitError('SCHEDULE_IS_DEFAULT', `'${id}' is the model's own schedule; switch it off with PUT /api/v1/models/{id}/retrain/config {"enabled": false}.`);
    }
    if (!(await this.store.deleteSchedule(id))) throw new RefitError('SCHEDULE_NOT_FOUND', `Schedule '${id}' does not exist.`);
    await this.scheduler.refresh();
  }

  // ---- events ----

  async events(afterSeq: number, limit = 500): Promise<RefitEvent[]> {
    return this.store.listEvents(afterSeq, limit);
  }
}

/** `POST …/promote`: the version, why (required: it is audited), and optionally who. */
const promoteInputSchema = z
  .object({
    version: z.string().min(1).max(128),
    reason: z.string().trim().min(1, 'required: say why the version is promoted past its checks').max(2000),
    actor: z.string().min(1).max(200).optional(),
  })
  .strict();

/** Settings with a partial update applied one level deep (per trigger, or per rollout threshold group). */
function mergeTriggers(current: object, update: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!update) return { ...current };
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(update)) {
    const base = (current as unknown as Record<string, unknown>)[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && base !== null && typeof base === 'object' ? { ...base, ...v } : v;
  }
  return out;
}

function retrainConfigOf(spec: ModelSpec): Omit<RetrainConfigWire, 'scheduleDescription' | 'effectiveTimezone' | 'nextRunAt'> {
  return { ...toRetrainPolicyWire(spec.retrain), trainer: spec.trainer };
}
