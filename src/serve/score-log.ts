import type { Score } from '../domain/entities.js';
import type { FeedbackStore } from '../store/roles/feedback-store.js';

/** Most scores written in one transaction; a larger backlog is written in several, one after another. */
const MAX_BATCH_ROWS = 5_000;

interface Waiter {
  readonly rows: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit for the score log (as databases do for their own logs). Every request's scores are
 * queued; all that arrive while the event loop is busy (the requests parsed in one turn, and those
 * that arrive while a batch is being written) go to the database in one transaction, and each
 * request is answered only once the batch holding its scores has committed: nothing acknowledged
 * is lost, and a score costs a row rather than a transaction. The wait is one turn of the event
 * loop plus the write itself, well under a millisecond on SQLite.
 */
export class ScoreLog {
  private pending: Score[] = [];
  private waiters: Waiter[] = [];
  private writing: Promise<void> | null = null;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(private readonly store: Pick<FeedbackStore, 'insertScores'>) {}

  /** Queue scores; resolves once they are committed, rejects when their batch could not be written. */
  append(scores: readonly Score[]): Promise<void> {
    if (scores.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      for (const s of scores) this.pending.push(s);
      this.waiters.push({ rows: scores.length, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every score queued so far is written (or has failed). */
  drain(): Promise<void> {
    if (!this.writing && !this.scheduled && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase: every request read in this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.write();
    });
  }

  private write(): void {
    // Whole requests only, up to MAX_BATCH_ROWS (a single larger request goes alone).
    let rows = 0;
    let n = 0;
    while (n < this.waiters.length && (n === 0 || rows + this.waiters[n].rows <= MAX_BATCH_ROWS)) rows += this.waiters[n++].rows;
    const waiters = this.waiters.splice(0, n);
    const batch = this.pending.splice(0, rows);
    this.writing = this.store.insertScores(batch).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
    void this.writing.then(() => {
      this.writing = null;
      if (this.waiters.length > 0) this.schedule();
      else for (const done of this.idle.splice(0)) done();
    });
  }
}
