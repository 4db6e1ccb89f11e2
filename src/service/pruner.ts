import type { Logger } from 'pino';
import type { AuditWriter } from '../auth/audit.js';
import type { Clock } from '../domain/clock.js';
import { type DataRetentionPolicy, type ModelPruneResult, type PruneResult, type SpaceSnapshot, retentionPlan } from '../domain/data-retention.js';
import { toPruneResultWire } from '../contract/storage-mappers.js';
import { RefitError } from '../errors.js';
import type { EventHub } from '../events/hub.js';
import type { LabelPruneRule, PruneBatch, PruneBatchResult, ScorePruneRule, Store } from '../store/store.js';

/** The id the periodic prune claims its occurrences under (the scheduler's compare-and-set): one process prunes per interval. */
export const PRUNE_CLAIM_ID = 'refit:storage-prune';

/** Delay of the first periodic prune after `start()`, so that start-up is not slowed. Default 60 s. */
export const PRUNE_START_DELAY_MS = 60_000;

/** Free pages given back per step where SQLite allows it (auto_vacuum=incremental): 4 MiB of 4 KiB pages. */
const RECLAIM_PAGES = 1_024;

/** The tables a prune may touch. */
export type PrunableTable = 'scores' | 'labels';

/** One prune to run. */
export interface PruneRequest {
  readonly trigger: 'schedule' | 'manual';
  /** Count what would go, delete nothing. Default false. */
  readonly dryRun?: boolean;
  /** Which tables. Default both. */
  readonly tables?: readonly PrunableTable[];
  /** Who asked (manual prunes): recorded in the audit trail. Default null. */
  readonly requestedBy?: string | null;
}

/** What retention would delete of one model now: the rules the store applies, and why they are where they are. */
export interface EffectiveRetention {
  readonly modelId: string;
  /** Null: no score of the model may go. */
  readonly scores: { readonly rule: ScorePruneRule | null; readonly reasons: readonly string[] };
  /** Null: no label of the model may go. */
  readonly labels: { readonly rule: LabelPruneRule | null; readonly reasons: readonly string[] };
}

/** What the pruner needs. */
export interface PrunerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly hub: EventHub;
  /** Where each prune that deleted rows is recorded (actor `retention`). */
  readonly audit: AuditWriter;
  readonly policy: DataRetentionPolicy;
  readonly logger?: Logger;
  /** Monotonic milliseconds for the duration of a prune. Default performance.now. */
  readonly stopwatch?: () => number;
  /** Waits between two delete statements, given how long the last one took (ms). Default `defaultPause`: as long again, at most 100 ms. */
  readonly pause?: (statementMs: number) => Promise<void>;
}

const day = (d: Date) => d.toISOString();
const count = (n: number) => n.toLocaleString('en-US');
/** Lets requests queued behind a delete run before the next one (SQLite's statements are synchronous). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Longest pause between two delete statements, in ms. */
const MAX_PAUSE_MS = 100;

/**
 * The pause after a statement that took `ms`: as long again (at most 100 ms), so that a prune
 * takes at most about half of the event loop (and of SQLite's writer) while it runs. A real timer,
 * not the clock's: it shares the CPU, it is not a time of the business.
 */
export function defaultPause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, Math.min(MAX_PAUSE_MS, Math.max(0, ms))));
}

/** `198.2 MB`: bytes for a log line. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Deletes scores and labels older than the retention ages, never what live metrics, drift, a
 * running rollout or a training window still reads (see `retentionPlan`). Deletes go in
 * statements of at most `batchRows` rows, each its own short transaction, with a pause as long as
 * the statement between them, so that scoring keeps its turn on SQLite's single writer and thread.
 * Periodically (`start`), one process per interval prunes (it claims the interval's occurrence in
 * the store, as the scheduler claims its schedules), and a store-wide lock (PostgreSQL: an
 * advisory lock) keeps two prunes from overlapping. Time comes from the injected clock.
 */
export class Pruner {
  #running: Promise<PruneResult> | null = null;
  #cancelTimer: (() => void) | null = null;
  #stopping = false;
  #last: PruneResult | null = null;
  #nextAt: Date | null = null;

  constructor(private readonly deps: PrunerDeps) {}

  /** The retention ages and timing in force. */
  get policy(): DataRetentionPolicy {
    return this.deps.policy;
  }

  /** The last prune this process ran (dry runs aside); null before the first. */
  get last(): PruneResult | null {
    return this.#last;
  }

  /** When this process's next periodic prune is due; null when it prunes on no timer. */
  get nextAt(): Date | null {
    return this.#nextAt;
  }

  /** True when pruning would delete nothing whatever the data: both retention ages are off. */
  get off(): boolean {
    return this.deps.policy.scoresDays === null && this.deps.policy.labelsDays === null;
  }

