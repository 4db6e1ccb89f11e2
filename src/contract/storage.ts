import { z } from 'zod';
import { isoDate } from './common.js';

/** Database size at one moment. */
export const spaceSnapshotSchema = z.object({
  /** SQLite: page_count × page_size (the file, without its write-ahead log); PostgreSQL: the store's tables with their indexes and TOAST. */
  databaseBytes: z.number().int(),
  /** SQLite: free pages × page size, reused by later writes before the file grows; null on PostgreSQL (autovacuum frees deleted rows for reuse). */
  freeBytes: z.number().int().nullable(),
});

/** One model's part of one prune. */
export const modelPruneSchema = z.object({
  modelId: z.string(),
  scoresDeleted: z.number().int(),
  labelsDeleted: z.number().int(),
  /** The cut applied to scores; null when none might go. */
  scoresBefore: isoDate.nullable(),
  /** The cut applied to labels; null when none might go. */
  labelsBefore: isoDate.nullable(),
});

/** `POST /api/v1/storage/prune`, and the last prune in `GET /api/v1/storage`: what one prune deleted, how long it took, and the space before and after. */
export const pruneResultSchema = z.object({
  trigger: z.enum(['schedule', 'manual']),
  /** Who asked for a manual prune (a key's name, `cli-direct`, `anonymous`); null for the periodic one. */
  requestedBy: z.string().nullable(),
  /** True: nothing was deleted, the counts are what would be. */
  dryRun: z.boolean(),
  startedAt: isoDate,
  finishedAt: isoDate,
  durationMs: z.number(),
  scoresDeleted: z.number().int(),
  labelsDeleted: z.number().int(),
  /** Delete statements run (each at most the batch size, each its own transaction). */
  batches: z.number().int(),
  /** True when the process began closing mid-prune: the rest goes next time. */
  interrupted: z.boolean(),
  /** The models something was (or would be) deleted of. */
  models: z.array(modelPruneSchema),
  before: spaceSnapshotSchema,
  after: spaceSnapshotSchema,
  /** Bytes given back to the file system: only SQLite databases created with auto_vacuum=incremental do; 0 otherwise (freed space is reused). */
  reclaimedBytes: z.number().int(),
});
/** A prune as the API shows it. */
export type PruneResultWire = z.infer<typeof pruneResultSchema>;

const tableRetentionSchema = z.object({
  rows: z.number().int(),
  /** The oldest row's time (scores: made; labels: occurred); null without rows. */
  oldestAt: isoDate.nullable(),
  /** Rows before this may be pruned now (within the rules below); null: none may. */
  pruneBefore: isoDate.nullable(),
  /** Why the cut is where it is: the retention age, then every window that keeps older rows. */
  keptBecause: z.array(z.string()),
});

/** `GET /api/v1/storage`: the database's size, the scores and labels tables, what retention keeps of each model and why, and the last prune. */
export const storageReportSchema = z.object({
  dialect: z.enum(['sqlite', 'postgres']),
  measuredAt: isoDate,
  database: z.object({
    ...spaceSnapshotSchema.shape,
    /** SQLite: bytes per page; null on PostgreSQL. */
    pageSize: z.number().int().nullable(),
    /** SQLite: `none` (the default: freed pages are reused, the file does not shrink), `full` or `incremental`; null on PostgreSQL. */
    autoVacuum: z.enum(['none', 'full', 'incremental']).nullable(),
    /** SQLite: bytes of the write-ahead log file; null on PostgreSQL or without one. */
    walBytes: z.number().int().nullable(),
  }),
  tables: z.array(
    z.object({
      name: z.enum(['scores', 'labels']),
      rows: z.number().int(),
      /** With indexes (SQLite: from dbstat; PostgreSQL: pg_total_relation_size); null when the database cannot say. */
      bytes: z.number().int().nullable(),
      /** PostgreSQL: deleted rows autovacuum has not cleared yet; null on SQLite. */
      deadRows: z.number().int().nullable(),
    }),
  ),
  retention: z.object({
    /** Scores older than this many days are pruned; null: kept forever. */
    scoresDays: z.number().int().nullable(),
    /** Labels older than this many days are pruned (never inside a training window); null: kept forever. */
    labelsDays: z.number().int().nullable(),
    intervalMinutes: z.number(),
    batchRows: z.number().int(),
    /** When this process prunes next; null when it prunes on no timer (retention off, or the CLI). */
    nextPruneAt: isoDate.nullable(),
  }),
  models: z.array(z.object({ modelId: z.string(), scores: tableRetentionSchema, labels: tableRetentionSchema })),
  /** The latest prune that deleted rows or was asked for, by this process or (from the audit trail) another; null before the first. */
  lastPrune: pruneResultSchema.nullable(),
});
/** A storage report as the API shows it. */
export type StorageReportWire = z.infer<typeof storageReportSchema>;
