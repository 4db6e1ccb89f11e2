import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { EventType, Model, Triggers, TriggerCheck } from '../domain/entities.js';
import { primaryMetric } from '../evaluate/metrics.js';
import type { EventHub } from '../events/hub.js';
import { appendEvent, commitWithEvents } from '../events/outbox.js';
import type { Outcome, Store } from '../store/store.js';
import type { PredictorCache } from '../train/predictor-cache.js';
import type { DriftResult } from './drift.js';
import { computeDrift } from './drift.js';
import type { PerformanceWindow } from './performance.js';
import { windowPerformance } from './performance.js';
import type { Verdict } from './triggers.js';
import { driftVerdict, inCooldown, performanceVerdict, rateVerdict } from './triggers.js';

/**
 * Starts a retrain for a model, or with `join` returns the one pending or running, and resolves
 * to its job id. The monitor asks through this callback rather than importing the job queue,
 * which sits above it (the service wires it to the queue's `enqueue`).
 */
export type RequestRetrain = (modelId: string, options: { readonly trigger: 'drift' | 'performance'; readonly force?: boolean; readonly join?: boolean }) => Promise<{ readonly jobId: string }>;

/** What the monitor needs. */
export interface MonitorDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** How a fired trigger starts (or joins) a retrain. */
  readonly requestRetrain: RequestRetrain;
  /** False pauses every trigger-started retrain (the checks still run and are recorded). Default true. */
  readonly automaticRetraining?: boolean;
  /** The process's loaded predictors: a multiclass version's class order, the drift reference's scores. */
  readonly predictors: PredictorCache;
  readonly hub: EventHub;
  readonly logger?: Logger;
  /** Most outcomes a performance report reads (default MAX_OUTCOMES); tests make it small. */
  readonly maxOutcomes?: number;
}

/** One trigger's conclusion in a check, after cooldowns. */
export interface TriggerOutcome {
  readonly kind: TriggerCheck['kind'];
  readonly decision: TriggerCheck['decision'];
  readonly reason: string;
  readonly numbers: Readonly<Record<string, unknown>>;
}

/** Whether a model needs a retrain now, with every trigger's reasoning. */
export interface RetrainNeeded {
  readonly modelId: string;
  readonly checkedAt: string;
  readonly needed: boolean;
  readonly reasons: string[];
  readonly triggers: TriggerOutcome[];
  /** Set when the check started (or joined) a retrain. */
  readonly jobId: string | null;
}

/** Live performance of a model: the baseline of each version and its windows. */
export interface PerformanceReport {
  readonly modelId: string;
  readonly activeVersion: string | null;
  readonly primaryMetric: string;
  readonly windowHours: number;
  readonly baselines: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly windows: PerformanceWindow[];
}

const HOUR = 3_600_000;
/** Most outcomes one performance report reads, over all its windows (see Monitor.performance). */
export const MAX_OUTCOMES = 50_000;
/** Fewest outcomes a window reads, however many windows share MAX_OUTCOMES (366 windows: 36,600 in all). */
export const MIN_WINDOW_OUTCOMES = 100;

/**
 * Watches live results and inputs and decides when a model needs retraining: performance
 * against the version's baseline, the accept-rate window, and drift of inputs and scores. Every
 * check is stored with its numbers and reason; each trigger has a cooldown so that one cause
 * starts one retrain. A fired trigger enqueues a retrain (the policy's minNewLabels still applies:
 * too few new labels gives a `skipped` job with the reason).
 */
export class Monitor {
  constructor(private readonly deps: MonitorDeps) {}

  private async model(modelId: string): Promise<Model> {
    const m = await this.deps.store.getModel(modelId);
    if (!m) throw new Error(`model '${modelId}' vanished`);
    return m;
  }

