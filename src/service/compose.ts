import type { Logger } from 'pino';
import { AuditWriter } from '../auth/audit.js';
import type { Clock } from '../domain/clock.js';
import { DEFAULT_RETENTION, type DataRetentionPolicy } from '../domain/data-retention.js';
import { systemClock } from '../domain/clock.js';
import { DeliveryWorker, type DeliveryOptions } from '../events/delivery/delivery-worker.js';
import type { Sink } from '../events/delivery/sink.js';
import { EventHub } from '../events/hub.js';
import { Monitor, type RequestRetrain } from '../monitor/monitor.js';
import type { ComputeExecutor } from '../retrain/executor.js';
import { WorkerExecutor } from '../retrain/executor.js';
import { LEASE_MS, claimOwnerId, type OwnerClaim } from '../retrain/job-owner.js';
import type { PipelineDeps } from '../retrain/pipeline.js';
import type { JobQueue } from '../retrain/runner.js';
import { InProcessQueue } from '../retrain/runner.js';
import { LabelWindowCache } from '../retrain/label-window.js';
import { Scheduler } from '../retrain/scheduler.js';
import { RolloutManager } from '../rollout/rollout-manager.js';
import { Scorer } from '../serve/scorer.js';
import type { Store } from '../store/store.js';
import type { CommandTable } from '../train/command/command-spec.js';
import { PredictorCache } from '../train/predictor-cache.js';
import { runChecks } from './monitoring.js';
import { Pruner } from './pruner.js';
import { ServingView } from './serving-view.js';
import type { RefitParts } from './parts.js';
import { Refit } from './refit.js';

/** What a Refit instance is built from. */
export interface RefitDeps {
  readonly store: Store;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  /** Default: none. */
  readonly logger?: Logger;
  /** IANA zone of schedules that name none. Default: this machine's zone. */
  readonly defaultTimezone?: string;
  /** Where training runs. Default: long-lived worker threads (closed by `close()`). */
  readonly executor?: ComputeExecutor;
  /** Most threads one fit may use, or a function asked at each fit's start (see src/retrain/training-threads.ts). Default: no cap (the trainer's own `threads`). */
  readonly trainingThreads?: number | (() => number) | null;
  /** Jitter source for retry delays, in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Default: an in-process queue running one training at a time. */
  readonly queue?: (deps: PipelineDeps) => JobQueue;
  /** Uniform [0, 1) source for canary routing of rows without an entity key. Default Math.random. */
  readonly routingRandom?: () => number;
  /** Monotonic milliseconds for scoring latency and the duration of prunes. Default performance.now. */
  readonly stopwatch?: () => number;
  /** A job whose owner has not renewed its heartbeat for this long is failed by recovery. Default LEASE_MS (60 s). */
  readonly leaseMs?: number;
  /** The owner id of this instance's jobs and changes, released by `close()`. Default: a new `claimOwnerId()`. */
  readonly owner?: OwnerClaim;
  /** False pauses scheduled and trigger-started retrains (manual ones still run). Default true. */
  readonly automaticRetraining?: boolean;
  /** How long the scorer keeps a model's serving view (active version, challenger) between changes, in ms. Default 0: read on every score. */
  readonly servingCacheMs?: number;
  /** Commands declared in the server's config file (the only programs trainers run). Default none. */
  readonly commands?: CommandTable;
  /** Directory for command-trainer job directories. Default: `<tmpdir>/refit-jobs`. */
  readonly workRoot?: string;
  /** Plug-in trainer modules (absolute paths), also loaded by each training worker. Default none. */
  readonly plugins?: readonly string[];
  /** Event delivery: the sinks from the settings (webhooks come from the store) and the retry options. Default: webhooks only, default options. */
  readonly delivery?: { readonly sinks?: readonly Sink[]; readonly options?: DeliveryOptions };
  /** How long scores and labels are kept and how pruning runs. Default DEFAULT_RETENTION: scores 30 days, labels forever, every 10 minutes, 2,000 rows per statement. */
  readonly retention?: Partial<DataRetentionPolicy>;
}

/**
 * The composition root of the core: builds the hub, scorer, queue, rollout manager, monitor and
 * scheduler from `deps` and returns the facade with them. `parts` is for the server's lifecycle
 * (scheduler start, catch-up tick) and for tests; everything else goes through `refit`.
 */
