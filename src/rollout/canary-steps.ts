/**
 * Gradual canaries (`rollout.steps`, e.g. [0.1, 0.25, 0.5, 1]): each step's share is held until its
 * analysis passes; then the next step starts as a new rollout row with the higher share (so its
 * live numbers are counted from the step's start), and the last step (or 1) promotes. Any step
 * whose analysis fails aborts the canary, as a one-step canary does.
 */
import type { Rollout, RolloutPolicy } from '../domain/entities.js';
import type { RegistryStore } from '../store/roles/registry-store.js';
import type { OutboxStore } from '../store/roles/outbox-store.js';
import type { RolloutStore } from '../store/roles/rollout-store.js';
import { RolloutConflict, type Actor } from './transitions.js';

const HOUR = 3_600_000;

/** The share of the step after a canary's current one, or null when passing it promotes (no steps, last step, or 100%). */
export function nextCanaryStep(policy: RolloutPolicy, rollout: Rollout): number | null {
  const steps = policy.steps;
  if (!steps || steps.length === 0 || rollout.mode !== 'canary' || rollout.share === null) return null;
  const next = steps.find((s) => s > (rollout.share as number) + 1e-12);
  return next === undefined || next >= 1 ? null : next;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** Close the current step as passed and start the next one at `share`, with a timeline row. */
export async function advanceCanary(
  tx: RegistryStore & RolloutStore & OutboxStore,
  rollout: Rollout,
  share: number,
  input: { reason: string; numbers: Readonly<Record<string, unknown>> | null; policy: RolloutPolicy },
  who: Actor,
): Promise<Rollout> {
  await tx.lockModel(rollout.modelId);
  const steps = input.policy.steps ?? [];
  const index = steps.findIndex((s) => s >= share - 1e-12);
  const reason = `step ${index} of ${steps.length} passed at ${pct(rollout.share ?? 0)}: ${input.reason}; now ${pct(share)} of traffic`;
  if (!(await tx.finishRollout(rollout.id, { status: 'passed', reason, numbers: input.numbers, at: who.at }))) {
    throw new RolloutConflict(`the canary of ${rollout.version} was already decided`);
  }
  const next = await tx.createRollout({
    modelId: rollout.modelId,
    kind: 'challenger',
    mode: 'canary',
    version: rollout.version,
    baseVersion: rollout.baseVersion,
    share,
    startedAt: who.at,
    endsAt: new Date(who.at.getTime() + input.policy.durationHours * HOUR),
  });
  await tx.appendTimeline({
    modelId: rollout.modelId,
    at: who.at,
    action: 'canary.step',
    version: rollout.version,
    fromVersion: rollout.baseVersion,
    actor: who.actor,
    reason,
    numbers: { ...(input.numbers ?? {}), fromShare: rollout.share, share, step: index + 1, steps: steps.length },
  });
  return next;
}
