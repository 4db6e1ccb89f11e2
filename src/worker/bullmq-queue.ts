import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RetrainJob } from '../domain/entities.js';
import { timeOrderedId } from '../domain/ids.js';
import { RefitError } from '../errors.js';
import { failJob } from '../retrain/attempt.js';
import { QUEUED_OWNER_PREFIX } from '../retrain/job-owner.js';
import type { PipelineDeps } from '../retrain/pipeline.js';
import type { EnqueueOptions, JobQueue } from '../retrain/runner.js';
import { CANCEL_CHANNEL, QUEUE_NAME, redisKey } from './redis.js';

/** The owner of a job waiting on the BullMQ queue (no worker has it yet). */
export const QUEUED_OWNER = `${QUEUED_OWNER_PREFIX}queued`;

/** Options of the BullMQ queue. */
export interface BullmqQueueOptions {
  /** Connection for the queue and for publishing cancellations (closed by the caller). */
  readonly connection: Redis;
  /** Prefix of the deployment's Redis keys. Default refit. */
  readonly prefix?: string;
  /** How often `whenIdle` looks at the jobs it waits for, in ms. Default 200. */
  readonly pollMs?: number;
}

/**
 * The job queue of an API process started with `--no-training`: a job is created in the
 * database (whose one-active-job-per-model rule stays the arbiter) and added to BullMQ under the
 * same id; `refit worker` processes take it from there. A pending job is cancelled by removing
 * it from the queue; a running one by a message on the cancel channel that its worker listens to.
 */
export class BullmqQueue implements JobQueue {
  private readonly queue: Queue;
  private readonly prefix: string;
  private readonly pollMs: number;
  /** Jobs enqueued here that `whenIdle` waits for. */
  private readonly mine = new Set<string>();
  private closed = false;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: BullmqQueueOptions,
  ) {
    this.prefix = options.prefix ?? 'refit';
    this.pollMs = options.pollMs ?? 200;
    this.queue = new Queue(QUEUE_NAME, { connection: options.connection, prefix: this.prefix });
  }

  async enqueue(modelId: string, options: EnqueueOptions = {}): Promise<{ job: RetrainJob; joined: boolean }> {
    if (this.closed) throw new Error('The job queue is closed.');
    const { store, clock, hub } = this.deps;
    const created = await store.createJob({ id: timeOrderedId(), modelId, trigger: options.trigger ?? 'manual', force: options.force ?? false, minSamples: options.minSamples ?? null, at: clock.now(), owner: QUEUED_OWNER, importSource: options.importSource ?? null });
    if (!created.ok) {
      if (options.join && created.active) return { job: created.active, joined: true };
      throw new RefitError('RETRAIN_IN_PROGRESS', `Model '${modelId}' already has a retrain ${created.active?.status ?? 'pending'}.`, {
        extra: { jobId: created.active?.id ?? null },
      });
    }
    const job = created.job;
    try {
      // The BullMQ job id is ours, so a worker finds the row and a duplicate add is a no-op.
      await this.queue.add('retrain', { jobId: job.id, modelId }, { jobId: job.id, removeOnComplete: true, removeOnFail: true });
    } catch (err) {
      // Redis refused: the job would wait forever and block the model's next retrain.
      await failJob(this.deps, job.id, `could not queue the retrain: ${(err as Error).message}`, { cancelled: false, attempts: 0 });
      throw err;
    }
    this.mine.add(job.id);
    hub.emit('retrain:queued', { job });
    return { job, joined: false };
  }

  async cancel(jobId: string): Promise<RetrainJob> {
    const { store, hub } = this.deps;
    const job = await store.getJob(jobId);
    if (!job) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${jobId}' does not exist.`);
    // The same answer as the in-process queue: a finished job has nothing to cancel (409).
    if (job.status !== 'pending' && job.status !== 'running') {
      throw new RefitError('JOB_FINISHED', `Retrain job '${jobId}' has already finished (${job.status}); there is nothing to cancel.`, { extra: { jobStatus: job.status } });
    }
    const queued = await this.queue.getJob(jobId);
    let removed = queued === undefined;
    if (queued) {
      // Removal fails while a worker holds the job's lock: then that worker is told to stop it.
      removed = await queued.remove().then(
        () => true,
        () => false,
      );
    }
    const now = await store.getJob(jobId);
    if (removed && now?.status === 'pending') {
      await failJob(this.deps, jobId, 'cancelled before it ran', { cancelled: true, attempts: now.attempts });
      const done = await store.getJob(jobId);
      if (done) hub.emit('retrain:finished', { job: done });
      return done ?? job;
    }
    await this.options.connection.publish(redisKey(this.prefix, CANCEL_CHANNEL), jobId);
    return now ?? job;
  }

  /** Resolves when every job enqueued through this process has ended (whichever worker ran it). */
  async whenIdle(): Promise<void> {
    for (;;) {
      for (const id of [...this.mine]) {
        const j = await this.deps.store.getJob(id);
        if (!j || (j.status !== 'pending' && j.status !== 'running')) this.mine.delete(id);
      }
      if (this.mine.size === 0 || this.closed) return;
      await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, this.pollMs));
    }
  }

  /** Stop enqueuing; jobs already queued stay for the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.close();
  }
}
