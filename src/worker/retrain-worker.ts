import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, HandBackError, failJob, runAttempt } from '../retrain/attempt.js';
import { HEARTBEAT_MS, QUEUED_OWNER_PREFIX } from '../retrain/job-owner.js';
import type { PipelineDeps } from '../retrain/pipeline.js';
import { QUEUED_OWNER } from './bullmq-queue.js';
import { CANCEL_CHANNEL, QUEUE_NAME, redisKey } from './redis.js';
import { announceWorker, retireWorker } from './workers.js';

/** Options of a retrain worker. */
export interface RetrainWorkerOptions {
  /** Connection for BullMQ (duplicated by it for blocking reads) and the worker's record. */
  readonly connection: Redis;
  /** A connection of its own for the cancel channel (subscriber mode). */
  readonly subscriber: Redis;
  /** Prefix of the deployment's Redis keys. Default refit. */
  readonly prefix?: string;
  /** `<host>/<pid>/<instance>` of this process (job-owner.ts); the worker's id is `bullmq:` + it. */
  readonly ownerId: string;
  /** Jobs run at once. Default 1. */
  readonly concurrency?: number;
  /** BullMQ lock duration: a worker silent this long (killed, machine lost) has its job taken over by another. Default 30000 ms. */
  readonly leaseMs?: number;
  /** Jitter of retry delays, in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** Data of a BullMQ retrain job. */
interface RetrainJobData {
  readonly jobId: string;
  readonly modelId: string;
}

/**
 * `refit worker`: takes retrain jobs from the BullMQ queue and runs each through the same
 * pipeline as the in-process queue (`runAttempt`), as the job's owner, renewing its heartbeat and
 * its record in Redis. A job whose worker died (BullMQ's stalled-job check moves it back once the
 * lock lapses) is taken over as a new attempt, within the model's retry policy. Cancel messages
 * for the jobs it runs abort them; the model's timeout stops the work here, where it runs.
 */
export class RetrainWorker {
  /** This worker's id, the owner written on the jobs it runs. */
  readonly id: string;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly running = new Map<string, { controller: AbortController; modelId: string }>();
  private readonly startedAt: Date;
  private worker: Worker | null = null;
  private cancelBeat: (() => void) | null = null;
  private ready = false;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: RetrainWorkerOptions,
  ) {
    this.id = `${QUEUED_OWNER_PREFIX}${options.ownerId}`;
    this.prefix = options.prefix ?? 'refit';
    this.leaseMs = options.leaseMs ?? 30_000;
    this.startedAt = deps.clock.now();
  }

  /** Whether it is connected and taking jobs (the readiness check). */
  get isReady(): boolean {
    return this.ready && this.worker?.isRunning() === true;
  }

  /** Jobs it runs now. */
  get currentJobs(): { jobId: string; modelId: string }[] {
    return [...this.running].map(([jobId, r]) => ({ jobId, modelId: r.modelId }));
  }

