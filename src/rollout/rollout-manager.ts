import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Activation, Model, Rollout, TimelineEntry } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import type { EventHub } from '../events/hub.js';
import { commitWithEvents } from '../events/outbox.js';
import { requireModel } from '../store/require-model.js';
import type { JobOwnership, Page, Store } from '../store/store.js';
import type { PredictorCache } from '../train/predictor-cache.js';
import type { ArmNumbers, Decision } from './analysis.js';
import { armNumbers, decideChallenger, decideWatch } from './analysis.js';
import type { RetentionReport } from './retention.js';
import { cleanupRetention } from './retention.js';
import { advanceCanary, nextCanaryStep } from './canary-steps.js';
import { RolloutConflict, promote, rollback, stopChallenger } from './transitions.js';

/** A manual change that lost a race with another process is a conflict the client can act on (409), not a server error. */
async function conflictAs<T>(code: 'ROLLBACK_IMPOSSIBLE' | 'PROMOTION_IMPOSSIBLE' | 'ROLLOUT_NOT_RUNNING', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RolloutConflict) throw new RefitError(code, `The model changed meanwhile: ${err.message}. Look at the model's timeline and try again.`, { cause: err });
    throw err;
  }
}

/** What the rollout manager needs. */
export interface RolloutDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: EventHub;
  /** The process's loaded predictors (shared with the scorer): a version is loaded here before it becomes active. */
  readonly predictors: PredictorCache;
  readonly logger?: Logger;
  /** The owner id recorded on this process's promotion and rollback intents. Default: none. */
  readonly owner?: string;
  /** Most labels an evaluation reads the outcomes of (default MAX_ROLLOUT_OUTCOMES); tests make it small. */
  readonly maxOutcomes?: number;
  /** Most scoring attempts an evaluation reads (default MAX_ROLLOUT_SCORES); tests make it small. */
  readonly maxScores?: number;
}

/** Most labels a rollout evaluation reads the outcomes of: the most recently received. */
export const MAX_ROLLOUT_OUTCOMES = 50_000;
/** Most scoring attempts a rollout evaluation counts: the most recent. */
export const MAX_ROLLOUT_SCORES = 100_000;

/** A running canary or shadow with its live analysis. */
export interface ChallengerEvaluation extends Decision<'promote' | 'abort' | 'continue'> {
  readonly rollout: Rollout;
}

/** A running watch with its live analysis. */
export interface WatchEvaluation extends Decision<'rollback' | 'pass' | 'continue'> {
  readonly rollout: Rollout;
}

/** One evaluation of a model's rollouts: what was concluded and whether it was acted on. */
export interface RolloutEvaluation {
  readonly modelId: string;
  readonly evaluatedAt: string;
  readonly activeVersion: string | null;
  readonly challenger: ChallengerEvaluation | null;
  readonly watch: WatchEvaluation | null;
  /** True when the decisions were carried out (the periodic check), false for a read-only look. */
  readonly applied: boolean;
}

/**
 * Runs canaries, shadows and the watch after a promotion: compares the arms on the traffic each
 * served, promotes or stops challengers, rolls back a promoted version whose live numbers fall,
 * and carries out manual promotions and rollbacks. Every change commits in one transaction with
 * its timeline row and outbox event; promotions and rollbacks also leave an intent row, committed
 * before and removed inside that transaction, so a crash mid-change is visible after restart.
 */
