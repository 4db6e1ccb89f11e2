import { createRequire } from 'node:module';
import type WorkerThreads from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * One statement of a batch: SQL text built by the store's own code (never from a request), its
 * positional values, and named values bound once for the statement.
 */
export interface WriteStatement {
  readonly sql: string;
  readonly values: readonly unknown[];
  readonly named?: Readonly<Record<string, unknown>>;
}

/** A running writer thread; see startSqliteWriter. */
export interface SqliteWriter {
  /** Run the statements in one transaction on the writer's connection; resolves once it has committed. */
  run(statements: readonly WriteStatement[]): Promise<void>;
  /** False once the thread has failed: the caller writes on its own connection instead. */
  readonly alive: boolean;
  /** Let the batches under way commit, then close the thread's connection. */
  stop(): Promise<void>;
}

interface Request {
  readonly id: number;
  readonly statements: readonly WriteStatement[];
}

interface Reply {
  readonly id: number;
  readonly error?: { readonly message: string; readonly code?: string };
}

/**
 * The writer's thread: its own connection to the database file, opened with the settings of the
 * store's own, running each batch in a transaction that takes SQLite's write lock at its start
 * (BEGIN IMMEDIATE, waiting up to busy_timeout for the other connection's transaction to end).
 */
function writerMain(wt: typeof WorkerThreads, req: NodeJS.Require): void {
  const { path, module, synchronous } = wt.workerData as { path: string; module: string; synchronous: 'NORMAL' | 'FULL' };
  const Database = req(module) as typeof BetterSqlite3;
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('wal_autocheckpoint = 10000');
  const prepared = new Map<string, BetterSqlite3.Statement>();
  const batch = db.transaction((statements: readonly WriteStatement[]) => {
    for (const s of statements) {
      let stmt = prepared.get(s.sql);
      if (!stmt) prepared.set(s.sql, (stmt = db.prepare(s.sql)));
      if (s.named) stmt.run(s.values, s.named);
      else stmt.run(s.values);
    }
  });
  const port = wt.parentPort!;
  port.on('message', (m: Request | 'stop') => {
    if (m === 'stop') {
      db.close();
      port.close();
      return;
    }
    try {
      batch.immediate(m.statements);
      port.postMessage({ id: m.id } satisfies Reply);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id: m.id, error: { message: String(e?.message ?? err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } } satisfies Reply);
    }
  });
}

/**
 * Move the score log's writes off the event loop. Under load the server writes a batch of scores
 * every turn of its event loop (group commit, src/serve/score-log.ts), and on SQLite those
 * inserts and their commit ran on the event loop: about 6 µs of its time a score, a sixth of a
 * single-row request. A thread with its own connection to the same file does them instead; a
 * request is still answered only once the batch holding its scores has committed.
 *
 * Two connections write to one file, so each takes SQLite's write lock when its transaction
 * begins (BEGIN IMMEDIATE here and in the store's own transactions, src/store/create-store.ts):
 * a transaction that had read first and wanted to write second would otherwise fail with
 * SQLITE_BUSY whenever the other connection committed in between. The other waits (busy_timeout)
 * while a batch commits: a tenth of a millisecond or so.
 */
export function startSqliteWriter(path: string, synchronous: 'normal' | 'full' = 'normal'): SqliteWriter {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(`(${writerMain.toString()})(require('node:worker_threads'), require);`, {
    eval: true,
    workerData: { path, module, synchronous: synchronous === 'full' ? 'FULL' : 'NORMAL' },
  });
  const pending = new Map<number, { resolve: () => void; reject: (err: unknown) => void }>();
  let next = 0;
  let alive = true;
  let stopping = false;
  // Idle, the thread does not keep the process alive; with a batch under way it does.
  worker.unref();
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.error) p.reject(Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}));
    else p.resolve();
  });
  const fail = (err: unknown) => {
    alive = false;
    // A batch whose thread died may or may not have committed; it is not acknowledged either way.
    for (const p of pending.values()) p.reject(err instanceof Error ? err : new Error(String(err)));
    pending.clear();
  };
  worker.on('error', fail);
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (!stopping || pending.size > 0) fail(new Error(`The SQLite writer thread stopped (exit code ${code}).`));
      alive = false;
      resolve();
    }),
  );
  return {
    get alive() {
      return alive;
    },
    run(statements) {
      if (!alive) return Promise.reject(new Error('The SQLite writer thread is not running.'));
      const id = next++;
      return new Promise<void>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, statements } satisfies Request);
      });
    },
    async stop() {
      if (stopping) return exited;
      stopping = true;
      // Messages are handled in order: every batch posted before this one commits first.
      if (alive) worker.postMessage('stop');
      worker.ref();
      await exited;
    },
  };
}
