import { createRequire } from 'node:module';
import type WorkerThreads from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** How often the checkpointer looks at the WAL: often enough that it stays a few MB. */
export const CHECKPOINT_INTERVAL_MS = 250;

/** A running background checkpointer; `stop` ends it (after the checkpoint under way, if any). */
export interface SqliteCheckpointer {
  stop(): Promise<void>;
}

/**
 * The checkpointer's thread: its own connection to the database file, running SQLite's PASSIVE
 * checkpoint (which never waits for, nor blocks, the writer or readers) every interval.
 */
function checkpointerMain(wt: typeof WorkerThreads, req: NodeJS.Require): void {
  const { path, module, intervalMs } = wt.workerData as { path: string; module: string; intervalMs: number };
  const Database = req(module) as typeof BetterSqlite3;
  const db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (another process checkpoints) or anything passing: the next turn tries again, and
      // the writer's own automatic checkpoint stays the safety net.
    }
  }, intervalMs);
  wt.parentPort?.on('message', () => {
    clearInterval(timer);
    db.close();
    wt.parentPort?.close();
  });
}

/**
 * Move SQLite's WAL checkpoints off the event loop. In WAL mode a commit appends to the WAL, and
 * every so many pages the committing connection copies the WAL back into the database file and
 * flushes both to disk (its automatic checkpoint), during which the server answers nothing: tens
 * of milliseconds once the WAL holds thousands of pages. A thread with its own connection does
 * that work instead, every CHECKPOINT_INTERVAL_MS, while the server goes on writing; the
 * server's automatic checkpoint stays on as the safety net and, with the WAL kept short, seldom
 * fires. (better-sqlite3's documentation suggests checkpointing from a timer for the same reason.)
 */
export function startSqliteCheckpointer(path: string, intervalMs = CHECKPOINT_INTERVAL_MS): SqliteCheckpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(`(${checkpointerMain.toString()})(require('node:worker_threads'), require);`, {
    eval: true,
    workerData: { path, module, intervalMs },
  });
  // A checkpointer that cannot run (a file it cannot open) leaves the automatic checkpoint doing the work.
  worker.on('error', () => {});
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      // Until it has exited, the thread keeps the process alive (it is unref'd while it runs).
      worker.ref();
      await exited;
    },
  };
}
