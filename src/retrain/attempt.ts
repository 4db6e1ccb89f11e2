import { backoffMs } from '../domain/backoff.js';
import type { RetrainJob } from '../domain/entities.js';
import { UnrecoverableError, coerceError } from '../errors.js';
import { appendEvent, commitWithEvents } from '../events/outbox.js';
import type { PipelineDeps } from './pipeline.js';
import { runRetrain } from './pipeline.js';

/** The reason a job that ran past its deadline carries. */
export class TimeoutError extends Error {
  constructor(minutes: number) {
    super(`timeout: the retrain ran longer than ${minutes} minute${minutes === 1 ? '' : 's'} and was stopped`);
    this.name = 'TimeoutError';
  }
}

/** The reason a cancelled job's signal carries. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled by request');
    this.name = 'CancelledError';
  }
}

/** The reason a stopping worker gives a job it hands back to the queue (another worker runs it; not counted as an attempt). */
export class HandBackError extends Error {
  constructor() {
    super('handed back: the worker running it is stopping');
    this.name = 'HandBackError';
  }
}

/** Failures worth another attempt: not bad data or specs, not timeouts, not cancellations. */
export function isTransient(err: unknown): boolean {
  return !(err instanceof UnrecoverableError || err instanceof TimeoutError || err instanceof CancelledError);
}

/** How one attempt ended, for the queue that ran it to act on. */
export type AttemptOutcome =
  /** Not pending any more (cancelled, or taken by someone else): nothing was done. */
  | { readonly kind: 'not-pending' }
  /** Completed, skipped, failed or cancelled: the job is final. */
  | { readonly kind: 'finished'; readonly job: RetrainJob | null }
  /** Failed with a transient error and the retry policy allows another attempt after `delayMs`; the job is pending again. */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly attempts: number }
  /** Handed back by a stopping worker; the job is pending again. */
  | { readonly kind: 'handed-back' };

/** How an attempt is run. */
export interface AttemptOptions {
  /** Aborted with a CancelledError, a TimeoutError (armed here), a HandBackError or a shutdown error. */
  readonly controller: AbortController;
  /** Jitter for retry delays, in [0, 1). */
  readonly random: () => number;
  /** Whether a retry may still be scheduled (false once the queue closes). */
  readonly mayRetry: () => boolean;
  /** The process taking the job: written on it as its owner when it starts. Default: the owner stays. */
  readonly owner?: string;
}

/**
 * Delay before retry number `attempt` (1-based): exponential from the initial delay, capped,
 * with "equal jitter" (half fixed, half random) so that retries of many jobs spread out.
 */
export function retryDelayMs(policy: { initialDelaySeconds: number; maxDelaySeconds: number }, attempt: number, random: () => number): number {
  return backoffMs(attempt, policy.initialDelaySeconds * 1000, policy.maxDelaySeconds * 1000, random());
}

/**
 * One attempt of a pending job, wherever it runs (the in-process queue, a BullMQ worker): mark it
 * running (attempt + 1), run the pipeline under the job's timeout, and record how it ended. A
 * transient failure the retry policy allows leaves the job pending and says after how long to
 * try again; the caller schedules that.
 */
