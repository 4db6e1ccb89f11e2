import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type DatabaseIntrospector, type PostgresDialectConfig, type TableMetadata } from 'kysely';
import pg from 'pg';
import type { ArtifactLocation } from './artifact-store.js';
import { DatabaseArtifactStore } from './database-artifact-store.js';
import { DirectoryArtifactStore } from './directory-artifact-store.js';
import { type ArtifactBinding, createKyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import { startSqliteCheckpointer } from './sqlite-checkpointer.js';
import { type SqliteDirect, cachedStatements, sqliteDirect } from './sqlite-connection.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** Options for opening a store. */
export interface StoreOptions {
  /**
   * `postgres://…` or `postgresql://…` for PostgreSQL; `sqlite:PATH`, a file path, or `:memory:`
   * for SQLite.
   */
  readonly url: string;
  /** PostgreSQL only: a schema to create and use (tests isolate themselves this way). Default: public. */
  readonly schema?: string;
  /** Where artifact bytes live: the database's `artifacts` table, or a directory on disk. Default: the database. */
  readonly artifacts?: ArtifactLocation;
  /**
   * SQLite only: `normal` (default) makes every commit survive the process being killed; `full`
   * also survives a power cut, at the price of a disk flush per commit.
   */
  readonly sqliteSynchronous?: 'normal' | 'full';
  /**
   * SQLite file only: checkpoint the WAL from a thread of its own rather than on the event loop
   * (src/store/sqlite-checkpointer.ts). The server and workers turn it on. Default off.
   */
  readonly sqliteBackgroundCheckpoints?: boolean;
}

/** True when the URL names a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The artifact store a location names, bound to each connection the store uses. */
function artifactBinding(location: ArtifactLocation): ArtifactBinding {
  if (location.kind === 'database') return (db) => ({ artifacts: new DatabaseArtifactStore(db) });
  if (location.dir.trim() === '') throw new Error('The artifact directory must not be empty.');
  const dir = new DirectoryArtifactStore(resolve(location.dir));
  return (_db, inTransaction) => (inTransaction ? dir.deferDeletes() : { artifacts: dir });
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * For migrations only. The migrator asks just which schemas and tables exist; Kysely's PostgreSQL
 * introspector answers by scanning every schema of the database, and fails (3F000) when another
 * process drops one meanwhile (parallel test files do). This one looks at the store's own schema.
 */
class OwnSchemaPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    const schema = this.schema;
    const getTables = async (): Promise<TableMetadata[]> => {
      const { rows } = await sql<{ name: string; type: string }>`select table_name as name, table_type as type from information_schema.tables where table_schema = ${schema}`.execute(db);
      // Columns are not listed: the migrator never asks for them.
      return rows.map((r) => ({ name: r.name, schema, isView: r.type === 'VIEW', columns: [] }));
    };
    return {
      getSchemas: async () => (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db)).rows,
      getTables,
      getMetadata: async () => ({ tables: await getTables() }),
    };
  }
}

/**
 * Open the store a URL names and bring its schema up to date (Kysely's dialects, MLflow's store
 * registry). SQLite runs in WAL mode with foreign keys on. Artifacts go where `options.artifacts` says.
 */
export async function createStore(options: StoreOptions): Promise<Store> {
  const bindArtifacts = artifactBinding(options.artifacts ?? { kind: 'database' });
  let db: Kysely<Database>;
  let dialect: 'sqlite' | 'postgres';
  let migrationTableSchema: string | undefined;
  let migrationDb: Kysely<any> | undefined;
  let direct: SqliteDirect | undefined;
  let sqlitePath: string | null = null;
  if (isPostgresUrl(options.url)) {
    dialect = 'postgres';
    const schema = options.schema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new Error(`Invalid PostgreSQL schema name '${schema}'.`);
    if (schema !== undefined) {
      migrationTableSchema = schema;
      const admin = new pg.Client({ connectionString: options.url });
      await admin.connect();
      try {
        await admin.query(`create schema if not exists "${schema}"`);
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 10,
      ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
      // int8 (bigserial ids, counts) as JS numbers: ids stay far below 2^53.
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser },
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    // Shares the pool, which closing `db` ends.
    migrationDb = new Kysely<any>({ dialect: new OwnSchemaPostgresDialect({ pool }, schema ?? 'public') });
  } else {
    dialect = 'sqlite';
    const path = options.url.replace(/^sqlite:(\/\/)?/i, '');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a commit is in the
    // operating system's hands when it returns, so a killed process (kill -9) loses nothing it
    // committed; only a power cut or a kernel crash can take back the last commits (SQLite's
    // documented trade, https://sqlite.org/pragma.html#pragma_synchronous), never corrupt the file.
    sqlite.pragma(`synchronous = ${options.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // 16 MiB of page cache (the default is 2 MiB): the hot ends of the score and label indexes stay in memory, and the process stays small.
    sqlite.pragma('cache_size = -16384');
    // Checkpoint the WAL into the database every 10,000 pages (40 MiB) rather than 1,000: a fifth
    // more label and score rows a second, for a larger WAL file between checkpoints. With
    // background checkpoints on (the server, workers), a thread checkpoints long before that.
    sqlite.pragma('wal_autocheckpoint = 10000');
    direct = sqliteDirect(sqlite);
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachedStatements(sqlite) }) });
    if (options.sqliteBackgroundCheckpoints && path !== ':memory:' && path !== '') sqlitePath = path;
  }
  const migrator = new Migrator({ db: migrationDb ?? db, provider: migrationProvider(dialect), ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw new Error(`Database migration failed: ${String((error as Error).message ?? error)}`, { cause: error });
  }
  const store = createKyselyStore(db, dialect, bindArtifacts, direct);
  if (sqlitePath !== null) {
    // Started once the migrations have made the file; stopped before the connection closes.
    const checkpointer = startSqliteCheckpointer(sqlitePath);
    const close = store.close.bind(store);
    store.close = async () => {
      await checkpointer.stop();
      await close();
    };
  }
  return store;
}
