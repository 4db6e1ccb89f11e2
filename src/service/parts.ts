import type { Logger } from 'pino';
import type { AuditWriter } from '../auth/audit.js';
import type { Clock } from '../domain/clock.js';
import type { DeliveryWorker } from '../events/delivery/delivery-worker.js';
import type { EventHub } from '../events/hub.js';
import type { Monitor } from '../monitor/monitor.js';
import type { OwnerClaim } from '../retrain/job-owner.js';
import type { ComputeExecutor } from '../retrain/executor.js';
import type { JobQueue } from '../retrain/runner.js';
import type { Scheduler } from '../retrain/scheduler.js';
import type { RolloutManager } from '../rollout/rollout-manager.js';
import type { Scorer } from '../serve/scorer.js';
import type { Store } from '../store/store.js';
import type { CommandTable } from '../train/command/command-spec.js';
import type { PredictorCache } from '../train/predictor-cache.js';
import type { Pruner } from './pruner.js';
import type { ServingView } from './serving-view.js';

/**
 * The collaborators `createRefit` wires, handed to the facade's resource modules, to the server
 * for its lifecycle (scheduler start, catch-up tick) and to tests. Routes and library users go
 * through the `Refit` facade instead.
 */
export interface RefitParts {
  /** The store every part reads and writes. */
  readonly store: Store;
  /** The only source of time (default: the wall clock). */
  readonly clock: Clock;
  /** Default: none. */
  readonly logger: Logger | undefined;
  /** In-process notifications (retrain progress, activations, outbox appends). */
  readonly hub: EventHub;
  /** Loaded predictors per model and version, shared by scoring, monitoring and rollout. */
  readonly predictors: PredictorCache;
  /** What the scorer knows of each model (active version, challenger); read per score unless given a TTL. */
  readonly serving: ServingView;
  /** Serves scores with the active version or a challenger. */
  readonly scorer: Scorer;
  /** Runs retrains (default: in process, one at a time). */
  readonly queue: JobQueue;
  /** Promotions, canaries, shadows, rollbacks and retention. */
  readonly rollouts: RolloutManager;
  /** Drift, live performance and retrain triggers. */
  readonly monitor: Monitor;
  /** Starts scheduled retrains and checks; started by the server, never by `createRefit`. */
  readonly scheduler: Scheduler;
  /** Delivers outbox events to the sinks (webhooks, Redis stream, Slack); started by the server, stopped by `close()`. */
  readonly delivery: DeliveryWorker;
  /** This instance's owner id, written on the jobs and changes it runs; released by `close()`. */
  readonly owner: OwnerClaim;
  /** A job whose owner has not renewed its heartbeat for this long is failed by recovery (ms). */
  readonly leaseMs: number;
  /** Writes audit rows in the background (scheduled and triggered retrains, HTTP changes). */
  readonly audit: AuditWriter;
  /** Commands declared in the server's config file, which command-trainer specs must name. */
  readonly commands: CommandTable;
  /** Deletes scores and labels past their retention age; on a timer once the server starts it, stopped by `close()`. */
  readonly pruner: Pruner;
  /** Where the queue's retrains train (its threads end with `close()`). */
  readonly executor: ComputeExecutor;
}
