import type { JobStage, RetrainJob, RetrainResult } from '../domain/entities.js';
import { appendEvent, commitWithEvents } from '../events/outbox.js';
import type { PipelineDeps, RunOutcome } from './pipeline.js';

/** Record a run that trained nothing (too few new or usable labels), with the reason. */
export async function recordSkip(deps: PipelineDeps, job: RetrainJob, stages: JobStage[], championVersion: string | null, primary: string, labelCount: number, decision: string): Promise<RunOutcome> {
  const result: RetrainResult = {
    oldVersion: championVersion,
    newVersion: null,
    promoted: false,
    oldMetrics: null,
    newMetrics: null,
    improvementPct: null,
    primaryMetric: primary,
    trainingSamples: 0,
    trainingMs: 0,
    labelCount,
    decision,
  };
  const at = deps.clock.now();
  await commitWithEvents(deps.store, deps.hub, async (tx) => {
    await tx.updateJob(job.id, { status: 'skipped', stage: null, progress: null, stages, result, finishedAt: at });
    await appendEvent(tx, { type: 'model.retrain.skipped', modelId: job.modelId, runId: job.id, at, body: { previousVersion: championVersion, newVersion: null, metrics: null, reason: decision } });
  });
  return { status: 'skipped', result };
}