export function createRefit(deps: RefitDeps): { refit: Refit; parts: RefitParts } {
  const store = deps.store;
  const owner = deps.owner ?? claimOwnerId();
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger;
  const hub = new EventHub((err, event) => logger?.error({ err, event }, 'event listener failed'));
  // One cache of loaded predictors, shared by scoring, monitoring and rollout.
  const predictors = new PredictorCache(store);
  const scorer = new Scorer(store, clock, predictors, {
    ...(deps.routingRandom ? { random: deps.routingRandom } : {}),
    ...(deps.stopwatch ? { stopwatch: deps.stopwatch } : {}),
  });
  const executor = deps.executor ?? new WorkerExecutor();
  const qdeps: PipelineDeps = {
    store,
    clock,
    hub,
    logger,
    executor,
    // Each model's training window, kept between its retrains (bounded; checked against the store before use).
    windows: new LabelWindowCache(),
    trainingThreads: deps.trainingThreads ?? null,
    commands: deps.commands ?? {},
    ...(deps.workRoot ? { workRoot: deps.workRoot } : {}),
    plugins: deps.plugins ?? [],
  };
  const queue = deps.queue ? deps.queue(qdeps) : new InProcessQueue(qdeps, { logger, owner: owner.id, ...(deps.random ? { random: deps.random } : {}) });
  const rollouts = new RolloutManager({ store, clock, hub, predictors, owner: owner.id, ...(logger ? { logger } : {}) });
  // The monitor starts retrains through a callback: it sits below the job queue and must not import it.
  const requestRetrain: RequestRetrain = async (modelId, options) => ({ jobId: (await queue.enqueue(modelId, options)).job.id });
  const automaticRetraining = deps.automaticRetraining ?? true;
  const monitor = new Monitor({ store, clock, requestRetrain, predictors, hub, automaticRetraining, ...(logger ? { logger } : {}) });
  // The check schedule runs the same checks as `Refit.runChecks`, on the parts built here.
  const scheduler = new Scheduler({
    store,
    clock,
    queue,
    onCheck: (modelId) => runChecks(parts, modelId),
    automaticRetraining,
    defaultTimezone: deps.defaultTimezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...(logger ? { logger } : {}),
  });
  const audit = new AuditWriter(store, clock, (err, input) => logger?.error({ err, action: input.action, modelId: input.modelId }, 'audit write failed'));
  // Retrains nobody asked for by hand are audited here, with who started them; a manual one is
  // audited by the surface that took the request (HTTP with the key's name, the direct CLI).
  hub.on('retrain:queued', ({ job }) => {
    if (job.trigger === 'manual' || job.trigger === 'import') return;
    const actor = job.trigger === 'schedule' ? 'schedule' : job.trigger === 'demo' ? 'demo' : 'trigger';
    audit.write({ actor, action: 'retrain.start', modelId: job.modelId, detail: { jobId: job.id, trigger: job.trigger } });
  });
  const serving = new ServingView(store, clock, deps.servingCacheMs ?? 0);
  // Any change this process commits (every one appends an event) may change what serves.
  hub.on('outbox:appended', () => serving.invalidate());
  hub.on('model:activated', ({ modelId }) => serving.invalidate(modelId));
  hub.on('model:challenger', ({ modelId }) => serving.invalidate(modelId));
  // Its own async loop per sink: a slow or down sink never holds up scoring or retraining.
  const delivery = new DeliveryWorker({
    store,
    clock,
    hub,
    ...(logger ? { logger } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.delivery?.sinks ? { sinks: deps.delivery.sinks } : {}),
    ...(deps.delivery?.options ? { options: deps.delivery.options } : {}),
  });
  const pruner = new Pruner({
    store,
    clock,
    hub,
    audit,
    policy: Object.freeze({ ...DEFAULT_RETENTION, ...Object.fromEntries(Object.entries(deps.retention ?? {}).filter(([, v]) => v !== undefined)) }),
    ...(logger ? { logger } : {}),
    ...(deps.stopwatch ? { stopwatch: deps.stopwatch } : {}),
  });
  const parts: RefitParts = { store, clock, logger, hub, predictors, serving, scorer, queue, rollouts, monitor, scheduler, delivery, owner, leaseMs: deps.leaseMs ?? LEASE_MS, commands: deps.commands ?? {}, audit, pruner, executor };
  // Warm the scorer as soon as a promotion or a challenger commits, so that the first score
  // routed to the version does not pay for loading its artifact.
  const preload = ({ modelId, version }: { modelId: string; version: string }) => {
    scorer.preload(modelId, version).catch((err: unknown) => logger?.warn({ err, modelId, version }, 'preload failed'));
  };
  hub.on('model:activated', preload);
  hub.on('model:challenger', preload);
  return { refit: new Refit(parts), parts };
}
