import type { Kysely, Transaction } from 'kysely';
import type { ArtifactStore } from '../artifact-store.js';
import type { Dialect } from '../migrations/index.js';
import type { Database } from '../schema.js';
import type { SqliteDirect } from '../sqlite-connection.js';

/** What every role's Kysely implementation works on: one connection (the pool or a transaction). */
export interface KyselyContext {
  /** The pool, or the open transaction. */
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** True when `db` is a transaction: nested atomic work joins it. */
  readonly inTransaction: boolean;
  /** Where artifact bytes live, bound to this connection. */
  readonly artifacts: ArtifactStore;
  /** SQLite only: the raw connection, for the hottest writes (prepared once, in turn with Kysely). */
  readonly direct?: SqliteDirect;
}

/** Run `fn` in the context's transaction, or in a new one when there is none. */
export function atomic<T>(ctx: KyselyContext, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) return fn(ctx.db);
  return ctx.db.transaction().execute((trx: Transaction<Database>) => fn(trx));
}

/** A date as stored (ISO 8601 text, both dialects). */
export const iso = (d: Date): string => d.toISOString();
/** A stored date read back. */
export const date = (s: string): Date => new Date(s);
/** A stored nullable date read back. */
export const dateOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));

/** True when a database error is a unique-constraint violation, on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Rows per multi-row insert (and ids per `in` list), well under SQLite's 32,766 bound-parameter limit. */
export const INSERT_CHUNK = 500;