export class RolloutManager {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: RolloutDeps) {}

  /** Run `fn` after any other change of the same model in this process has finished. */
  private serial<T>(modelId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(modelId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(modelId, next);
    void next.finally(() => {
      if (this.locks.get(modelId) === next) this.locks.delete(modelId);
    }).catch(() => {});
    return next;
  }

  private model(modelId: string): Promise<Model> {
    return requireModel(this.deps.store, modelId);
  }

  private async classes(modelId: string, version: string | null): Promise<readonly string[]> {
    if (version === null) return [];
    try {
      return (await this.deps.predictors.get(modelId, version)).classes;
    } catch {
      return [];
    }
  }

  /**
   * The live numbers of each of `versions` in `rollout` (outcomes and serving stats read once for
   * all of them): from the outcomes of its most recent MAX_ROLLOUT_OUTCOMES labels and
   * MAX_ROLLOUT_SCORES scoring attempts (more when the policy's minimums ask for more), so a check
   * costs the same after a day of traffic as after a minute; `sampled` says the bound was reached.
   */
  private async arms(model: Model, versions: readonly string[], rollout: Rollout): Promise<ArmNumbers[]> {
    const { store } = this.deps;
    const policy = model.spec.retrain.rollout;
    const outcomeLimit = Math.max(this.deps.maxOutcomes ?? MAX_ROLLOUT_OUTCOMES, policy.minLabels, policy.rollback.minLabels);
    const scoreLimit = Math.max(this.deps.maxScores ?? MAX_ROLLOUT_SCORES, policy.minScores);
    const [outcomes, serving] = await Promise.all([
      store.rolloutOutcomes(model.spec.id, rollout.startedAt, { afterLabelId: rollout.labelsAfterId, limit: outcomeLimit, shadow: rollout.mode === 'shadow' }),
      store.servingStats(model.spec.id, rollout.startedAt, scoreLimit),
    ]);
    const sampled = !outcomes.complete || !serving.complete;
    return Promise.all(
      versions.map(async (version) => {
        const classes = model.spec.task === 'multiclass' ? await this.classes(model.spec.id, version) : [];
        return { ...armNumbers(model.spec.task, version, outcomes.outcomes, serving.stats, classes), sampled };
      }),
    );
  }

  /** The running rollouts of a model with their live numbers and what an evaluation would decide now. */
  async inspect(modelId: string): Promise<RolloutEvaluation> {
    const model = await this.model(modelId);
    const now = this.deps.clock.now();
    const { challenger, watch } = await this.deps.store.runningRollouts(modelId);
    const policy = model.spec.retrain.rollout;
    let c: ChallengerEvaluation | null = null;
    if (challenger && challenger.baseVersion !== null) {
      const [champ, chal] = await this.arms(model, [challenger.baseVersion, challenger.version], challenger);
      c = { rollout: challenger, ...decideChallenger(model.spec.task, policy, champ, chal, { now, endsAt: challenger.endsAt }) };
    }
    let w: WatchEvaluation | null = null;
    if (watch) {
      const [watched] = await this.arms(model, [watch.version], watch);
      w = { rollout: watch, ...decideWatch(policy, watched, { now, endsAt: watch.endsAt }) };
    }
    return { modelId, evaluatedAt: now.toISOString(), activeVersion: model.activeVersion, challenger: c, watch: w, applied: false };
  }

  /**
   * Evaluate the model's rollouts and act: promote or stop a challenger, roll back or release a
   * watched version. Called by the periodic checks (and `POST …/rollout/evaluate`).
   */
  evaluate(modelId: string): Promise<RolloutEvaluation> {
    return this.serial(modelId, async () => {
      const { store, clock } = this.deps;
      const first = await this.inspect(modelId);
      const model = await this.model(modelId);
      const policy = model.spec.retrain.rollout;
      const at = clock.now();
      const who = { actor: 'rollout:evaluator', at };
      // The watch first: a falling champion is rolled back before any challenger is judged against it.
      if (first.watch?.decision === 'rollback') {
        const w = first.watch;
        if (w.rollout.baseVersion !== null && model.activeVersion === w.rollout.version) {
          await this.guard(() => this.doRollback(model, w.rollout.baseVersion as string, { reason: `automatic rollback: ${w.reason}`, numbers: w.numbers, automatic: true, watchId: w.rollout.id }, who));
          return { ...(await this.inspect(modelId)), applied: true };
        }
      } else if (first.watch?.decision === 'pass') {
        const w = first.watch;
        await store.transaction(async (tx) => {
          if (!(await tx.finishRollout(w.rollout.id, { status: 'passed', reason: w.reason, numbers: w.numbers, at }))) return;
          await tx.appendTimeline({ modelId, at, action: 'watch.passed', version: w.rollout.version, fromVersion: w.rollout.baseVersion, actor: who.actor, reason: w.reason, numbers: w.numbers });
        });
      }
      const c = first.challenger;
      const nextStep = c?.decision === 'promote' ? nextCanaryStep(policy, c.rollout) : null;
      if (c && nextStep !== null) {
        // A gradual canary: this step passed, so the next one starts (its analysis from scratch).
        await this.guard(() => commitWithEvents(store, this.deps.hub, (tx) => advanceCanary(tx, c.rollout, nextStep, { reason: c.reason, numbers: c.numbers, policy }, who)));
      } else if (c?.decision === 'promote') {
        const v = await store.getVersion(modelId, c.rollout.version);
        await this.guard(() => this.doPromote(model, c.rollout.version, { action: 'promote', reason: `${c.rollout.mode} passed: ${c.reason}`, numbers: c.numbers, metrics: v?.metrics ?? null, rolloutId: c.rollout.id }, who, policy));
      } else if (c?.decision === 'abort') {
        await this.guard(() =>
          commitWithEvents(store, this.deps.hub, (tx) => stopChallenger(tx, c.rollout, { reason: `${c.rollout.mode} failed: ${c.reason}`, numbers: c.numbers, versionStatus: 'rejected' }, who)),
        );
      }
      return { ...first, applied: true };
    });
  }

  /** A conflict means another process decided first: nothing to do. */
  private async guard(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof RolloutConflict) {
        this.deps.logger?.info({ err }, 'rollout decided elsewhere');
        return;
      }
      throw err;
    }
  }

  private async doPromote(
    model: Model,
    version: string,
    input: { action: 'promote' | 'force-promote'; reason: string; numbers: Readonly<Record<string, unknown>> | null; metrics: Readonly<Record<string, number>> | null; rolloutId?: number },
    who: { actor: string; at: Date },
    policy = model.spec.retrain.rollout,
  ): Promise<Activation> {
    const { store, hub, predictors } = this.deps;
    const modelId = model.spec.id;
    // Load it first (into the serving cache): a version whose artifact is gone or corrupt must not become active.
    await predictors.get(modelId, version);
    const intent = await store.beginIntent({ modelId, action: input.action, version, fromVersion: model.activeVersion, actor: who.actor, reason: input.reason, startedAt: who.at, owner: this.deps.owner ?? null });
    const activation = await this.carryOut(model, intent, `${input.action} to ${version}`, who, (tx) => promote(tx, { modelId, version, policy, ...input }, who));
    hub.emit('model:activated', { modelId, version });
    return activation;
  }

  private async doRollback(
    model: Model,
    target: string,
    input: { reason: string; numbers: Readonly<Record<string, unknown>> | null; automatic: boolean; watchId?: number },
    who: { actor: string; at: Date },
  ): Promise<Activation> {
    const { store, hub, predictors } = this.deps;
    const modelId = model.spec.id;
    await predictors.get(modelId, target);
    const v = await store.getVersion(modelId, target);
    const intent = await store.beginIntent({ modelId, action: 'rollback', version: target, fromVersion: model.activeVersion, actor: who.actor, reason: input.reason, startedAt: who.at, owner: this.deps.owner ?? null });
    const activation = await this.carryOut(model, intent, `rollback to ${target}`, who, (tx) => rollback(tx, { modelId, target, metrics: v?.metrics ?? null, ...input }, who));
    hub.emit('model:activated', { modelId, version: target });
    return activation;
  }

  /**
   * Run a change in one transaction that also removes its intent. When it fails in a running
   * process, the failure goes on the timeline at once; when the process dies, the intent stays
   * and `recover()` records it at the next start.
   */
  private async carryOut(model: Model, intent: number, what: string, who: { actor: string; at: Date }, change: (tx: Store) => Promise<Activation>): Promise<Activation> {
    const { store, logger } = this.deps;
    try {
      return await commitWithEvents(store, this.deps.hub, async (tx) => {
        const a = await change(tx);
        await tx.clearIntent(intent);
        return a;
      });
    } catch (err) {
      try {
        await store.transaction(async (tx) => {
          await tx.clearIntent(intent);
          // Another process deciding first is not a failure worth a timeline row.
          if (err instanceof RolloutConflict) return;
          await tx.appendTimeline({
            modelId: model.spec.id,
            at: who.at,
            action: 'failed',
            version: null,
            fromVersion: model.activeVersion,
            actor: who.actor,
            reason: `the ${what} failed and was not made (${err instanceof Error ? err.message : String(err)}); ${model.activeVersion ?? 'no version'} stays active`,
            numbers: null,
          });
        });
      } catch (inner) {
        logger?.warn({ err: inner }, 'could not record a failed rollout change; recover() will');
      }
      throw err;
    }
  }

  /**
   * Make an earlier version active again: the given one, or by default the version that was
   * active before the current one. Stops a running canary or shadow and ends the watch.
   */
  manualRollback(modelId: string, version: string | undefined, options: { actor: string; reason?: string }): Promise<Activation> {
    return this.serial(modelId, async () => {
      const model = await this.model(modelId);
      let target = version;
      if (target === undefined) {
        const history = await this.deps.store.listActivations(modelId);
        target = history.find((a) => a.toVersion === model.activeVersion)?.fromVersion ?? undefined;
        if (!target) throw new RefitError('ROLLBACK_IMPOSSIBLE', `Model '${modelId}' has no earlier version to roll back to.`);
      }
      const v = await this.deps.store.getVersion(modelId, target);
      if (!v) throw new RefitError('VERSION_NOT_FOUND', `Model '${modelId}' has no version '${target}'.`);
      if (target === model.activeVersion) throw new RefitError('ROLLBACK_IMPOSSIBLE', `Version '${target}' is already active.`);
      const reason = options.reason ?? (version ? `rollback to ${target} requested` : 'rollback to the previous version requested');
      return conflictAs('ROLLBACK_IMPOSSIBLE', () => this.doRollback(model, target, { reason, numbers: null, automatic: false }, { actor: options.actor, at: this.deps.clock.now() }));
    });
  }

  /** Promote any retained version now, whatever its gates or a running canary say; the reason is recorded. */
  forcePromote(modelId: string, version: string, options: { actor: string; reason: string }): Promise<Activation> {
    return this.serial(modelId, async () => {
      const model = await this.model(modelId);
      const v = await this.deps.store.getVersion(modelId, version);
      if (!v) throw new RefitError('VERSION_NOT_FOUND', `Model '${modelId}' has no version '${version}'.`);
      if (model.activeVersion === version) throw new RefitError('PROMOTION_IMPOSSIBLE', `Version '${version}' is already active.`);
      return conflictAs('PROMOTION_IMPOSSIBLE', () =>
        this.doPromote(model, version, { action: 'force-promote', reason: `forced: ${options.reason}`, numbers: null, metrics: v.metrics }, { actor: options.actor, at: this.deps.clock.now() }),
      );
    });
  }

  /** Stop the running canary or shadow by hand; the champion keeps serving. */
  abort(modelId: string, options: { actor: string; reason: string }): Promise<Rollout> {
    return this.serial(modelId, async () => {
      await this.model(modelId);
      const { challenger } = await this.deps.store.runningRollouts(modelId);
      if (!challenger) throw new RefitError('ROLLOUT_NOT_RUNNING', `Model '${modelId}' has no canary or shadow running.`);
      const at = this.deps.clock.now();
      const reason = `stopped by hand: ${options.reason}`;
      await conflictAs('ROLLOUT_NOT_RUNNING', () =>
        commitWithEvents(this.deps.store, this.deps.hub, (tx) => stopChallenger(tx, challenger, { reason, numbers: null, versionStatus: 'candidate' }, { actor: options.actor, at })),
      );
      // The rollout as it is now: stopped, with when and why.
      const stopped = (await this.deps.store.listRollouts(modelId, 20)).find((r) => r.id === challenger.id);
      return stopped ?? { ...challenger, status: 'aborted', finishedAt: at, reason };
    });
  }

  /** Run retention for a model now. */
  cleanup(modelId: string, actor: string): Promise<RetentionReport> {
    return this.serial(modelId, async () => {
      await this.model(modelId);
      return cleanupRetention(this.deps, modelId, actor);
    });
  }

  /** A model's timeline, newest first. */
  async timeline(modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>> {
    await this.model(modelId);
    return this.deps.store.listTimeline(modelId, page);
  }

  /**
   * Recovery: promotions and rollbacks that a stopped process began but never committed are
   * written to the timeline as interrupted (the change itself rolled back with its transaction,
   * so the version active before it still is, and a running canary is decided again at the next
   * check). `isOrphan` says whether an intent's owner is gone; a live process's change in
   * progress is left alone.
   */
  async recover(isOrphan: (intent: JobOwnership) => boolean = () => true): Promise<TimelineEntry[]> {
    const { store, clock } = this.deps;
    const out: TimelineEntry[] = [];
    for (const intent of await store.listIntents()) {
      if (!isOrphan({ owner: intent.owner, heartbeatAt: intent.startedAt })) continue;
      const model = await store.getModel(intent.modelId);
      const entry = await store.transaction(async (tx) => {
        const e = await tx.appendTimeline({
          modelId: intent.modelId,
          at: clock.now(),
          action: 'interrupted',
          version: intent.version,
          fromVersion: intent.fromVersion,
          actor: 'recovery',
          reason: `the process stopped during the ${intent.action} to ${intent.version} begun at ${intent.startedAt.toISOString()} by ${intent.actor} (${intent.reason}); it did not commit, so ${model?.activeVersion ?? 'no version'} stays active`,
          numbers: { intentAction: intent.action, startedAt: intent.startedAt.toISOString(), activeVersion: model?.activeVersion ?? null },
        });
        await tx.clearIntent(intent.id);
        return e;
      });
      out.push(entry);
    }
    return out;
  }
}
