import type { TriggerCheck } from '../domain/entities.js';
import type { DriftResult } from '../monitor/drift.js';
import type { PerformanceReport, RetrainNeeded } from '../monitor/monitor.js';
import { requireModel } from '../store/require-model.js';
import type { RefitParts } from './parts.js';

/** Feature importance of one version, as `GET …/versions/{version}/importance` returns it. */
export interface ImportanceReport {
  readonly modelId: string;
  readonly version: string;
  /** The kind of predictor the version's artifact holds. */
  readonly trainer: string;
  /** False for trainers without feature importance (only tree models have it). */
  readonly available: boolean;
  /** What the numbers mean, or why there are none. */
  readonly reason: string;
  /** Per feature, by gain, highest first; empty when not available. */
  readonly features: { feature: string; gain: number; splits: number }[];
}

/** The drift report of the model's active version over its most recent scores, computed now. */
export async function drift(p: RefitParts, modelId: string): Promise<DriftResult> {
  await requireModel(p.store, modelId);
  return p.monitor.drift(modelId);
}

/** Live performance per version: `windows` windows of `windowHours` hours ending now. */
export async function performance(p: RefitParts, modelId: string, windowHours: number, windows: number): Promise<PerformanceReport> {
  return p.monitor.performance(await requireModel(p.store, modelId), windowHours, windows);
}

/** Whether the model needs a retrain now, evaluated without starting one or storing the check. */
export async function retrainNeeded(p: RefitParts, modelId: string): Promise<RetrainNeeded> {
  await requireModel(p.store, modelId);
  return p.monitor.check(modelId, { fire: false });
}

/**
 * Run the periodic checks now, as the check schedule does: first the rollout evaluation
 * (canary or shadow decision, watch after a promotion), then the trigger checks, stored, with a
 * retrain started when one fires.
 */
export async function runChecks(p: RefitParts, modelId: string): Promise<RetrainNeeded> {
  await requireModel(p.store, modelId);
  try {
    await p.rollouts.evaluate(modelId);
  } catch (err) {
    // A failed rollout evaluation must not stop the trigger checks; it is tried again next time.
    p.logger?.error({ err, modelId }, 'rollout evaluation failed');
  }
  return p.monitor.check(modelId, { fire: true });
}

/** Stored checks, newest first. */
export async function listChecks(p: RefitParts, modelId: string, limit: number): Promise<TriggerCheck[]> {
  await requireModel(p.store, modelId);
  return p.store.listTriggerChecks(modelId, { limit });
}

/** Feature importance of a version from its stored artifact; VERSION_NOT_FOUND when there is no such version. */
export async function importance(p: RefitParts, modelId: string, version: string): Promise<ImportanceReport> {
  const model = await requireModel(p.store, modelId);
  // Loaded outside the serving cache (which keeps a few versions per model), so that asking
  // about old versions never pushes out the ones serving.
  const predictor = await p.predictors.load(model.spec.id, version);
  const withImportance = predictor as { importance?: () => { feature: string; gain: number; splits: number }[] };
  if (typeof withImportance.importance !== 'function') {
    return { modelId: model.spec.id, version, trainer: predictor.kind, available: false, reason: `${predictor.kind} models have no feature importance; the gbdt trainer has`, features: [] };
  }
  const features = withImportance.importance().sort((a, b) => b.gain - a.gain);
  return { modelId: model.spec.id, version, trainer: predictor.kind, available: true, reason: 'gain: total loss reduction of the splits on the feature; splits: how many splits use it', features };
}