  /** What each model's retention allows now, with the drift and training windows' edges read from the store. */
  async effective(now: Date = this.deps.clock.now()): Promise<EffectiveRetention[]> {
    const { store, policy } = this.deps;
    const [models, running] = await Promise.all([store.listModels(), store.listRunningRollouts()]);
    const out: EffectiveRetention[] = [];
    for (const model of models) {
      const plan = retentionPlan(
        model,
        running.filter((r) => r.modelId === model.spec.id),
        policy,
        now,
      );
      let scores: EffectiveRetention['scores'] = { rule: null, reasons: plan.scores.reasons };
      if (plan.scores.pruneBefore !== null) {
        let before = plan.scores.pruneBefore;
        const reasons = [...plan.scores.reasons];
        const edge = await store.newestScoresEdge(model.spec.id, plan.scores.keepNewest);
        if (edge === null) {
          reasons.push(`the model has fewer than ${count(plan.scores.keepNewest)} served scores: every one is in the drift window`);
          scores = { rule: null, reasons };
        } else {
          if (edge.getTime() < before.getTime()) {
            reasons.push(`kept from ${day(edge)}: the drift window (the newest ${count(plan.scores.keepNewest)} served scores) reaches back to then`);
            before = edge;
          }
          scores = { rule: { before, keepLabelledSince: plan.scores.keepLabelledSince }, reasons };
        }
      }
      let labels: EffectiveRetention['labels'] = { rule: null, reasons: plan.labels.reasons };
      if (plan.labels.pruneBefore !== null) {
        const reasons = [...plan.labels.reasons];
        let belowId: number | null = null;
        if (plan.labels.keepNewest !== null) belowId = await store.newestLabelsEdge(model.spec.id, plan.labels.keepNewest);
        if (plan.labels.keepNewest !== null && belowId === null) {
          reasons.push(`the model has fewer than ${count(plan.labels.keepNewest)} labels: all of them train`);
          labels = { rule: null, reasons };
        } else {
          labels = { rule: { before: plan.labels.pruneBefore, belowId }, reasons };
        }
      }
      out.push({ modelId: model.spec.id, scores, labels });
    }
    return out;
  }

  /**
   * Prune now. A dry run counts what would go and deletes nothing. PRUNE_IN_PROGRESS when a prune
   * runs already, in this process or (PostgreSQL) in another one.
   */
  prune(request: PruneRequest): Promise<PruneResult> {
    if (this.#running) {
      return Promise.reject(new RefitError('PRUNE_IN_PROGRESS', 'A prune is running in this process; its result will be in GET /api/v1/storage when it ends.'));
    }
    const run = (request.dryRun ? this.#execute(request) : this.#locked(request)).then(
      (result) => {
        // Announced once it has ended, so that a listener may start the next one.
        this.#running = null;
        if (result.dryRun) this.deps.logger?.debug({ prune: toPruneResultWire(result) }, 'retention dry run');
        else this.#report(result);
        return result;
      },
      (err: unknown) => {
        this.#running = null;
        throw err;
      },
    );
    this.#running = run;
    return run;
  }

  async #locked(request: PruneRequest): Promise<PruneResult> {
    const outcome = await this.deps.store.withPruneLock(() => this.#execute(request));
    if (!outcome.acquired) throw new RefitError('PRUNE_IN_PROGRESS', 'Another Refit process is pruning this database; its result is in the audit trail (action storage.prune) when it ends.');
    return outcome.value;
  }

  async #execute(request: PruneRequest): Promise<PruneResult> {
    const { store, clock, policy } = this.deps;
    const stopwatch = this.deps.stopwatch ?? (() => performance.now());
    const pause = this.deps.pause ?? defaultPause;
    const dryRun = request.dryRun ?? false;
    const tables = new Set<PrunableTable>(request.tables ?? ['scores', 'labels']);
    const startedAt = clock.now();
    const t0 = stopwatch();
    const before = await store.spaceSnapshot();
    let batches = 0;
    let interrupted = false;
    const models: ModelPruneResult[] = [];
    // Delete in statements of at most batchRows rows, each from where the last stopped, until one comes back short.
    const drain = async (step: (batch: PruneBatch) => Promise<PruneBatchResult>): Promise<number> => {
      let total = 0;
      let from: Date | null = null;
      for (;;) {
        if (this.#stopping) {
          interrupted = true;
          return total;
        }
        const started = stopwatch();
        const done = await step({ limit: policy.batchRows, from });
        batches++;
        total += done.deleted;
        if (done.deleted < policy.batchRows) return total;
        from = done.last;
        await pause(stopwatch() - started);
      }
    };
    if (!dryRun) await store.ensureStatistics();
    for (const e of await this.effective(startedAt)) {
      if (interrupted) break;
      let scoresDeleted = 0;
      let labelsDeleted = 0;
      const scoreRule = tables.has('scores') ? e.scores.rule : null;
      const labelRule = tables.has('labels') ? e.labels.rule : null;
      if (scoreRule) {
        scoresDeleted = dryRun ? await store.countPrunableScores(e.modelId, scoreRule) : await drain((batch) => store.pruneScores(e.modelId, scoreRule, batch));
      }
      if (labelRule && !interrupted) {
        labelsDeleted = dryRun ? await store.countPrunableLabels(e.modelId, labelRule) : await drain((batch) => store.pruneLabels(e.modelId, labelRule, batch));
      }
      if (scoresDeleted > 0 || labelsDeleted > 0) {
        models.push({ modelId: e.modelId, scoresDeleted, labelsDeleted, scoresBefore: scoreRule?.before ?? null, labelsBefore: labelRule?.before ?? null });
      }
    }
    let reclaimedBytes = 0;
    if (!dryRun && models.length > 0) {
      // Only where the database allows it without a VACUUM (SQLite auto_vacuum=incremental), a step at a time.
      for (;;) {
        const bytes = await store.reclaimFreePages(RECLAIM_PAGES);
        reclaimedBytes += bytes;
        if (bytes === 0 || this.#stopping) break;
        await yieldToEventLoop();
      }
    }
    const after = dryRun ? before : await store.spaceSnapshot();
    const result: PruneResult = {
      trigger: request.trigger,
      requestedBy: request.requestedBy ?? null,
      dryRun,
      startedAt,
      finishedAt: clock.now(),
      durationMs: Math.round((stopwatch() - t0) * 10) / 10,
      scoresDeleted: models.reduce((a, m) => a + m.scoresDeleted, 0),
      labelsDeleted: models.reduce((a, m) => a + m.labelsDeleted, 0),
      batches,
      interrupted,
      models,
      before,
      after,
      reclaimedBytes,
    };
    return result;
  }

