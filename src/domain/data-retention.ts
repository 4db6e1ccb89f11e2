/**
 * Data retention: how long logged scores and labels are kept, and the rules that keep what live
 * metrics, drift monitoring, running rollouts and training still read, whatever the retention
 * age says. Pure: the store applies a plan, the service runs it on a timer.
 */
import type { Model, Rollout } from './entities.js';

/** How long scores and labels are kept, and how pruning runs. */
export interface DataRetentionPolicy {
  /** Scores older than this many days are pruned; null keeps them forever. Default 30. */
  readonly scoresDays: number | null;
  /** Labels older than this many days are pruned (never those a training window uses); null keeps them forever. Default null. */
  readonly labelsDays: number | null;
  /** Time between two prunes, in ms. Default 600,000 (10 minutes). */
  readonly intervalMs: number;
  /** Rows deleted per statement (each its own short transaction; on SQLite about 5 µs a row, so 2,000 hold the writer and the event loop some 10 ms). Default 2,000. */
  readonly batchRows: number;
}

/** The defaults of {@link DataRetentionPolicy}. */
export const DEFAULT_RETENTION: DataRetentionPolicy = Object.freeze({ scoresDays: 30, labelsDays: null, intervalMs: 600_000, batchRows: 2_000 });

/** The dashboard's live chart: 7 windows of 24 h, so its labels (and the scores they join) are kept at least a week. */
export const LIVE_CHART_HOURS = 7 * 24;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What may be pruned of one model's scores. */
export interface ScoreRetention {
  /** Scores made before this may go; null: none may (retention off). */
  readonly pruneBefore: Date | null;
  /** The newest this many served, error-free scores stay (the drift monitor's current window), however old. */
  readonly keepNewest: number;
  /** Scores that a label occurring at or after this refers to stay (live metrics join them). */
  readonly keepLabelledSince: Date;
  /** Why the cut is where it is, in words, the retention age first. */
  readonly reasons: readonly string[];
}

/** What may be pruned of one model's labels. */
export interface LabelRetention {
  /** Labels that occurred and were received before this may go; null: none may. */
  readonly pruneBefore: Date | null;
  /** The newest this many labels (by id) stay: a training window of `{labels: N}`. Null: no such bound. */
  readonly keepNewest: number | null;
  /** Why, in words. */
  readonly reasons: readonly string[];
}

/** What retention may prune of one model now. */
export interface ModelRetentionPlan {
  readonly modelId: string;
  readonly scores: ScoreRetention;
  readonly labels: LabelRetention;
}

/** Hours of labels (and of the scores they refer to) that the model's live metrics read: the dashboard's chart, the performance trigger and, for binary models, the accept-rate trigger. */
export function liveWindowHours(model: Model): { hours: number; reason: string } {
  const t = model.spec.retrain.triggers;
  const candidates: { hours: number; reason: string }[] = [
    { hours: LIVE_CHART_HOURS, reason: 'the live metrics chart (7 windows of 24 h)' },
    { hours: t.performance.windowHours, reason: `the performance trigger's window (${t.performance.windowHours} h)` },
  ];
  if (model.spec.task === 'binary') candidates.push({ hours: t.rate.windowHours * t.rate.lastWindows, reason: `the accept-rate trigger (${t.rate.lastWindows} windows of ${t.rate.windowHours} h)` });
  return candidates.reduce((a, b) => (b.hours > a.hours ? b : a));
}

const earlier = (a: Date, b: Date) => (b.getTime() < a.getTime() ? b : a);
const day = (d: Date) => d.toISOString();

/**
 * What retention may prune of a model at `now`. Scores: those older than the retention age, but
 * never within the live metrics window (labels occurring in it join their scores, which stay
 * whatever their age), never since a running canary, shadow or watch started (its analysis reads
 * every score since), and never the drift window (the newest `windowScores` served scores).
 * Labels: only with a labels retention age, never for a model whose training window is `all` or
 * `auto` (every label trains), never inside a `{days: D}` or `{labels: N}` window, the live
 * metrics window, or since a running rollout started.
 */
