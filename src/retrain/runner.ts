import type { ImportSource } from '../domain/import-source.js';
import type { Logger } from 'pino';
import type { JobTrigger, RetrainJob } from '../domain/entities.js';
import { timeOrderedId } from '../domain/ids.js';
import { RefitError } from '../errors.js';
import { appendEvent, commitWithEvents } from '../events/outbox.js';
import { CancelledError, runAttempt } from './attempt.js';
import { HEARTBEAT_MS } from './job-owner.js';
import type { PipelineDeps } from './pipeline.js';

/** How a retrain is asked for. */
export interface EnqueueOptions {
  /** What started it. Default manual. */
  readonly trigger?: JobTrigger;
  /** Train even with fewer new labels than the policy asks. Default false. */
  readonly force?: boolean;
  /** Usable labels below which the run is skipped, instead of the spec's `minSamples`. Default: the spec's. */
  readonly minSamples?: number | null;
  /** Return the model's pending or running job instead of refusing with 409. Default false. */
  readonly join?: boolean;
  /** Evaluate this imported model file instead of training. Default: none. */
  readonly importSource?: ImportSource;
}

/**
 * Decides when retrains run; the pipeline decides what they do. An in-process implementation
 * now; a distributed one (BullMQ on Redis) can replace it without touching the pipeline.
 */
export interface JobQueue {
  /** Create a pending job and schedule it; at most one pending or running job per model. */
  enqueue(modelId: string, options?: EnqueueOptions): Promise<{ job: RetrainJob; joined: boolean }>;
  /** Cancel a pending or running job. */
  cancel(jobId: string): Promise<RetrainJob>;
  /** Resolves when no job is pending or running in this process. */
  whenIdle(): Promise<void>;
  /** Stop taking jobs and abort running ones. */
  close(): Promise<void>;
}

/** Options of the in-process queue. */
export interface InProcessQueueOptions {
  /** Trainings that may run at once in this process. Default 1 (training is CPU-bound; two cores). */
  readonly concurrency?: number;
  readonly logger?: Logger;
  /** Source of jitter for retry delays, in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** The owner id written on this queue's jobs (see job-owner.ts), whose heartbeat it renews while it holds jobs. Default: none (jobs without an owner count as orphaned at the next recovery). */
  readonly owner?: string;
  /** How often the heartbeat is renewed. Default HEARTBEAT_MS (15 s). */
  readonly heartbeatMs?: number;
}

export { CancelledError, TimeoutError, isTransient, retryDelayMs } from './attempt.js';

/** Runs retrain jobs in this process, FIFO, single-flight per model (enforced by the store). */
export class InProcessQueue implements JobQueue {
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly retryTimers = new Map<string, () => void>();
  private readonly concurrency: number;
  private readonly random: () => number;
  private readonly owner: string | null;
  private readonly heartbeatMs: number;
  private cancelHeartbeat: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly deps: PipelineDeps,
    options: InProcessQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 1;
    this.random = options.random ?? Math.random;
    this.owner = options.owner ?? null;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  async enqueue(modelId: string, options: EnqueueOptions = {}): Promise<{ job: RetrainJob; joined: boolean }> {
    if (this.closed) throw new Error('The job queue is closed.');
    const { store, clock, hub } = this.deps;
    const created = await store.createJob({
      id: timeOrderedId(),
      modelId,
      trigger: options.trigger ?? 'manual',
      force: options.force ?? false,
      minSamples: options.minSamples ?? null,
      at: clock.now(),
      owner: this.owner,
      importSource: options.importSource ?? null,
    });
    if (!created.ok) {
      if (options.join && created.active) return { job: created.active, joined: true };
      throw new RefitError('RETRAIN_IN_PROGRESS', `Model '${modelId}' already has a retrain ${created.active?.status ?? 'pending'}.`, {
        extra: { jobId: created.active?.id ?? null },
      });
    }
    const job = created.job;
    hub.emit('retrain:queued', { job });
    this.waiting.push(job.id);
    this.armHeartbeat();
    setImmediate(() => this.pump());
    return { job, joined: false };
  }

  async cancel(jobId: string): Promise<RetrainJob> {
    const { store, clock, hub } = this.deps;
    const job = await store.getJob(jobId);
    if (!job) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${jobId}' does not exist.`);
    const controller = this.running.get(jobId);
    if (controller) {
      controller.abort(new CancelledError());
      return job;
    }
    const i = this.waiting.indexOf(jobId);
    if (i >= 0) this.waiting.splice(i, 1);
    this.retryTimers.get(jobId)?.();
    this.retryTimers.delete(jobId);
    if (job.status !== 'pending' && job.status !== 'running') {
      throw new RefitError('JOB_FINISHED', `Retrain job '${jobId}' has already finished (${job.status}); there is nothing to cancel.`, { extra: { jobStatus: job.status } });
    }
    const done = await commitWithEvents(store, hub, async (tx) => {
      const updated = await tx.updateJob(jobId, { status: 'cancelled', stage: null, error: 'cancelled before it ran', finishedAt: clock.now() });
      await appendEvent(tx, { type: 'model.retrain.failed', modelId: job.modelId, runId: jobId, at: clock.now(), body: { previousVersion: null, newVersion: null, metrics: null, error: 'cancelled' } });
      return updated;
    });
    hub.emit('retrain:finished', { job: done });
    this.settle();
    return done;
  }

  /** Resolves when nothing is waiting or running (jobs waiting for a retry delay do not count). */
  whenIdle(): Promise<void> {
    if (this.waiting.length === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = null;
    this.waiting.length = 0;
    for (const cancel of this.retryTimers.values()) cancel();
    this.retryTimers.clear();
    for (const c of this.running.values()) c.abort(new Error('the server is shutting down'));
    await this.whenIdle();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      const controller = new AbortController();
      this.running.set(id, controller);
      void this.run(id, controller).finally(() => {
        this.running.delete(id);
        this.pump();
        this.settle();
      });
    }
    this.settle();
  }

  private settle(): void {
    if (this.waiting.length === 0 && this.running.size === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Whether this queue holds any job: waiting, running, or waiting for a retry. */
  private holdsJobs(): boolean {
    return this.waiting.length > 0 || this.running.size > 0 || this.retryTimers.size > 0;
  }

  /**
   * Renew the heartbeat of this queue's jobs every `heartbeatMs` while it holds any, so that
   * recovery elsewhere sees them as alive. The next beat is armed only once the write is done,
   * so a clock moved far ahead in one step fires one beat, not one per interval.
   */
  private armHeartbeat(): void {
    if (this.owner === null || this.cancelHeartbeat || this.closed) return;
    const owner = this.owner;
    const { store, clock, logger } = this.deps;
    this.cancelHeartbeat = clock.setTimeout(() => {
      void store
        .heartbeatJobs(owner, clock.now())
        .catch((err: unknown) => logger?.warn({ err }, 'could not renew the heartbeat of running jobs'))
        .finally(() => {
          this.cancelHeartbeat = null;
          if (this.holdsJobs()) this.armHeartbeat();
        });
    }, this.heartbeatMs);
  }

  private async run(jobId: string, controller: AbortController): Promise<void> {
    const outcome = await runAttempt(jobId, this.deps, { controller, random: this.random, mayRetry: () => !this.closed });
    if (outcome.kind !== 'retry') return;
    this.retryTimers.set(
      jobId,
      this.deps.clock.setTimeout(() => {
        this.retryTimers.delete(jobId);
        if (this.closed) return;
        this.waiting.push(jobId);
        this.pump();
      }, outcome.delayMs),
    );
  }
}