export async function runAttempt(jobId: string, deps: PipelineDeps, options: AttemptOptions): Promise<AttemptOutcome> {
  const { store, clock, hub, logger } = deps;
  const { controller } = options;
  const signal = controller.signal;
  let job = await store.getJob(jobId);
  if (!job || job.status !== 'pending') return { kind: 'not-pending' };
  const modelId = job.modelId;
  const model = await store.getModel(job.modelId);
  const policy = model?.spec.retrain;
  const timeoutMinutes = policy?.timeoutMinutes ?? 30;
  const cancelTimeout = clock.setTimeout(() => controller.abort(new TimeoutError(timeoutMinutes)), timeoutMinutes * 60_000);
  try {
    const startedAt = clock.now();
    const attempt = job.attempts + 1;
    job = await commitWithEvents(store, hub, async (tx) => {
      const owner = options.owner !== undefined ? { owner: options.owner, heartbeatAt: startedAt } : {};
      const j = await tx.updateJob(jobId, { status: 'running', attempts: attempt, startedAt, error: null, ...owner });
      if (attempt === 1) {
        await appendEvent(tx, { type: 'model.retrain.started', modelId: j.modelId, runId: jobId, at: startedAt, body: { previousVersion: model?.activeVersion ?? null, newVersion: null, metrics: null, trigger: j.trigger } });
      }
      return j;
    });
    hub.emit('retrain:started', { job });
    logger?.info({ jobId, modelId, trigger: job.trigger, attempt }, `retrain of '${modelId}' started (${job.trigger}${attempt > 1 ? `, attempt ${attempt}` : ''})`);
    const outcome = await runRetrain(job, deps, signal);
    const { newVersion, promoted, decision } = outcome.result;
    // The decision says what happened: "skipped: 3 new labels …", "promoted: …", "rejected: …".
    logger?.info({ jobId, modelId, version: newVersion, promoted }, outcome.status === 'skipped' ? `retrain of '${modelId}' ${decision}` : `retrain of '${modelId}' finished: version ${newVersion ?? '—'}, ${decision}`);
  } catch (thrown) {
    const err = coerceError(signal.aborted ? (signal.reason ?? thrown) : thrown);
    const attempts = job?.attempts ?? 1;
    if (err instanceof HandBackError) {
      logger?.info({ jobId, modelId }, `retrain of '${modelId}' handed back to the queue`);
      await store.updateJob(jobId, { status: 'pending', stage: null, progress: null, attempts: Math.max(0, attempts - 1), error: err.message });
      return { kind: 'handed-back' };
    }
    const cancelled = err instanceof CancelledError;
    const retry = policy?.retry;
    if (!signal.aborted && isTransient(err) && retry && attempts <= retry.retries && options.mayRetry()) {
      const delay = retryDelayMs(retry, attempts, options.random);
      logger?.warn({ err, jobId, modelId, attempts, delayMs: delay }, `retrain of '${modelId}' failed (attempt ${attempts}): ${err.message}; retrying in ${Math.round(delay / 1000)} s`);
      await store
        .updateJob(jobId, { status: 'pending', stage: null, progress: null, error: `attempt ${attempts} failed: ${err.message}; retrying in ${Math.round(delay / 1000)} s` })
        // The retry still runs; only the job row's note of it is missing.
        .catch((storeErr: unknown) => logger?.warn({ err: storeErr, jobId }, 'could not record the retry on the job'));
      return { kind: 'retry', delayMs: delay, attempts };
    }
    if (cancelled) logger?.info({ jobId, modelId }, `retrain of '${modelId}' cancelled`);
    // Bad data, a bad spec, a timeout or a shutdown: the message says it all; anything else keeps its stack.
    else if (isTransient(err) && !signal.aborted) logger?.error({ err, jobId, modelId }, `retrain of '${modelId}' failed: ${err.message}`);
    else logger?.warn({ jobId, modelId, error: err.message }, `retrain of '${modelId}' failed: ${err.message}`);
    await failJob(deps, jobId, err.message, { cancelled, attempts });
  } finally {
    cancelTimeout();
  }
  const finished = await store.getJob(jobId).catch((storeErr: unknown) => {
    // Listeners (the live stream) miss this job's last state; the row itself is already written.
    logger?.warn({ err: storeErr, jobId }, 'could not read the finished job back to announce it');
    return null;
  });
  if (finished) hub.emit('retrain:finished', { job: finished });
  return { kind: 'finished', job: finished };
}

/** Record a job as failed (or cancelled) with its event, in one transaction; a store failure is logged, not thrown. */
export async function failJob(deps: PipelineDeps, jobId: string, error: string, options: { cancelled: boolean; attempts: number }): Promise<void> {
  const { store, clock, hub, logger } = deps;
  try {
    const at = clock.now();
    await commitWithEvents(store, hub, async (tx) => {
      const current = await tx.getJob(jobId);
      const m = current ? await tx.getModel(current.modelId) : null;
      await tx.updateJob(jobId, { status: options.cancelled ? 'cancelled' : 'failed', stage: null, progress: null, error, finishedAt: at });
      await appendEvent(tx, {
        type: 'model.retrain.failed',
        modelId: current?.modelId ?? null,
        runId: jobId,
        at,
        body: { previousVersion: m?.activeVersion ?? null, newVersion: null, metrics: null, error, cancelled: options.cancelled, attempts: options.attempts },
      });
    });
  } catch (storeErr) {
    logger?.error({ err: storeErr, jobId }, 'could not record the failed retrain');
  }
}