export function retentionPlan(model: Model, running: readonly Rollout[], policy: Pick<DataRetentionPolicy, 'scoresDays' | 'labelsDays'>, now: Date): ModelRetentionPlan {
  const live = liveWindowHours(model);
  const liveSince = new Date(now.getTime() - live.hours * HOUR);
  const rollouts = running.filter((r) => r.status === 'running');
  const floors: { at: Date; reason: string }[] = [{ at: liveSince, reason: `${live.reason} reads labels since ${day(liveSince)} and the scores they refer to` }];
  for (const r of rollouts) {
    const what = r.kind === 'watch' ? `the watch of ${r.version}` : `the ${r.mode ?? 'challenger'} of ${r.version}`;
    floors.push({ at: r.startedAt, reason: `${what} reads every score and outcome since it started at ${day(r.startedAt)}` });
  }
  const windowScores = model.spec.retrain.triggers.drift.windowScores;

  let scores: ScoreRetention;
  if (policy.scoresDays === null) {
    scores = { pruneBefore: null, keepNewest: windowScores, keepLabelledSince: liveSince, reasons: ['scores retention is off: every score is kept'] };
  } else {
    const age = new Date(now.getTime() - policy.scoresDays * DAY);
    let cut = age;
    const reasons = [`retention: scores older than ${policy.scoresDays} days (before ${day(age)})`];
    for (const f of floors) {
      if (f.at.getTime() < cut.getTime()) reasons.push(`kept from ${day(f.at)}: ${f.reason}`);
      cut = earlier(cut, f.at);
    }
    reasons.push(`the newest ${windowScores.toLocaleString('en-US')} served scores are the drift window and stay`);
    scores = { pruneBefore: cut, keepNewest: windowScores, keepLabelledSince: liveSince, reasons };
  }

  const window = model.spec.retrain.window;
  let labels: LabelRetention;
  if (policy.labelsDays === null) {
    labels = { pruneBefore: null, keepNewest: null, reasons: ['labels retention is off: every label is kept'] };
  } else if (window.kind === 'all' || window.kind === 'auto') {
    labels = {
      pruneBefore: null,
      keepNewest: null,
      reasons: [`the training window is '${window.kind}': every label trains, so none is pruned (a window of {days: D} or {labels: N} lets retention prune older ones)`],
    };
  } else {
    const age = new Date(now.getTime() - policy.labelsDays * DAY);
    let cut = age;
    const reasons = [`retention: labels older than ${policy.labelsDays} days (before ${day(age)})`];
    const labelFloors = [...floors];
    if (window.kind === 'days') {
      const since = new Date(now.getTime() - window.days * DAY);
      labelFloors.push({ at: since, reason: `the training window (${window.days} days) trains on labels since ${day(since)}` });
    }
    for (const f of labelFloors) {
      if (f.at.getTime() < cut.getTime()) reasons.push(`kept from ${day(f.at)}: ${f.reason}`);
      cut = earlier(cut, f.at);
    }
    if (window.kind === 'labels') reasons.push(`the training window is the newest ${window.count.toLocaleString('en-US')} labels: they stay`);
    labels = { pruneBefore: cut, keepNewest: window.kind === 'labels' ? window.count : null, reasons };
  }
  return { modelId: model.spec.id, scores, labels };
}

/** Database size at one moment: bytes in use and bytes free for reuse (SQLite's free pages; null on PostgreSQL). */
export interface SpaceSnapshot {
  /** SQLite: page_count × page_size; PostgreSQL: the store's tables with their indexes and TOAST. */
  readonly databaseBytes: number;
  /** SQLite: freelist_count × page_size, reused by later writes before the file grows; null on PostgreSQL. */
  readonly freeBytes: number | null;
}

