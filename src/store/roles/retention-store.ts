import type { SpaceSnapshot, StorageStats } from '../../domain/data-retention.js';

export type { StorageStats, TableStorage } from '../../domain/data-retention.js';

/** Which scores of one model a prune deletes. */
export interface ScorePruneRule {
  /** Scores made before this. */
  readonly before: Date;
  /** Except those a label occurring at or after this refers to (live metrics join them). */
  readonly keepLabelledSince: Date;
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
  /** Delete at most `limit` of a model's scores matching `rule`, oldest first; returns how many. */
  pruneScores(modelId: string, rule: ScorePruneRule, limit: number): Promise<number>;
  /**
   * Delete at most `limit` of a model's labels matching `rule`, oldest first; returns how many. A
   * label stays while an earlier label of the same score stays (a later label replaces an earlier
   * one for training and live metrics, so removing it would bring the earlier one back).
   */
  pruneLabels(modelId: string, rule: LabelPruneRule, limit: number): Promise<number>;
  /** How many scores `pruneScores` would delete in all. */
  countPrunableScores(modelId: string, rule: ScorePruneRule): Promise<number>;
  /** How many labels `pruneLabels` would delete in all. */
  countPrunableLabels(modelId: string, rule: LabelPruneRule): Promise<number>;
  /** Bytes in use and free now (cheap: no table is read). */
  spaceSnapshot(): Promise<SpaceSnapshot>;
  /** Rows and bytes of scores and labels, per model (counts every row: for reports, not for hot paths). */
  storageStats(): Promise<StorageStats>;
  /** SQLite with auto_vacuum=incremental: give at most `maxPages` free pages back to the file system; returns the bytes. 0 elsewhere. */
  reclaimFreePages(maxPages: number): Promise<number>;
  /**
   * Run `fn` holding the store-wide prune lock (PostgreSQL: a session advisory lock of this
   * schema, released when `fn` ends or the connection drops); `acquired: false` without running it
   * when another process holds it. SQLite has one writer and no lock to take: always acquired.
   */
  withPruneLock<T>(fn: () => Promise<T>): Promise<{ acquired: true; value: T } | { acquired: false }>;
}
