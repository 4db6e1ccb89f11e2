import { statSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';
import type { SpaceSnapshot } from '../../domain/data-retention.js';
import type { LabelPruneRule, PruneBatchResult, RetentionStore, ScorePruneRule, StorageStats, TableStorage } from '../roles/retention-store.js';
import type { Dialect } from '../migrations/index.js';
import type { Database } from '../schema.js';
import { type KyselyContext, date, iso } from './kysely-context.js';

/** The PostgreSQL advisory lock of the prune (with the schema's hash as the second key, so that stores in other schemas of the same database do not exclude each other). */
const PRUNE_LOCK_KEY = 727002;

const AUTO_VACUUM = ['none', 'full', 'incremental'] as const;

/** Where the first batch of a prune starts. */
const EPOCH = new Date(0);

/**
 * PostgreSQL: `offset 0` keeps a `not exists` a per-row probe of an index. Flattened into an anti
 * join, the planner may hash every kept label of the model for each batch of a few thousand rows.
 * (SQLite always probes per row.)
 */
function fence<Q extends { offset(n: number): Q }>(dialect: Dialect, q: Q): Q {
  return dialect === 'postgres' ? q.offset(0) : q;
}

/**
 * SQLite: `+column` keeps the planner from answering a per-row probe through an index on that
 * column. Without statistics (Refit never runs ANALYZE) it otherwise probes "a label of this score
 * in the live window" through (model_id, occurred_at), scanning the whole window for every row,
 * instead of through (model_id, score_id). PostgreSQL plans from its statistics: the column as is.
 */
function noIndex<T = string>(dialect: Dialect, column: 'l.occurred_at' | 'l.id' | 'e.occurred_at' | 'e.received_at') {
  return dialect === 'sqlite' ? sql<T>`+${sql.ref(column)}` : sql<T>`${sql.ref(column)}`;
}

/**
 * The scores a prune may delete: made before the cut, of the model (scores_model_created_idx), and
 * not referred to by a label that occurred in the live window (labels_model_score_idx).
 */
function prunableScores(db: Kysely<Database>, dialect: Dialect, modelId: string, rule: ScorePruneRule) {
  return db
    .selectFrom('scores as s')
    .where('s.model_id', '=', modelId)
    .where('s.created_at', '<', iso(rule.before))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          fence(
            dialect,
            selectFrom('labels as l')
              .select(sql.lit(1).as('one'))
              .whereRef('l.model_id', '=', 's.model_id')
              .whereRef('l.score_id', '=', 's.id')
              .where(noIndex(dialect, 'l.occurred_at'), '>=', iso(rule.keepLabelledSince)),
          ),
        ),
      ),
    );
}

/**
 * The labels a prune may delete: of the model, occurred and received before the cut
 * (labels_model_occurred_idx), below the id bound, and not a later label of a score whose earlier
 * label stays (labels_model_score_idx).
 */
function prunableLabels(db: Kysely<Database>, dialect: Dialect, modelId: string, rule: LabelPruneRule) {
  const before = iso(rule.before);
  let q = db
    .selectFrom('labels as l')
    .where('l.model_id', '=', modelId)
    .where('l.occurred_at', '<', before)
    .where('l.received_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          fence(
            dialect,
            selectFrom('labels as e')
              .select(sql.lit(1).as('one'))
              .whereRef('e.model_id', '=', 'l.model_id')
              .whereRef('e.score_id', '=', 'l.score_id')
              .whereRef('e.id', '<', 'l.id')
              .where((eb) => eb.or([eb(noIndex(dialect, 'e.occurred_at'), '>=', before), eb(noIndex(dialect, 'e.received_at'), '>=', before)])),
          ),
        ),
      ),
    );
  // Not through the id index (SQLite): the batches walk labels by occurrence.
  if (rule.belowId !== null) q = q.where(noIndex<number>(dialect, 'l.id'), '<', rule.belowId);
  return q;
}

/** The rows a delete returned (`at`: their time) as a batch's result. */
function batchResult(rows: readonly { at: string }[]): PruneBatchResult {
  let last: string | null = null;
  for (const r of rows) if (last === null || r.at > last) last = r.at;
  return { deleted: rows.length, last: last === null ? null : date(last) };
}

