import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { Model, ScheduleConfig } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import type { RegistryStore } from '../store/roles/registry-store.js';
import type { ScheduleStore } from '../store/roles/schedule-store.js';
import type { JobQueue } from './runner.js';
import type { Schedule } from './schedule.js';
import { dueRun, nextRunAfter, parseSchedule } from './schedule.js';

/** One schedule the scheduler runs: a model's own (from its spec) or an extra one. */
export interface ScheduleEntry {
  /** `<modelId>/default` for the spec's schedule; the schedule's id otherwise. */
  readonly id: string;
  readonly modelId: string;
  /** `retrain` starts a retrain; `check` runs the monitor's trigger checks. */
  readonly kind: 'retrain' | 'check';
  /** True for the schedules that come from the model's spec (its retrain schedule and its checks). */
  readonly isDefault: boolean;
  readonly config: ScheduleConfig;
  /** Normalised, with the zone resolved (the server's when the config names none). */
  readonly schedule: Schedule;
  readonly createdAt: Date;
}

/** What one tick decided for one schedule. */
export interface TickDecision {
  readonly scheduleId: string;
  readonly modelId: string;
  readonly occurrence: string | null;
  readonly missed: number;
  /** `started` a job, `in-progress` (a retrain was already pending or running), `missed`, `claimed-elsewhere`, or `paused` (automatic retraining is off). */
  readonly outcome: 'started' | 'in-progress' | 'missed' | 'claimed-elsewhere' | 'paused';
  readonly jobId: string | null;
}

/** What the scheduler needs. */
export interface SchedulerDeps {
  readonly store: ScheduleStore & RegistryStore;
  readonly clock: Clock;
  readonly queue: JobQueue;
  /** IANA zone for schedules that name none: the server's. */
  readonly defaultTimezone: string;
  readonly logger?: Logger;
  /** How late an occurrence may start and still count as on time. Default 60,000 ms. */
  readonly graceMs?: number;
  /** Longest sleep between checks, so config changes elsewhere are seen. Default 300,000 ms. */
  readonly maxSleepMs?: number;
  /** Runs a model's trigger checks (the monitor) when its check schedule is due. Default: none. */
  readonly onCheck?: (modelId: string) => Promise<unknown>;
  /** False pauses scheduled retrains: due occurrences are claimed and recorded as `paused`. Default true. */
  readonly automaticRetraining?: boolean;
}

/** The id of a model's trigger-check schedule. */
export function checkScheduleId(modelId: string): string {
  return `${modelId}/checks`;
}

/** The id of a model's own schedule. */
export function defaultScheduleId(modelId: string): string {
  return `${modelId}/default`;
}

/** A model's own schedule config, from its spec. */
export function specScheduleConfig(model: Model): ScheduleConfig {
  const r = model.spec.retrain;
  return { schedule: r.schedule, timezone: r.timezone, enabled: r.enabled, catchUp: r.catchUp };
}

/**
 * Decides when scheduled retrains start (the pipeline decides what they do). Each tick compares
 * every schedule's occurrences with the last one recorded and claims a due occurrence with a
 * compare-and-set in the store before enqueuing, so an occurrence never runs twice, even with
 * several processes or after a restart. Time comes from the injected clock; tests call `tick()`.
 */
export class Scheduler {
  private cancelTimer: (() => void) | null = null;
  private running = false;
  private ticking: Promise<TickDecision[]> | null = null;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Normalise a schedule config with the server's zone as the default. */
  resolve(config: ScheduleConfig): Schedule {
    const parsed = parseSchedule(
      { schedule: config.schedule, enabled: config.enabled, catchUp: config.catchUp, ...(config.timezone ? { timezone: config.timezone } : {}) },
      this.deps.defaultTimezone,
    );
    if (!parsed.ok) throw new RefitError('VALIDATION_FAILED', 'Invalid schedule.', { errors: parsed.problems });
    return parsed.schedule;
  }

  /** Every schedule: each model's own, then the extra ones. */
  async entries(modelId?: string): Promise<ScheduleEntry[]> {
    const { store } = this.deps;
    const models = modelId === undefined ? await store.listModels() : [await store.getModel(modelId)].filter((m): m is Model => m !== null);
    const out: ScheduleEntry[] = [];
    for (const m of models) {
      const config = specScheduleConfig(m);
      out.push({ id: defaultScheduleId(m.spec.id), modelId: m.spec.id, kind: 'retrain', isDefault: true, config, schedule: this.resolve(config), createdAt: m.createdAt });
      const checks: ScheduleConfig = { schedule: m.spec.retrain.triggers.checkSchedule, timezone: m.spec.retrain.timezone, enabled: true, catchUp: 'skip' };
      out.push({ id: checkScheduleId(m.spec.id), modelId: m.spec.id, kind: 'check', isDefault: true, config: checks, schedule: this.resolve(checks), createdAt: m.createdAt });
    }
    for (const s of await store.listSchedules(modelId)) {
      out.push({ id: s.id, modelId: s.modelId, kind: 'retrain', isDefault: false, config: s.config, schedule: this.resolve(s.config), createdAt: s.createdAt });
    }
    return out;
  }

