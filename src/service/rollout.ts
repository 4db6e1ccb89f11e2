import { zodProblems } from '../config/model-spec.js';
import type { Activation, Rollout, RolloutPolicy, TimelineEntry } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import type { RetentionReport } from '../rollout/retention.js';
import type { RolloutEvaluation } from '../rollout/rollout-manager.js';
import { requireModel } from '../store/require-model.js';
import type { Page } from '../store/store.js';
import type { RefitParts } from './parts.js';
import { promoteInputSchema } from '../contract/requests.js';

/**
 * Make an earlier version active again: the given one, or by default the version that was
 * active before the current one. A running canary or shadow stops; the timeline records it.
 */
export async function rollback(p: RefitParts, modelId: string, version: string | undefined, actor: string, reason: string | undefined): Promise<Activation> {
  return p.rollouts.manualRollback(modelId, version, { actor, ...(reason !== undefined ? { reason } : {}) });
}

/** Promote a retained version now, past gates and canaries; audited with the reason given. */
export async function promote(p: RefitParts, modelId: string, input: unknown, actor: string): Promise<Activation> {
  const r = promoteInputSchema.safeParse(input);
  if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The promotion request is invalid.', { errors: zodProblems(r.error) });
  return p.rollouts.forcePromote(modelId, r.data.version, { actor: r.data.actor ?? actor, reason: r.data.reason });
}

/** The rollout policy and running canary, shadow or watch with their live numbers (nothing is changed). */
export async function rolloutState(p: RefitParts, modelId: string): Promise<{ policy: RolloutPolicy; evaluation: RolloutEvaluation; recent: Rollout[] }> {
  const model = await requireModel(p.store, modelId);
  return { policy: model.spec.retrain.rollout, evaluation: await p.rollouts.inspect(modelId), recent: await p.store.listRollouts(modelId, 10) };
}

/** Evaluate the model's rollouts now and act on the result, as the periodic checks do. */
export async function evaluateRollout(p: RefitParts, modelId: string): Promise<RolloutEvaluation> {
  await requireModel(p.store, modelId);
  return p.rollouts.evaluate(modelId);
}

/** Stop a running canary or shadow by hand. */
export async function abortRollout(p: RefitParts, modelId: string, reason: string | undefined, actor: string): Promise<Rollout> {
  return p.rollouts.abort(modelId, { actor, reason: reason ?? 'no reason given' });
}

/** A model's history of activations, canaries, shadows, rollbacks and cleanups, newest first. */
export async function timeline(p: RefitParts, modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>> {
  return p.rollouts.timeline(modelId, page);
}

/** Delete the artifacts of versions beyond the retention limit now; reports what was freed. */
export async function cleanupRetention(p: RefitParts, modelId: string, actor: string): Promise<RetentionReport> {
  return p.rollouts.cleanup(modelId, actor);
}