  /** Remember, log (info only when rows went), audit and announce a prune. */
  #report(result: PruneResult): void {
    const { logger, audit, hub } = this.deps;
    this.#last = result;
    const deleted = result.scoresDeleted + result.labelsDeleted;
    if (deleted > 0) {
      logger?.info(
        { prune: toPruneResultWire(result) },
        `retention pruned ${count(result.scoresDeleted)} scores and ${count(result.labelsDeleted)} labels in ${(result.durationMs / 1000).toFixed(1)} s` +
          `${result.interrupted ? ' (stopped early: the process is closing)' : ''}; database ${space(result.after)}`,
      );
    } else {
      logger?.debug({ prune: toPruneResultWire(result) }, 'retention found nothing to prune');
    }
    // The audit trail keeps who deleted what (a manual prune is recorded even when nothing went).
    if (deleted > 0 || result.trigger === 'manual') audit.write({ actor: 'retention', action: 'storage.prune', detail: toPruneResultWire(result) });
    hub.emit('storage:pruned', { result });
  }

  /**
   * The periodic prune, once: claim this interval's occurrence (so that one process of several
   * prunes it) and prune. Returns the result, or null when there was nothing to do, another
   * process had claimed the interval, or a prune was running. Never throws: failures are logged.
   */
  async tick(): Promise<PruneResult | null> {
    const { store, clock, policy, logger } = this.deps;
    if (this.off || this.#running) return null;
    const now = clock.now();
    const slot = new Date(Math.floor(now.getTime() / policy.intervalMs) * policy.intervalMs);
    try {
      if (!(await store.claimOccurrence(PRUNE_CLAIM_ID, slot))) {
        logger?.debug({ slot: slot.toISOString() }, 'retention: another process prunes this interval');
        return null;
      }
      return await this.prune({ trigger: 'schedule' });
    } catch (err) {
      if (err instanceof RefitError && err.code === 'PRUNE_IN_PROGRESS') {
        logger?.debug('retention: a prune is already running');
        return null;
      }
      logger?.error({ err }, 'retention prune failed; it is tried again at the next interval');
      return null;
    }
  }

  /** Prune on the clock: first after `firstDelayMs`, then every interval (a prune still running when the next is due makes that one skip). Does nothing when both ages are off. */
  start(firstDelayMs: number = PRUNE_START_DELAY_MS): void {
    this.#stopping = false;
    if (this.off) return;
    this.#arm(firstDelayMs);
  }

  #arm(delayMs: number): void {
    const { clock, logger } = this.deps;
    this.#cancelTimer?.();
    this.#nextAt = new Date(clock.now().getTime() + delayMs);
    this.#cancelTimer = clock.setTimeout(() => {
      // The next one is planned first, so the rhythm holds however long this prune takes.
      this.#arm(this.deps.policy.intervalMs);
      this.tick().catch((err: unknown) => logger?.error({ err }, 'retention prune failed'));
    }, delayMs);
  }

  /** Stop the timer; a prune under way stops after its current statement. Resolves once it has. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#nextAt = null;
    await this.#running?.catch(() => {});
  }
}

function space(s: SpaceSnapshot): string {
  return s.freeBytes === null ? formatBytes(s.databaseBytes) : `${formatBytes(s.databaseBytes)}, ${formatBytes(s.freeBytes)} of it free for reuse`;
}