  /**
   * Live performance per version over `windows` windows of `windowHours` ending now. Each window's
   * numbers come from its most recent outcomes, MAX_OUTCOMES shared by the windows (but at least
   * MIN_WINDOW_OUTCOMES a window): a window that had more says `sampled`. Reading every
   * outcome of a busy model (millions a day) held the server's event loop for minutes and its
   * memory in gigabytes; metrics over the last tens of thousands of outcomes differ from those
   * over all of them by less than their own noise.
   */
  async performance(model: Model, windowHours: number, windows: number): Promise<PerformanceReport> {
    const { store, clock, predictors } = this.deps;
    // Windows end just after now, so feedback recorded this instant counts.
    const end = clock.now().getTime() + 1;
    const windowMs = windowHours * HOUR;
    const most = this.deps.maxOutcomes ?? MAX_OUTCOMES;
    const perWindow = Math.max(Math.min(MIN_WINDOW_OUTCOMES, most), Math.floor(most / windows));
    const read: { hi: number; outcomes: Outcome[]; complete: boolean }[] = [];
    for (let w = windows - 1; w >= 0; w--) {
      const hi = end - w * windowMs;
      const { outcomes, complete } = await store.liveOutcomes(model.spec.id, new Date(hi - windowMs), new Date(hi), perWindow);
      read.push({ hi, outcomes, complete });
    }
    const seen = new Set<string | null>();
    for (const r of read) for (const o of r.outcomes) seen.add(o.version);
    const classes = new Map<string, readonly string[]>();
    if (model.spec.task === 'multiclass') {
      for (const v of seen) {
        if (v !== null) classes.set(v, (await predictors.get(model.spec.id, v)).classes);
      }
    }
    const versions = await store.listVersions(model.spec.id);
    const baselines: Record<string, Record<string, number>> = {};
    for (const v of versions) if (v.status === 'active' || seen.has(v.version)) baselines[v.version] = { ...v.metrics };
    const classesOf = (v: string | null) => (v ? (classes.get(v) ?? []) : []);
    return {
      modelId: model.spec.id,
      activeVersion: model.activeVersion,
      primaryMetric: primaryMetric(model.spec.task),
      windowHours,
      baselines,
      windows: read.flatMap((r) => windowPerformance(model.spec.task, r.outcomes, new Date(r.hi - windowMs), new Date(r.hi), !r.complete, classesOf)),
    };
  }

  /** The drift report of the active version over the most recent scores. */
  async drift(modelId: string): Promise<DriftResult> {
    const model = await this.model(modelId);
    return computeDrift(this.deps, model);
  }

  /**
   * Evaluate every trigger now. With `fire`, store each check, emit events and start a retrain
   * when one fires outside its cooldown; without it (the `retrain-needed` endpoint) only report.
   */
  async check(modelId: string, options: { fire: boolean }): Promise<RetrainNeeded> {
    const { store, clock } = this.deps;
    const model = await this.model(modelId);
    const t: Triggers = model.spec.retrain.triggers;
    const now = clock.now();
    const active = model.activeVersion ? await store.getVersion(modelId, model.activeVersion) : null;
    const primary = primaryMetric(model.spec.task);

    const verdicts: { kind: TriggerCheck['kind']; verdict: Verdict; cooldownHours: number; event: EventType }[] = [];

    // Performance: one window of windowHours for the active version.
    const perf = await this.performance(model, t.performance.windowHours, 1);
    const live = perf.windows.find((w) => w.version === model.activeVersion);
    verdicts.push({
      kind: 'performance',
      verdict: performanceVerdict(t.performance, primary, active?.metrics ?? null, live?.metrics ?? {}, live?.count ?? 0),
      cooldownHours: t.performance.cooldownHours,
      event: 'model.performance.degraded',
    });

    // Rate window: binary models, the active version's accept rate per window.
    if (model.spec.task === 'binary') {
      const rate = await this.performance(model, t.rate.windowHours, t.rate.lastWindows);
      verdicts.push({ kind: 'rate', verdict: rateVerdict(t.rate, rate.windows, model.activeVersion), cooldownHours: t.rate.cooldownHours, event: 'model.performance.degraded' });
    }

    // Drift: fires once a later check within delayHours confirms a detection (see driftVerdict).
    if (!t.drift.enabled) {
      verdicts.push({ kind: 'drift', verdict: { decision: 'disabled', reason: 'the drift trigger is off', numbers: {} }, cooldownHours: t.drift.cooldownHours, event: 'model.drift.detected' });
    } else {
      const report = await computeDrift(this.deps, model);
      let verdict: Verdict;
      if (report.status !== 'ok') verdict = { decision: 'insufficient', reason: report.reason, numbers: { scores: report.currentRows } };
      else {
        const [previous] = report.drifted ? await store.listTriggerChecks(modelId, { kind: 'drift', limit: 1 }) : [];
        verdict = driftVerdict(t.drift, report, previous, now);
      }
      verdicts.push({ kind: 'drift', verdict, cooldownHours: t.drift.cooldownHours, event: 'model.drift.detected' });
    }

    const outcomes: TriggerOutcome[] = [];
    for (const { kind, verdict, cooldownHours } of verdicts) {
      let decision: TriggerCheck['decision'] = verdict.decision;
      let reason = verdict.reason;
      if (decision === 'ok' && verdict.numbers.waiting === true) decision = 'waiting';
      if (decision === 'fire') {
        const [lastFire] = await store.listTriggerChecks(modelId, { kind, decision: 'fire', limit: 1 });
        if (inCooldown(lastFire, cooldownHours, now)) {
          decision = 'cooldown';
          reason = `${reason}; but the ${kind} trigger fired at ${lastFire.checkedAt.toISOString()}, within its ${cooldownHours} h cooldown`;
        }
      }
      outcomes.push({ kind, decision, reason, numbers: verdict.numbers });
    }
    const firing = outcomes.filter((o) => o.decision === 'fire');
    const result: RetrainNeeded = {
      modelId,
      checkedAt: now.toISOString(),
      needed: firing.length > 0,
      reasons: firing.length > 0 ? firing.map((o) => `${o.kind}: ${o.reason}`) : outcomes.map((o) => `${o.kind}: ${o.reason}`),
      triggers: outcomes,
      jobId: null,
    };
    if (!options.fire) return result;
    return this.record(model, result, verdicts.map((v) => v.event));
  }

