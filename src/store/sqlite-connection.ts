import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, SqliteDatabase, SqliteStatement } from 'kysely';

/** Prepared statements kept per connection, by SQL text; the least recently used goes first. */
const STATEMENT_CACHE = 256;

/**
 * The one better-sqlite3 connection behind a SQLite store, opened with the settings every Refit
 * store uses, and handed to Kysely through a statement cache.
 *
 * Why a cache: Kysely's SQLite driver prepares every query it runs, and on the score and label
 * routes preparing cost more than running (a profile of single-row scoring put `prepare` at a
 * quarter of the server's CPU). The same SQL text always yields an equal statement, so the
 * prepared one is kept. A cached statement is never run twice at once: better-sqlite3 runs a
 * statement to completion synchronously, and Kysely's driver never streams here.
 */
export function cachedStatements(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt) {
        // Move to the back: Map iteration order is insertion order.
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, stmt);
      return stmt as unknown as SqliteStatement;
    },
  };
}

/**
 * Direct access to the SQLite connection for the hottest writes (score and label batches), in
 * turn with everything Kysely runs on it: outside a transaction, `run` takes Kysely's connection
 * (its driver's mutex) for the duration and wraps `fn` in a transaction of its own; inside one,
 * the caller already holds it and `fn` joins that transaction.
 */
export interface SqliteDirect {
  readonly sqlite: BetterSqlite3.Database;
  /** Run `fn` atomically on the raw connection. */
  run<T>(db: Kysely<any>, inTransaction: boolean, fn: (sqlite: BetterSqlite3.Database) => T): Promise<T>;
  /** A statement prepared once for this connection. */
  statement(sql: string): BetterSqlite3.Statement;
  /** SQLite's data_version: changes whenever another connection (another process) commits. */
  dataVersion(): number;
}

export function sqliteDirect(sqlite: BetterSqlite3.Database): SqliteDirect {
  const dataVersion = sqlite.prepare('pragma data_version').pluck();
  const statements = new Map<string, BetterSqlite3.Statement>();
  let known: number | null = null;
  return {
    sqlite,
    statement(sql) {
      let stmt = statements.get(sql);
      if (!stmt) statements.set(sql, (stmt = sqlite.prepare(sql)));
      return stmt;
    },
    async run(db, inTransaction, fn) {
      if (inTransaction) return fn(sqlite);
      return db.connection().execute(async () => sqlite.transaction(fn)(sqlite));
    },
    // Read once per turn of the event loop, not once per request: under load the pragma cost
    // several microseconds a call (it looks at the WAL index), and the requests of one turn may as
    // well share the answer (a commit elsewhere lands before or after the turn, as it would anyway).
    dataVersion: () => {
      if (known === null) {
        known = Number(dataVersion.get());
        setImmediate(() => (known = null));
      }
      return known;
    },
  };
}
