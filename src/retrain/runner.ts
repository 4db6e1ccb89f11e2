import type { Logger } from 'pino';
import type { JobTrigger, RetrainJob } from '../domain/entities.js';
import { timeOrderedId } from '../domain/ids.js';
import { RefitError, coerceError } from '../errors.js';
import type { PipelineDeps } from './pipeline.js';
import { runRetrain } from './pipeline.js';

/** How a retrain is asked for. */
export interface EnqueueOptions {
  /** What started it. Default manual. */
  readonly trigger?: JobTrigger;
  /** Train even with fewer new labels than the policy asks. Default false. */
  readonly force?: boolean;
  /** Return the model's pending or running job instead of refusing with 409. Default false. */
  readonly join?: boolean;
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
}

/** Runs retrain jobs in this process, FIFO, single-flight per model (enforced by the store). */
export class InProcessQueue implements JobQueue {
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private closed = false;

  constructor(
    private readonly deps: PipelineDeps,
    options: InProcessQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 1;
  }

  async enqueue(modelId: string, options: EnqueueOptions = {}): Promise<{ job: RetrainJob; joined: boolean }> {
    if (this.closed) throw new Error('The job queue is closed.');
    const { store, clock, hub } = this.deps;
    let job: RetrainJob;
    try {
      job = await store.createJob({ id: timeOrderedId(), modelId, trigger: options.trigger ?? 'manual', force: options.force ?? false, at: clock.now() });
    } catch (err) {
      if (options.join && err instanceof RefitError && err.code === 'RETRAIN_IN_PROGRESS') {
        const active = await store.findActiveJob(modelId);
        if (active) return { job: active, joined: true };
      }
      throw err;
    }
    hub.emit('retrain:queued', { job });
    this.waiting.push(job.id);
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
    if (job.status !== 'pending' && job.status !== 'running') return job;
    const done = await store.transaction(async (tx) => {
      const updated = await tx.updateJob(jobId, { status: 'cancelled', stage: null, error: 'cancelled before it ran', finishedAt: clock.now() });
      await tx.appendEvent({ eventType: 'model.retrain.failed', runId: jobId, modelId: job.modelId, occurredAt: clock.now(), payload: { modelId: job.modelId, previousVersion: null, newVersion: null, metrics: null, error: 'cancelled' } });
      return updated;
    });
    hub.emit('retrain:finished', { job: done });
    hub.emit('outbox:appended', {});
    this.settle();
    return done;
  }

  whenIdle(): Promise<void> {
    if (this.waiting.length === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    for (const c of this.running.values()) c.abort(new Error('the server is shutting down'));
    await this.whenIdle();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      const controller = new AbortController();
      this.running.set(id, controller);
      void this.run(id, controller.signal).finally(() => {
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

  private async run(jobId: string, signal: AbortSignal): Promise<void> {
    const { store, clock, hub, logger } = this.deps;
    let job = await store.getJob(jobId);
    if (!job || job.status !== 'pending') return;
    try {
      const startedAt = clock.now();
      job = await store.transaction(async (tx) => {
        const j = await tx.updateJob(jobId, { status: 'running', attempts: (job?.attempts ?? 0) + 1, startedAt });
        const model = await tx.getModel(j.modelId);
        await tx.appendEvent({
          eventType: 'model.retrain.started',
          runId: jobId,
          modelId: j.modelId,
          occurredAt: startedAt,
          payload: { modelId: j.modelId, previousVersion: model?.activeVersion ?? null, newVersion: null, metrics: null, trigger: j.trigger },
        });
        return j;
      });
      hub.emit('retrain:started', { job });
      hub.emit('outbox:appended', {});
      await runRetrain(job, this.deps, signal);
    } catch (thrown) {
      const err = coerceError(signal.aborted ? (signal.reason ?? thrown) : thrown);
      const cancelled = err instanceof CancelledError;
      logger?.[cancelled ? 'info' : 'error']({ err, jobId }, cancelled ? 'retrain cancelled' : 'retrain failed');
      try {
        const at = clock.now();
        await store.transaction(async (tx) => {
          const current = await tx.getJob(jobId);
          const model = current ? await tx.getModel(current.modelId) : null;
          await tx.updateJob(jobId, { status: cancelled ? 'cancelled' : 'failed', stage: null, progress: null, error: err.message, finishedAt: at });
          await tx.appendEvent({
            eventType: 'model.retrain.failed',
            runId: jobId,
            modelId: current?.modelId ?? null,
            occurredAt: at,
            payload: { modelId: current?.modelId ?? null, previousVersion: model?.activeVersion ?? null, newVersion: null, metrics: null, error: err.message, cancelled },
          });
        });
      } catch (storeErr) {
        logger?.error({ err: storeErr, jobId }, 'could not record the failed retrain');
      }
    }
    const finished = await store.getJob(jobId).catch(() => null);
    if (finished) hub.emit('retrain:finished', { job: finished });
    hub.emit('outbox:appended', {});
  }
}

/** The reason a cancelled job's signal carries. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled by request');
    this.name = 'CancelledError';
  }
}
