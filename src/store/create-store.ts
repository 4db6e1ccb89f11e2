import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
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
}

/** True when the URL names a PostgreSQL database. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Open the store a URL names and bring its schema up to date (Kysely's dialects, MLflow's store
 * registry). SQLite runs in WAL mode with foreign keys on.
 */
export async function createStore(options: StoreOptions): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: 'sqlite' | 'postgres';
  let migrationTableSchema: string | undefined;
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
  } else {
    dialect = 'sqlite';
    const path = options.url.replace(/^sqlite:(\/\/)?/i, '');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  const migrator = new Migrator({ db, provider: migrationProvider(dialect), ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  let { error } = await migrator.migrateToLatest();
  // Kysely's migrator introspects every schema of the database; one that another process drops
  // meanwhile fails that scan with invalid_schema_name (3F000) although ours is fine: try again.
  for (let attempt = 1; attempt < 5 && (error as { code?: unknown } | undefined)?.code === '3F000'; attempt++) {
    ({ error } = await migrator.migrateToLatest());
  }
  if (error) {
    await db.destroy();
    throw new Error(`Database migration failed: ${String((error as Error).message ?? error)}`, { cause: error });
  }
  return new KyselyStore(db, dialect);
}