/** Retention on Kysely: bounded deletes, window edges, and the database's size, on SQLite and PostgreSQL. */
export function kyselyRetentionStore(ctx: KyselyContext): RetentionStore {
  const { db, dialect } = ctx;

  const pragma = async (name: string): Promise<number> => {
    const { rows } = await sql<Record<string, number>>`${sql.raw(`pragma ${name}`)}`.execute(db);
    return Number(Object.values(rows[0] ?? {})[0] ?? 0);
  };

  const spaceSnapshot = async (): Promise<SpaceSnapshot> => {
    if (dialect === 'sqlite') {
      const pageSize = await pragma('page_size');
      return { databaseBytes: (await pragma('page_count')) * pageSize, freeBytes: (await pragma('freelist_count')) * pageSize };
    }
    // The store's own tables (its schema), with their indexes and TOAST: other schemas of the database are not Refit's.
    const { rows } = await sql<{ bytes: number | string | null }>`
      select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind = 'r'`.execute(db);
    return { databaseBytes: Number(rows[0]?.bytes ?? 0), freeBytes: null };
  };

  /** SQLite: the pages of a table and its indexes (dbstat, one b-tree at a time: the aggregate form reads only their pages). */
  const sqliteTableBytes = async (table: 'scores' | 'labels'): Promise<number | null> => {
    try {
      const { rows: trees } = await sql<{ name: string }>`select name from sqlite_schema where tbl_name = ${table} and type in ('table', 'index')`.execute(db);
      let bytes = 0;
      for (const t of trees) {
        const { rows } = await sql<{ pgsize: number | null }>`select pgsize from dbstat where name = ${t.name} and aggregate = 1`.execute(db);
        bytes += Number(rows[0]?.pgsize ?? 0);
      }
      return bytes;
    } catch {
      // SQLite built without SQLITE_ENABLE_DBSTAT_VTAB: the size of a table is unknown.
      return null;
    }
  };

  const tableStorage = async (table: 'scores' | 'labels'): Promise<TableStorage> => {
    // One pass over the (model_id, time) index: rows and the oldest per model.
    const rows =
      table === 'scores'
        ? await db.selectFrom('scores').select((eb) => ['model_id', eb.fn.countAll().as('n'), eb.fn.min('created_at').as('oldest')]).groupBy('model_id').orderBy('model_id').execute()
        : await db.selectFrom('labels').select((eb) => ['model_id', eb.fn.countAll().as('n'), eb.fn.min('occurred_at').as('oldest')]).groupBy('model_id').orderBy('model_id').execute();
    const models = rows.map((r) => ({ modelId: r.model_id, rows: Number(r.n), oldestAt: r.oldest ? date(String(r.oldest)) : null }));
    let bytes: number | null;
    let deadRows: number | null = null;
    if (dialect === 'sqlite') bytes = await sqliteTableBytes(table);
    else {
      const { rows: size } = await sql<{ bytes: number | string | null; dead: number | string | null }>`
        select pg_total_relation_size(to_regclass(${table})) as bytes,
               (select n_dead_tup from pg_stat_user_tables where relid = to_regclass(${table})) as dead`.execute(db);
      bytes = size[0]?.bytes == null ? null : Number(size[0].bytes);
      deadRows = size[0]?.dead == null ? null : Number(size[0].dead);
    }
    return { name: table, rows: models.reduce((a, m) => a + m.rows, 0), bytes, deadRows, models };
  };

  return {
    async newestScoresEdge(modelId, n) {
      if (n < 1) return null;
      // The drift window as recentScores reads it: served, error-free, newest first (ties on the
      // time share it, so the id order recentScores adds does not change the edge).
      const row = await db
        .selectFrom('scores')
        .select('created_at')
        .where('model_id', '=', modelId)
        .where('served', '=', 1)
        .where('error', 'is', null)
        .orderBy('created_at', 'desc')
        .offset(n - 1)
        .limit(1)
        .executeTakeFirst();
      return row ? date(row.created_at) : null;
    },

    async newestLabelsEdge(modelId, n) {
      if (n < 1) return null;
      const row = await db.selectFrom('labels').select('id').where('model_id', '=', modelId).orderBy('id', 'desc').offset(n - 1).limit(1).executeTakeFirst();
      return row ? Number(row.id) : null;
    },

    async pruneScores(modelId, rule, batch) {
      // Bounded on both sides even for the first batch: a planner guessing without statistics then
      // walks the (model_id, created_at) index in order and stops at the limit.
      const candidates = prunableScores(db, dialect, modelId, rule)
        .where('s.created_at', '>=', iso(batch.from ?? EPOCH))
        .orderBy('s.created_at')
        .limit(batch.limit);
      // SQLite deletes by rowid (no second look-up through the text primary key). PostgreSQL by id
      // through `= any(array(…))`, which probes the primary key per row: with `in (…)` the planner
      // may hash-join the batch against a sequential scan of the whole table.
      const rows =
        dialect === 'sqlite'
          ? await db.deleteFrom('scores').where(sql.raw('rowid'), 'in', candidates.select(sql.raw('s.rowid').as('k'))).returning('created_at as at').execute()
          : await db.deleteFrom('scores').where(sql<boolean>`id = any(array(${candidates.select('s.id')}))`).returning('created_at as at').execute();
      return batchResult(rows);
    },

    async pruneLabels(modelId, rule, batch) {
      const candidates = prunableLabels(db, dialect, modelId, rule)
        .where('l.occurred_at', '>=', iso(batch.from ?? EPOCH))
        .orderBy('l.occurred_at')
        .limit(batch.limit);
      const rows =
        dialect === 'sqlite'
          ? await db.deleteFrom('labels').where('id', 'in', candidates.select('l.id')).returning('occurred_at as at').execute()
          : await db.deleteFrom('labels').where(sql<boolean>`id = any(array(${candidates.select('l.id')}))`).returning('occurred_at as at').execute();
      return batchResult(rows);
    },

    async countPrunableScores(modelId, rule) {
      const row = await prunableScores(db, dialect, modelId, rule)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async countPrunableLabels(modelId, rule) {
      const row = await prunableLabels(db, dialect, modelId, rule)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    spaceSnapshot,

    async ensureStatistics() {
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ name: string }>`
        select relname as name from pg_stat_user_tables
        where relid in (to_regclass('scores'), to_regclass('labels')) and last_analyze is null and last_autoanalyze is null`.execute(db);
      // ANALYZE reads a sample and takes no lock that writers wait for.
      for (const r of rows) if (r.name === 'scores' || r.name === 'labels') await sql`analyze ${sql.table(r.name)}`.execute(db);
    },

    async storageStats(): Promise<StorageStats> {
      const space = await spaceSnapshot();
      const tables = [await tableStorage('scores'), await tableStorage('labels')];
      if (dialect === 'postgres') return { dialect, ...space, pageSize: null, autoVacuum: null, walBytes: null, tables };
      const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
      const file = rows.find((r) => r.name === 'main')?.file ?? '';
      let walBytes: number | null = null;
      if (file !== '') {
        try {
          walBytes = statSync(`${file}-wal`).size;
        } catch {
          walBytes = null;
        }
      }
      return { dialect, ...space, pageSize: await pragma('page_size'), autoVacuum: AUTO_VACUUM[await pragma('auto_vacuum')] ?? 'none', walBytes, tables };
    },

    async reclaimFreePages(maxPages) {
      // Only a database created with auto_vacuum=incremental can give pages back without VACUUM
      // (which rewrites the whole file under an exclusive lock: never on a live database).
      if (dialect !== 'sqlite' || (await pragma('auto_vacuum')) !== 2) return 0;
      const pageSize = await pragma('page_size');
      const before = await pragma('freelist_count');
      if (before === 0) return 0;
      await sql`${sql.raw(`pragma incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`)}`.execute(db);
      return (before - (await pragma('freelist_count'))) * pageSize;
    },

    async withPruneLock(fn) {
      if (dialect !== 'postgres' || ctx.inTransaction) return { acquired: true, value: await fn() };
      // A session lock on one connection held for the whole prune; the deletes run on the pool's
      // other connections, each its own short transaction. A process that dies releases it.
      return db.connection().execute(async (conn) => {
        const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${PRUNE_LOCK_KEY}, hashtext(current_schema())) as ok`.execute(conn);
        if (rows[0]?.ok !== true) return { acquired: false as const };
        try {
          return { acquired: true as const, value: await fn() };
        } finally {
          await sql`select pg_advisory_unlock(${PRUNE_LOCK_KEY}, hashtext(current_schema()))`.execute(conn);
        }
      });
    },
  };
}
