import type { Activation, EventType, Metrics, Rollout, RolloutPolicy } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import { appendEvent } from '../events/outbox.js';
import type { OutboxStore } from '../store/roles/outbox-store.js';
import type { RegistryStore } from '../store/roles/registry-store.js';
import type { RolloutStore } from '../store/roles/rollout-store.js';

/**
 * The state changes of a rollout, each written inside the caller's transaction together with its
 * timeline row and its outbox event, so a crash leaves either all of a change or none of it.
 */

const HOUR = 3_600_000;

/** Who did it, when, and whether it belongs to a retrain run. */
export interface Actor {
  readonly actor: string;
  readonly at: Date;
  /** The retrain job id, when a retrain made the change. */
  readonly runId?: string | null;
}

async function event(tx: OutboxStore, type: EventType, modelId: string, who: Actor, payload: { previousVersion: string | null; newVersion: string | null; metrics: Metrics | null; [k: string]: unknown }): Promise<void> {
  await appendEvent(tx, { type, modelId, runId: who.runId ?? null, at: who.at, body: { ...payload, actor: who.actor } });
}

/**
 * `model.deactivated` for the version that stops serving (when there was one) and
 * `model.activated` for the one that starts, around every change of the active version.
 */
async function activationEvents(tx: OutboxStore, modelId: string, activation: Activation, metrics: Metrics | null, who: Actor): Promise<void> {
  const change = { previousVersion: activation.fromVersion, newVersion: activation.toVersion, action: activation.action, reason: activation.reason };
  if (activation.fromVersion !== null) await event(tx, 'model.deactivated', modelId, who, { ...change, metrics: null, version: activation.fromVersion });
  await event(tx, 'model.activated', modelId, who, { ...change, metrics, version: activation.toVersion });
}

/** A version about to become active must still have its artifact (retention may have run meanwhile). */
async function assertRetained(tx: RegistryStore, modelId: string, version: string): Promise<void> {
  const v = await tx.getVersion(modelId, version);
  if (v?.artifactDeletedAt) throw new RefitError('VERSION_NOT_RETAINED', `The artifact of ${modelId}@${version} was deleted by retention on ${v.artifactDeletedAt.toISOString()}.`);
}

/** Thrown inside a transaction when a rollout was decided by someone else meanwhile; the change rolls back. */
export class RolloutConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutConflict';
  }
}

/**
 * Stop a running canary or shadow and keep the champion. The challenger version becomes
 * `rejected` when it failed live, `candidate` when it was merely superseded or stopped by hand.
 */
export async function stopChallenger(
  tx: RegistryStore & RolloutStore & OutboxStore,
  rollout: Rollout,
  outcome: { reason: string; numbers: Readonly<Record<string, unknown>> | null; versionStatus: 'rejected' | 'candidate' },
  who: Actor,
): Promise<void> {
  await tx.lockModel(rollout.modelId);
  if (!(await tx.finishRollout(rollout.id, { status: 'aborted', reason: outcome.reason, numbers: outcome.numbers, at: who.at }))) {
    throw new RolloutConflict(`the ${rollout.mode} of ${rollout.version} was already decided`);
  }
  const v = await tx.getVersion(rollout.modelId, rollout.version);
  if (v && v.status !== 'active') await tx.setVersionStatus(rollout.modelId, rollout.version, outcome.versionStatus);
  const action = rollout.mode === 'shadow' ? 'shadow.stopped' : 'canary.aborted';
  await tx.appendTimeline({ modelId: rollout.modelId, at: who.at, action, version: rollout.version, fromVersion: rollout.baseVersion, actor: who.actor, reason: outcome.reason, numbers: outcome.numbers });
  await event(tx, rollout.mode === 'shadow' ? 'model.shadow.stopped' : 'model.canary.aborted', rollout.modelId, who, {
    previousVersion: rollout.baseVersion,
    newVersion: rollout.version,
    metrics: null,
    outcome: 'aborted',
    reason: outcome.reason,
    numbers: outcome.numbers,
  });
}

/** Start a canary or shadow of `version` against the active `champion` (a running one is superseded). */
export async function startChallenger(
  tx: RegistryStore & RolloutStore & OutboxStore,
  input: { modelId: string; version: string; champion: string; mode: 'canary' | 'shadow'; policy: RolloutPolicy; reason: string; metrics: Metrics | null },
  who: Actor,
): Promise<Rollout> {
  await tx.lockModel(input.modelId);
  const { challenger } = await tx.runningRollouts(input.modelId);
  if (challenger) await stopChallenger(tx, challenger, { reason: `superseded by ${input.version}`, numbers: null, versionStatus: 'candidate' }, who);
  await tx.setVersionStatus(input.modelId, input.version, input.mode);
  // Gradual canary: the first step's share; the evaluator moves it up a step at a time.
  const share = input.mode === 'canary' ? (input.policy.steps?.[0] ?? input.policy.canaryShare) : null;
  const rollout = await tx.createRollout({
    modelId: input.modelId,
    kind: 'challenger',
    mode: input.mode,
    version: input.version,
    baseVersion: input.champion,
    share,
    startedAt: who.at,
    endsAt: new Date(who.at.getTime() + input.policy.durationHours * HOUR),
  });
  const numbers = { share, endsAt: rollout.endsAt.toISOString(), minLabels: input.policy.minLabels, thresholds: input.policy.thresholds };
  await tx.appendTimeline({ modelId: input.modelId, at: who.at, action: `${input.mode}.started`, version: input.version, fromVersion: input.champion, actor: who.actor, reason: input.reason, numbers });
  await event(tx, input.mode === 'canary' ? 'model.canary.started' : 'model.shadow.started', input.modelId, who, {
    previousVersion: input.champion,
    newVersion: input.version,
    metrics: input.metrics,
    reason: input.reason,
    ...numbers,
  });
  return rollout;
}

