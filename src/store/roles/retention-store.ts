import type { SpaceSnapshot, StorageStats } from '../../domain/data-retention.js';

export type { StorageStats, TableStorage } from '../../domain/data-retention.js';

/** Which scores of one model a prune deletes. */
export interface ScorePruneRule {
  /** Scores made before this. */
  readonly before: Date;
  /** Except those a label occurring at or after this refers to (live metrics join them). */
  readonly keepLabelledSince: Date;
}

/** One delete statement of a prune: at most `limit` rows, the oldest first, from where the previous one stopped. */
export interface PruneBatch {
  readonly limit: number;
  /** Only rows at or after this time (scores: made; labels: occurred): the `last` of the previous batch. Null: from the oldest. */
  readonly from: Date | null;
}

/** What one delete statement did. */
export interface PruneBatchResult {
  readonly deleted: number;
  /** The time of the newest row it deleted (where the next batch starts); null when it deleted none. */
  readonly last: Date | null;
}

/** Which labels of one model a prune deletes. */
export interface LabelPruneRule {
  /** Labels that occurred and were received before this… */
  readonly before: Date;
  /** …with an id below this (a training window of the newest N labels keeps the rest); null: any id. */
  readonly belowId: number | null;
}

/**
 * Data retention: bounded deletes of old scores and labels, the edges of the windows that must
 * stay, and the space the database takes. Every delete is one statement of at most `limit` rows
 * (its own short transaction), so a prune never holds SQLite's writer, or PostgreSQL's row locks,
 * for long; the caller yields between them.
 */
export interface RetentionStore {
  /** When the `n`th newest served, error-free score of a model was made (the drift window's oldest); null when it has fewer. */
  newestScoresEdge(modelId: string, n: number): Promise<Date | null>;
  /** The id of the `n`th newest label of a model (a `{labels: n}` window's oldest); null when it has fewer. */
  newestLabelsEdge(modelId: string, n: number): Promise<number | null>;
  /**
   * Delete at most `batch.limit` of a model's scores matching `rule`, oldest first, from
   * `batch.from` on. Each batch starts where the previous one stopped, so none reads again the
   * rows an earlier one kept (or, on PostgreSQL, the dead rows it left for vacuum).
   */
  pruneScores(modelId: string, rule: ScorePruneRule, batch: PruneBatch): Promise<PruneBatchResult>;
  /**
   * Delete at most `batch.limit` of a model's labels matching `rule`, oldest (by occurrence)
   * first, from `batch.from` on. A label stays while an earlier label of the same score stays (a
   * later label replaces an earlier one for training and live metrics, so removing it would bring
   * the earlier one back).
   */
  pruneLabels(modelId: string, rule: LabelPruneRule, batch: PruneBatch): Promise<PruneBatchResult>;
  /** How many scores `pruneScores` would delete in all. */
  countPrunableScores(modelId: string, rule: ScorePruneRule): Promise<number>;
  /** How many labels `pruneLabels` would delete in all. */
  countPrunableLabels(modelId: string, rule: LabelPruneRule): Promise<number>;
  /** Bytes in use and free now (cheap: no table is read). */
  spaceSnapshot(): Promise<SpaceSnapshot>;
  /** Rows and bytes of scores and labels, per model (counts every row: for reports, not for hot paths). */
  storageStats(): Promise<StorageStats>;
  /**
   * PostgreSQL: ANALYZE scores and labels if they never were (a table filled faster than
   * autovacuum looks, then pruned): without statistics the planner may read every old row for each
   * batch. Nothing on SQLite, whose plans the queries fix themselves.
   */
  ensureStatistics(): Promise<void>;
  /** SQLite with auto_vacuum=incremental: give at most `maxPages` free pages back to the file system; returns the bytes. 0 elsewhere. */
  reclaimFreePages(maxPages: number): Promise<number>;
  /**
   * Run `fn` holding the store-wide prune lock (PostgreSQL: a session advisory lock of this
   * schema, released when `fn` ends or the connection drops); `acquired: false` without running it
   * when another process holds it. SQLite has one writer and no lock to take: always acquired.
   */
  withPruneLock<T>(fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;
}
