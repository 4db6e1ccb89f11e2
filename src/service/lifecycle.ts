import { appendEvent, commitWithEvents } from '../events/outbox.js';
import type { RetrainJob, TimelineEntry } from '../domain/entities.js';
import { isOrphaned } from '../retrain/job-owner.js';
import type { RefitParts } from './parts.js';

/** What `recover()` found and did. */
export interface RecoveryReport {
  /** Jobs whose owner was gone, now failed (reason: interrupted). */
  readonly interrupted: RetrainJob[];
  /** Interrupted scheduled retrains started again, once per model. */
  readonly reruns: RetrainJob[];
  /** Promotions and rollbacks a crash cut short, recorded on the timeline. */
  readonly interruptedChanges: TimelineEntry[];
}

/**
 * Housekeeping at start-up and then periodically: jobs whose owner is gone (its process ended,
 * or its heartbeat is older than the lease) are marked failed (reason: interrupted), and an
 * interrupted scheduled retrain is started again, once. Jobs of a live process, this one or
 * another on the same store, are never touched.
 */
export async function recover(p: RefitParts): Promise<RecoveryReport> {
  // Promotions and rollbacks a crash cut short: recorded on the timeline (they never committed).
  const now = p.clock.now();
  const interruptedChanges = await p.rollouts.recover((i) => isOrphaned(i, now, p.leaseMs));
  // Each failed job and its event commit together.
  const jobs = await commitWithEvents(p.store, p.hub, async (tx) => {
    const failed = await tx.failOrphanedJobs((j) => isOrphaned(j, now, p.leaseMs), now, 'interrupted: the process running the job stopped while it was pending or running');
    for (const j of failed) {
      await appendEvent(tx, { type: 'model.retrain.failed', modelId: j.modelId, runId: j.id, at: now, body: { previousVersion: null, newVersion: null, metrics: null, error: j.error } });
    }
    return failed;
  });
  for (const j of jobs) p.hub.emit('retrain:finished', { job: j });
  const reruns: RetrainJob[] = [];
  for (const modelId of new Set(jobs.filter((j) => j.trigger === 'schedule').map((j) => j.modelId))) {
    const { job } = await p.queue.enqueue(modelId, { trigger: 'schedule', join: true });
    reruns.push(job);
  }
  return { interrupted: jobs, reruns, interruptedChanges };
}

/** `recover()` on a timer of the parts' clock, re-armed after each run until `stop()`. */
export class RecoverySweep {
  private cancel: (() => void) | null = null;

  constructor(private readonly parts: RefitParts) {}

  /** Run `recover()` every `everyMs` from now (a running sweep is replaced). */
  start(everyMs: number): void {
    const { clock, logger } = this.parts;
    const arm = () => {
      this.cancel = clock.setTimeout(() => {
        recover(this.parts)
          .then(({ interrupted }) => {
            if (interrupted.length > 0) logger?.warn({ jobs: interrupted.map((j) => j.id) }, `${interrupted.length} retrain job(s) whose process is gone marked failed`);
          })
          .catch((err: unknown) => logger?.error({ err }, 'recovery of orphaned jobs failed'))
          .finally(() => {
            if (this.cancel) arm();
          });
      }, everyMs);
    };
    this.cancel?.();
    arm();
  }

  /** Stop re-arming; a run in progress finishes. */
  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }
}

/** Stop the scheduler and the queue, close the store, and release this instance's owner id. */
export async function close(p: RefitParts, sweep: RecoverySweep): Promise<void> {
  sweep.stop();
  p.scheduler.stop();
  // A prune under way stops after its current statement, before the store closes.
  await p.pruner.stop();
  await p.delivery.stop();
  await p.queue.close();
  // No job runs any more: end the training threads.
  await p.executor.close?.();
  // Audit rows still being written land before the store goes.
  await p.audit.flush();
  // Scores of requests still being answered are written before the store goes.
  await p.scorer.drain();
  await p.store.close();
  p.owner.release();
}

/** Read the store once (throws when it is unreachable); returns its dialect. */
export async function checkStore(p: RefitParts): Promise<'sqlite' | 'postgres'> {
  await p.store.getModel('__healthz__');
  return p.store.dialect;
}