  /** Subscribe to cancellations, announce itself and start taking jobs. */
  async start(): Promise<void> {
    const { subscriber } = this.options;
    const channel = redisKey(this.prefix, CANCEL_CHANNEL);
    subscriber.on('message', (ch: string, jobId: string) => {
      if (ch === channel) this.running.get(jobId)?.controller.abort(new CancelledError());
    });
    await subscriber.subscribe(channel);
    await this.beat();
    this.worker = new Worker<RetrainJobData>(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: this.options.connection,
      prefix: this.prefix,
      concurrency: this.options.concurrency ?? 1,
      lockDuration: this.leaseMs,
      stalledInterval: Math.max(500, Math.round(this.leaseMs / 2)),
      // Our retry policy (in the database) decides how many takeovers a job gets, not BullMQ's count.
      maxStalledCount: 1_000,
    });
    this.worker.on('error', (err) => this.deps.logger?.warn({ err }, 'the BullMQ worker reported an error'));
    await this.worker.waitUntilReady();
    this.ready = true;
  }

  /** Renew the heartbeat of its jobs in the store and its record in Redis, then re-arm. */
  private async beat(): Promise<void> {
    const { store, clock, logger } = this.deps;
    const every = Math.min(HEARTBEAT_MS, Math.max(250, Math.round(this.leaseMs / 3)));
    const now = clock.now();
    try {
      if (this.running.size > 0) await store.heartbeatJobs(this.id, now);
      const current = this.currentJobs[0] ?? null;
      await announceWorker(this.options.connection, this.prefix, { id: this.id, startedAt: this.startedAt.toISOString(), heartbeatAt: now.toISOString(), currentJob: current }, every * 3);
    } catch (err) {
      logger?.warn({ err }, 'could not renew the worker heartbeat');
    }
    this.cancelBeat = clock.setTimeout(() => void this.beat(), every);
  }

  private async process(bjob: Job<RetrainJobData>, token: string | undefined): Promise<void> {
    try {
      await this.processJob(bjob, token);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      // BullMQ drops a failed job (removeOnFail); its database row must not stay pending or running
      // under a queue owner that recovery never takes over, or the model could never retrain again.
      const message = err instanceof Error ? err.message : String(err);
      const row = await this.deps.store.getJob(bjob.data.jobId).catch(() => null);
      if (row && (row.status === 'pending' || row.status === 'running')) {
        await failJob(this.deps, row.id, `the worker could not run the job: ${message}`, { cancelled: false, attempts: row.attempts }).catch((inner: unknown) =>
          this.deps.logger?.error({ err: inner, jobId: row.id }, 'could not record the failed job'),
        );
      }
      throw err;
    }
  }

  private async processJob(bjob: Job<RetrainJobData>, token: string | undefined): Promise<void> {
    const deps = this.deps;
    const { store, clock, logger } = deps;
    const jobId = bjob.data.jobId;
    const row = await store.getJob(jobId);
    if (!row || (row.status !== 'pending' && row.status !== 'running')) return;
    if (row.status === 'running') {
      // Taken over: the worker that ran it stopped renewing its lock (killed, or its machine lost).
      const model = await store.getModel(row.modelId);
      const retries = model?.spec.retrain.retry.retries ?? 0;
      const note = `attempt ${row.attempts} interrupted: the worker running it stopped`;
      if (row.attempts > retries) {
        logger?.warn({ jobId, modelId: row.modelId }, `${note}; no retry left`);
        await failJob(deps, jobId, `interrupted: ${note}; no retry left`, { cancelled: false, attempts: row.attempts });
        return;
      }
      logger?.warn({ jobId, modelId: row.modelId }, `${note}; taking it over`);
      await store.updateJob(jobId, { status: 'pending', stage: null, progress: null, error: note });
    }
    const controller = new AbortController();
    this.running.set(jobId, { controller, modelId: row.modelId });
    void this.announceNow();
    try {
      const outcome = await runAttempt(jobId, deps, { controller, random: this.options.random ?? Math.random, mayRetry: () => true, owner: this.id });
      if (outcome.kind === 'retry' || outcome.kind === 'handed-back') {
        // Back on the queue under the same id: after the retry delay, or at once for another worker.
        await store.updateJob(jobId, { owner: QUEUED_OWNER });
        await bjob.moveToDelayed(clock.now().getTime() + (outcome.kind === 'retry' ? outcome.delayMs : 0), token);
        throw new DelayedError();
      }
    } finally {
      this.running.delete(jobId);
      void this.announceNow();
    }
  }

  /** Rewrite the worker's record now (its current job changed). */
  private async announceNow(): Promise<void> {
    const every = Math.min(HEARTBEAT_MS, Math.max(250, Math.round(this.leaseMs / 3)));
    await announceWorker(this.options.connection, this.prefix, { id: this.id, startedAt: this.startedAt.toISOString(), heartbeatAt: this.deps.clock.now().toISOString(), currentJob: this.currentJobs[0] ?? null }, every * 3).catch(() => {});
  }

  /**
   * Stop taking jobs; let the running ones finish for up to `graceMs`, then hand them back to
   * the queue (another worker runs them, not counted as an attempt). Removes its record.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.ready = false;
    const worker = this.worker;
    if (worker) {
      const closing = worker.close();
      let cancelTimer: (() => void) | null = null;
      const graceOver = new Promise<'grace'>((resolve) => {
        cancelTimer = this.deps.clock.setTimeout(() => resolve('grace'), graceMs);
      });
      if ((await Promise.race([closing.then(() => 'closed' as const), graceOver])) === 'grace') {
        for (const r of this.running.values()) r.controller.abort(new HandBackError());
      }
      await closing;
      (cancelTimer as (() => void) | null)?.();
    }
    this.cancelBeat?.();
    this.cancelBeat = null;
    await retireWorker(this.options.connection, this.prefix, this.id).catch(() => {});
    await this.options.subscriber.unsubscribe().catch(() => {});
  }
}