/** Rows and space of one pruned table. */
export interface TableStorage {
  readonly name: 'scores' | 'labels';
  /** Rows now (exact count). */
  readonly rows: number;
  /** Bytes of the table with its indexes (SQLite: its pages, from dbstat; PostgreSQL: pg_total_relation_size); null when the database cannot say. */
  readonly bytes: number | null;
  /** PostgreSQL: deleted rows autovacuum has not yet cleared (pg_stat_user_tables.n_dead_tup); null on SQLite. */
  readonly deadRows: number | null;
  /** Per model: rows and the oldest row's time (scores: created; labels: occurred). */
  readonly models: readonly { readonly modelId: string; readonly rows: number; readonly oldestAt: Date | null }[];
}

/** The database's size and the pruned tables'. */
export interface StorageStats extends SpaceSnapshot {
  readonly dialect: 'sqlite' | 'postgres';
  /** SQLite: the page size in bytes; null on PostgreSQL. */
  readonly pageSize: number | null;
  /** SQLite: `none` (freed pages are reused, the file never shrinks), `full` or `incremental`; null on PostgreSQL. */
  readonly autoVacuum: 'none' | 'full' | 'incremental' | null;
  /** SQLite: bytes of the write-ahead log file; null on PostgreSQL or when there is none. */
  readonly walBytes: number | null;
  readonly tables: readonly TableStorage[];
}

/** What one prune did to one model. */
export interface ModelPruneResult {
  readonly modelId: string;
  /** Scores deleted (with `dryRun`: that would be). */
  readonly scoresDeleted: number;
  /** Labels deleted (with `dryRun`: that would be). */
  readonly labelsDeleted: number;
  /** The cut applied to scores, after the drift window moved it; null when none may go. */
  readonly scoresBefore: Date | null;
  /** The cut applied to labels; null when none may go. */
  readonly labelsBefore: Date | null;
}

/** What one prune did. */
export interface PruneResult {
  /** `schedule` (the periodic prune) or `manual` (the API, the CLI). */
  readonly trigger: 'schedule' | 'manual';
  /** Who asked for a manual prune (an API key's name, `cli-direct`, `anonymous`); null for the periodic one. */
  readonly requestedBy: string | null;
  /** True when nothing was deleted on purpose: the counts are what would be. */
  readonly dryRun: boolean;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Measured with a monotonic stopwatch. */
  readonly durationMs: number;
  /** Scores deleted, all models. */
  readonly scoresDeleted: number;
  /** Labels deleted, all models. */
  readonly labelsDeleted: number;
  /** Delete statements run. */
  readonly batches: number;
  /** True when the prune stopped early (the process is closing): the rest goes next time. */
  readonly interrupted: boolean;
  /** The models something was (or would be) deleted of. */
  readonly models: readonly ModelPruneResult[];
  readonly before: SpaceSnapshot;
  readonly after: SpaceSnapshot;
  /** Bytes given back to the file system (SQLite with auto_vacuum=incremental only); 0 otherwise. */
  readonly reclaimedBytes: number;
}

/** What retention keeps of one table of one model, and why. */
export interface TableRetentionView {
  readonly rows: number;
  readonly oldestAt: Date | null;
  /** Rows before this may be pruned now (within the rules); null: none may. */
  readonly pruneBefore: Date | null;
  readonly reasons: readonly string[];
}

/** The database's size, the pruned tables, what retention keeps of each model and why, and the last prune. */
export interface StorageReport {
  readonly measuredAt: Date;
  readonly stats: StorageStats;
  readonly policy: DataRetentionPolicy;
  /** When this process prunes next; null when it prunes on no timer. */
  readonly nextPruneAt: Date | null;
  readonly models: readonly { readonly modelId: string; readonly scores: TableRetentionView; readonly labels: TableRetentionView }[];
  /** The latest prune of this process or, from the audit trail, of another; null before the first. */
  readonly lastPrune: PruneResult | null;
}