  /** The next run of a schedule after now (null when disabled). */
  nextRun(entry: ScheduleEntry): Date | null {
    return nextRunAfter(entry.schedule, this.deps.clock.now());
  }

  /** Check every schedule now and start what is due. Concurrent calls share one pass. */
  tick(): Promise<TickDecision[]> {
    if (!this.ticking) {
      this.ticking = this.tickOnce().finally(() => {
        this.ticking = null;
      });
    }
    return this.ticking;
  }

  private async tickOnce(): Promise<TickDecision[]> {
    const { store, clock, queue, logger } = this.deps;
    const now = clock.now();
    const entries = await this.entries();
    const states = await store.getScheduleStates(entries.map((e) => e.id));
    const decisions: TickDecision[] = [];
    // Models whose trigger checks are due: run after every due retrain has been enqueued, so
    // that a slow check (drift and performance over a large window) never delays another
    // model's scheduled retrain.
    const checks: string[] = [];
    try {
      for (const e of entries) {
        // Never fire for occurrences from before the schedule existed.
        const last = states.get(e.id)?.lastOccurrenceAt ?? e.createdAt;
        const due = dueRun(e.schedule, last, now, this.deps.graceMs);
        if (due.missed.length > 0) {
          logger?.warn({ scheduleId: e.id, missed: due.missed.map((d) => d.toISOString()), catchUp: e.schedule.catchUp }, `${due.missed.length} missed occurrence(s) will not run`);
        }
        if (due.occurrence && e.kind === 'check') {
          if (await store.claimOccurrence(e.id, due.occurrence)) checks.push(e.modelId);
          continue;
        }
        if (due.occurrence) {
          if (!(await store.claimOccurrence(e.id, due.occurrence))) {
            decisions.push({ scheduleId: e.id, modelId: e.modelId, occurrence: due.occurrence.toISOString(), missed: due.missed.length, outcome: 'claimed-elsewhere', jobId: null });
            continue;
          }
          if (this.deps.automaticRetraining === false) {
            logger?.info({ scheduleId: e.id, occurrence: due.occurrence.toISOString() }, 'scheduled retrain not started: automatic retraining is paused');
            decisions.push({ scheduleId: e.id, modelId: e.modelId, occurrence: due.occurrence.toISOString(), missed: due.missed.length, outcome: 'paused', jobId: null });
            continue;
          }
          try {
            const { job } = await queue.enqueue(e.modelId, { trigger: 'schedule', minSamples: e.config.minSamples ?? null });
            await store.setScheduleJob(e.id, job.id);
            decisions.push({ scheduleId: e.id, modelId: e.modelId, occurrence: due.occurrence.toISOString(), missed: due.missed.length, outcome: 'started', jobId: job.id });
          } catch (err) {
            if (!(err instanceof RefitError && err.code === 'RETRAIN_IN_PROGRESS')) throw err;
            const jobId = (err.extra.jobId as string | null) ?? null;
            logger?.info({ scheduleId: e.id, jobId }, 'scheduled retrain not started: one is already pending or running');
            decisions.push({ scheduleId: e.id, modelId: e.modelId, occurrence: due.occurrence.toISOString(), missed: due.missed.length, outcome: 'in-progress', jobId });
          }
        } else if (due.lastOccurrence && due.lastOccurrence.getTime() > last.getTime()) {
          await store.claimOccurrence(e.id, due.lastOccurrence);
          if (e.kind === 'check') continue;
          decisions.push({ scheduleId: e.id, modelId: e.modelId, occurrence: null, missed: due.missed.length, outcome: 'missed', jobId: null });
        }
      }
    } finally {
      // Claimed checks run even when starting a retrain failed (their occurrence is already taken).
      await this.runChecks(checks);
    }
    return decisions;
  }

  /** Each model's trigger checks in turn; one model's failing check must not keep the others from running. */
  private async runChecks(modelIds: readonly string[]): Promise<void> {
    for (const modelId of modelIds) {
      try {
        await this.deps.onCheck?.(modelId);
      } catch (err) {
        this.deps.logger?.error({ err, modelId }, 'trigger check failed');
      }
    }
  }

  /** Start checking on the clock: wake at the next occurrence (at most every `maxSleepMs`). */
  start(): void {
    this.running = true;
    void this.arm();
  }

  /** Stop checking. */
  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Re-plan the next wake-up (after a model or schedule changed); resolves once it is armed. */
  refresh(): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.cancelTimer?.();
    return this.arm();
  }

  private async arm(): Promise<void> {
    const { clock, logger } = this.deps;
    let next = Number.POSITIVE_INFINITY;
    try {
      for (const e of await this.entries()) {
        const n = this.nextRun(e);
        if (n) next = Math.min(next, n.getTime());
      }
    } catch (err) {
      logger?.error({ err }, 'could not read schedules');
    }
    if (!this.running) return;
    const delay = Math.min(this.deps.maxSleepMs ?? 300_000, Math.max(0, next - clock.now().getTime()));
    this.cancelTimer?.();
    this.cancelTimer = clock.setTimeout(() => {
      this.tick()
        .catch((err: unknown) => logger?.error({ err }, 'scheduler tick failed'))
        .finally(() => {
          if (this.running) void this.arm();
        });
    }, delay);
  }
}