  private async record(model: Model, checked: RetrainNeeded, events: EventType[]): Promise<RetrainNeeded> {
    let result = checked;
    const { store, clock, requestRetrain, hub, logger } = this.deps;
    const modelId = model.spec.id;
    const now = clock.now();
    let jobId: string | null = null;
    // Automatic retraining switched off (for this model, or for all): the check is recorded, nothing starts.
    const paused = !model.spec.retrain.enabled
      ? 'retraining of this model is switched off (enabled: false)'
      : this.deps.automaticRetraining === false
        ? 'automatic retraining is paused (REFIT_AUTOMATIC_RETRAINING=off or automaticRetraining: false in the config file)'
        : null;
    if (paused) {
      result = {
        ...result,
        triggers: result.triggers.map((o) => (o.decision === 'fire' ? { ...o, decision: 'disabled' as const, reason: `${o.reason}; no retrain started: ${paused}` } : o)),
      };
    }
    const firing = result.triggers.filter((o) => o.decision === 'fire');
    if (firing.length > 0) {
      const trigger = firing.some((o) => o.kind === 'drift') && !firing.some((o) => o.kind !== 'drift') ? 'drift' : 'performance';
      // Drift can make a retrain worth it without new labels, when the spec says so.
      const force = trigger === 'drift' && model.spec.retrain.triggers.drift.force;
      try {
        ({ jobId } = await requestRetrain(modelId, { trigger, join: true, force }));
      } catch (err) {
        logger?.error({ err, modelId }, 'triggered retrain could not be enqueued');
      }
    }
    await commitWithEvents(store, hub, async (tx) => {
      for (let i = 0; i < result.triggers.length; i++) {
        const o = result.triggers[i];
        await tx.insertTriggerCheck({ modelId, kind: o.kind, checkedAt: now, decision: o.decision, reason: o.reason, numbers: o.numbers, jobId: o.decision === 'fire' ? jobId : null });
        const first = o.kind === 'drift' ? o.decision === 'waiting' || o.decision === 'fire' : o.decision === 'fire';
        if (first) {
          await appendEvent(tx, { type: events[i], modelId, at: now, body: { previousVersion: model.activeVersion, newVersion: null, metrics: null, trigger: o.kind, reason: o.reason, numbers: o.numbers } });
        }
      }
      if (jobId !== null) {
        await appendEvent(tx, { type: 'model.retrain.triggered', modelId, runId: jobId, at: now, body: { previousVersion: model.activeVersion, newVersion: null, metrics: null, reasons: result.reasons } });
      }
    });
    return { ...result, jobId };
  }
}