/**
 * Make `version` the active one: closes a running canary or shadow (as promoted when it is this
 * version, superseded otherwise) and the previous watch, activates it, and starts its watch.
 */
export async function promote(
  tx: RegistryStore & RolloutStore & OutboxStore,
  input: {
    modelId: string;
    version: string;
    policy: RolloutPolicy;
    action: 'promote' | 'force-promote';
    reason: string;
    numbers: Readonly<Record<string, unknown>> | null;
    metrics: Metrics | null;
    /** The canary or shadow this promotion decides: when it is no longer running, someone else decided first. */
    rolloutId?: number;
  },
  who: Actor,
): Promise<Activation> {
  // Held until commit: a concurrent change of this model waits, then sees this one's result.
  const model = await tx.lockModel(input.modelId);
  const { challenger, watch } = await tx.runningRollouts(input.modelId);
  if (input.rolloutId !== undefined && challenger?.id !== input.rolloutId) throw new RolloutConflict(`rollout ${input.rolloutId} is no longer running`);
  if (model?.activeVersion === input.version) throw new RolloutConflict(`${input.version} is already active`);
  await assertRetained(tx, input.modelId, input.version);
  if (challenger) {
    if (challenger.version === input.version) {
      if (!(await tx.finishRollout(challenger.id, { status: 'promoted', reason: input.reason, numbers: input.numbers, at: who.at }))) {
        throw new RolloutConflict(`the ${challenger.mode} of ${challenger.version} was already decided`);
      }
      const action = challenger.mode === 'shadow' ? 'shadow.stopped' : 'canary.promoted';
      await tx.appendTimeline({ modelId: input.modelId, at: who.at, action, version: input.version, fromVersion: challenger.baseVersion, actor: who.actor, reason: input.reason, numbers: input.numbers });
      await event(tx, challenger.mode === 'shadow' ? 'model.shadow.stopped' : 'model.canary.promoted', input.modelId, who, {
        previousVersion: challenger.baseVersion,
        newVersion: input.version,
        metrics: input.metrics,
        outcome: 'promoted',
        reason: input.reason,
        numbers: input.numbers,
      });
    } else {
      await stopChallenger(tx, challenger, { reason: `superseded: ${input.version} was promoted`, numbers: null, versionStatus: 'candidate' }, who);
    }
  }
  if (watch) await tx.finishRollout(watch.id, { status: 'ended', reason: `superseded: ${input.version} was promoted`, numbers: null, at: who.at });
  const activation = await tx.activate({ modelId: input.modelId, toVersion: input.version, action: input.action, reason: input.reason, actor: who.actor, at: who.at, numbers: input.numbers });
  await activationEvents(tx, input.modelId, activation, input.metrics, who);
  if (input.policy.watchHours > 0 && activation.fromVersion !== null) {
    await tx.createRollout({
      modelId: input.modelId,
      kind: 'watch',
      mode: null,
      version: input.version,
      baseVersion: activation.fromVersion,
      share: null,
      startedAt: who.at,
      endsAt: new Date(who.at.getTime() + input.policy.watchHours * HOUR),
    });
  }
  await event(tx, 'model.promoted', input.modelId, who, {
    previousVersion: activation.fromVersion,
    newVersion: input.version,
    metrics: input.metrics,
    reason: input.reason,
    forced: input.action === 'force-promote',
    ...(input.numbers ? { numbers: input.numbers } : {}),
  });
  return activation;
}

/** Make an earlier version active again; a running canary or shadow stops and a running watch ends. */
export async function rollback(
  tx: RegistryStore & RolloutStore & OutboxStore,
  input: {
    modelId: string;
    target: string;
    reason: string;
    numbers: Readonly<Record<string, unknown>> | null;
    metrics: Metrics | null;
    automatic: boolean;
    /** The watch this rollback decides: when it is no longer running, someone else decided first. */
    watchId?: number;
  },
  who: Actor,
): Promise<Activation> {
  const model = await tx.lockModel(input.modelId);
  const { challenger, watch } = await tx.runningRollouts(input.modelId);
  if (input.watchId !== undefined && watch?.id !== input.watchId) throw new RolloutConflict(`watch ${input.watchId} is no longer running`);
  if (model?.activeVersion === input.target) throw new RolloutConflict(`${input.target} is already active`);
  await assertRetained(tx, input.modelId, input.target);
  if (challenger) await stopChallenger(tx, challenger, { reason: `stopped: the model was rolled back to ${input.target}`, numbers: null, versionStatus: 'candidate' }, who);
  if (watch) {
    const ok = await tx.finishRollout(watch.id, { status: input.automatic ? 'rolled-back' : 'ended', reason: input.reason, numbers: input.numbers, at: who.at });
    if (!ok && input.automatic) throw new RolloutConflict(`the watch of ${watch.version} was already decided`);
  }
  const activation = await tx.activate({ modelId: input.modelId, toVersion: input.target, action: 'rollback', reason: input.reason, actor: who.actor, at: who.at, numbers: input.numbers });
  await activationEvents(tx, input.modelId, activation, input.metrics, who);
  await event(tx, 'model.rollback', input.modelId, who, {
    previousVersion: activation.fromVersion,
    newVersion: input.target,
    metrics: input.metrics,
    reason: input.reason,
    automatic: input.automatic,
    ...(input.numbers ? { numbers: input.numbers } : {}),
  });
  return activation;
}
