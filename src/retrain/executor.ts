import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../data/module-thread.js';
import { UnrecoverableError } from '../errors.js';
import { killGroup } from '../train/command/run-command.js';
import type { ComputeInput, ComputeOptions, ComputeOutput } from './compute.js';
import { trainAndEvaluate } from './compute.js';
import type { FromWorker, KeptWindows, ToWorker } from './train-worker.js';
import type { SmokeInput, SmokeOutput } from './smoke.js';
import { runSmokeTest } from './smoke.js';

/** Where the compute part of a retrain runs. */
export interface ComputeExecutor {
  run(input: ComputeInput, options: ComputeOptions): Promise<ComputeOutput>;
  /** The smoke test of a stored artifact before activation; absent: run in this thread. */
  smoke?(input: SmokeInput): Promise<SmokeOutput>;
  /** Stop its threads (at shutdown, once no job runs). Absent: nothing to stop. */
  close?(): Promise<void>;
  /**
   * Before any job: start the threads a first job would start and run `input` (a small made-up
   * retrain, src/retrain/warm-up.ts) there, so the first real retrain finds them started and their
   * code compiled. Absent: nothing to warm.
   */
  warm?(input: ComputeInput): void;
}

/** Runs in this thread (trainers yield to the event loop between iterations). For tests and plug-in trainers registered at run time. */
export const inlineExecutor: ComputeExecutor = { run: trainAndEvaluate, smoke: async (input) => runSmokeTest(input) };

/** Label rows per message to the worker: each message is cloned on the main thread, so keep them small. */
const LABEL_CHUNK = 5_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Start the training worker script in a new thread (from the TypeScript sources in tests and benches). */
function startThread(): Worker {
  return startModuleThread(new URL(import.meta.url.endsWith('.ts') ? './train-worker.ts' : './train-worker.js', import.meta.url));
}

/** A long-lived thread and what the executor knows of it. */
interface Thread {
  readonly worker: Worker;
  busy: boolean;
  /** The windows it keeps parsed, by model id (as it last reported them). */
  kept: KeptWindows;
  /** The current job's handlers. */
  onMessage: ((msg: FromWorker) => void) | null;
  onGone: ((err: Error) => void) | null;
}

/** The smoke-test thread and the tests waiting for it, by request id. */
interface Smoker {
  readonly worker: Worker;
  readonly pending: Map<number, { readonly resolve: (out: SmokeOutput) => void; readonly rows: number }>;
  nextId: number;
}

/**
 * Runs the compute part of retrains in long-lived worker threads, so that training never blocks
 * the server's event loop, without starting a thread (and loading the trainers into it) per job:
 * one training thread per job running at once (one with the default queue), kept between jobs
 * with the parsed training windows of recent retrains (only a window's new rows are sent to it,
 * see src/retrain/label-window.ts), and one thread for smoke tests, which never trains, so an
 * artifact is loaded where nothing of a training run is left. Idle threads are unref'd (they
 * never keep a process alive) and `close` ends them.
 *
 * Aborting a job (a timeout or a cancel) terminates its thread, so the work really stops; the
 * next job starts a new one. A job that fails (its trainer throws) leaves its thread in the pool.
 */
export class WorkerExecutor implements ComputeExecutor {
  private readonly training: Thread[] = [];
  private smoker: Smoker | null = null;
  /** The warm-up under way, which a job waits for rather than start a cold thread of its own. */
  private warming: Promise<void> | null = null;
  /** Counts warm-ups and closes, so a warm-up cut short by `close` starts nothing more. */
  private warmUps = 0;

  /** Threads alive now: training threads (busy or idle) and the smoke-test thread. */
  get activeWorkers(): number {
    return this.training.length + (this.smoker ? 1 : 0);
  }

  /** Thread ids of the training threads alive now (busy or idle), oldest first. */
  get trainingThreadIds(): number[] {
    return this.training.map((t) => t.worker.threadId);
  }

  /** Training threads running a job now. */
  get busyWorkers(): number {
    return this.training.filter((t) => t.busy).length;
  }

  /** The smoke test in the smoke-test thread: the artifact is loaded where no training ever ran. */
  async smoke(input: SmokeInput): Promise<SmokeOutput> {
    const smoker = this.smokeThread();
    const id = smoker.nextId++;
    return new Promise<SmokeOutput>((resolve) => {
      smoker.pending.set(id, { resolve, rows: input.rows.length });
      smoker.worker.ref();
      smoker.worker.postMessage({ type: 'smoke', id, input } satisfies ToWorker);
    });
  }

  /** The smoke-test thread, started if there is none (idle, unref'd). */
  private smokeThread(): Smoker {
    if (this.smoker) return this.smoker;
    const worker = startThread();
    worker.unref();
    const smoker: Smoker = { worker, pending: new Map(), nextId: 1 };
    const fail = (reason: string) => {
      if (this.smoker === smoker) this.smoker = null;
      for (const p of smoker.pending.values()) p.resolve({ ok: false, reason, rows: p.rows, latencyMs: 0 });
      smoker.pending.clear();
    };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type !== 'smoked') return;
      smoker.pending.get(msg.id)?.resolve(msg.output);
      smoker.pending.delete(msg.id);
      if (smoker.pending.size === 0) worker.unref();
    });
    worker.on('error', (err) => fail(`the smoke-test worker failed: ${err.message}`));
    worker.on('exit', (code) => fail(`the smoke-test worker stopped unexpectedly (exit code ${code})`));
    this.smoker = smoker;
    return smoker;
  }

  /**
   * Start a training thread (and the smoke-test thread) and run `input` in it twice: on its own,
   * then against the model it made as the champion (scoring a champion and the paired bootstrap
   * run only then). A warm-up that fails is forgotten: the first job then starts as it would have.
   */
  warm(input: ComputeInput): void {
    if (this.warming || this.training.length > 0) return;
    const options: ComputeOptions = { signal: new AbortController().signal };
    const generation = ++this.warmUps;
    const warming = (async () => {
      const first = await this.execute(input, options);
      // Closed meanwhile: start nothing more.
      if (this.warmUps !== generation) return;
      await this.execute({ ...input, champion: { kind: first.trainer.type, bytes: first.challengerBytes }, championTraining: { from: first.dataRows.train.from, to: first.dataRows.train.to } }, options);
    })()
      .catch(() => {})
      .finally(() => {
        if (this.warming === warming) this.warming = null;
      });
    this.warming = warming;
  }

  /** End every thread (at shutdown, once no job runs); a later job starts new ones. */
  async close(): Promise<void> {
    const workers = [...this.training.map((t) => t.worker), ...(this.smoker ? [this.smoker.worker] : [])];
    this.training.length = 0;
    this.smoker = null;
    this.warming = null;
    this.warmUps++;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** An idle training thread, the one keeping this window if any; a new one when all are busy. */
  private take(modelId: string, windowKey: string | null): Thread {
    const idle = this.training.filter((t) => !t.busy);
    const thread = idle.find((t) => windowKey !== null && t.kept[modelId]?.key === windowKey) ?? idle[0] ?? this.spawn();
    thread.busy = true;
    thread.worker.ref();
    return thread;
  }

  private spawn(): Thread {
    // The job's new version is smoke-tested at its end: start that thread now, while it trains.
    this.smokeThread();
    const worker = startThread();
    const thread: Thread = { worker, busy: false, kept: {}, onMessage: null, onGone: null };
    worker.on('message', (msg: FromWorker) => thread.onMessage?.(msg));
    worker.on('error', (err) => {
      this.drop(thread);
      thread.onGone?.(new Error(`the training worker failed: ${err.message}`, { cause: err }));
    });
    worker.on('exit', (code) => {
      this.drop(thread);
      thread.onGone?.(new Error(`the training worker stopped unexpectedly (exit code ${code})`));
    });
    this.training.push(thread);
    return thread;
  }

  private drop(thread: Thread): void {
    const i = this.training.indexOf(thread);
    if (i >= 0) this.training.splice(i, 1);
  }

  private release(thread: Thread): void {
    thread.busy = false;
    thread.onMessage = null;
    thread.onGone = null;
    thread.worker.unref();
  }

  async run(input: ComputeInput, options: ComputeOptions): Promise<ComputeOutput> {
    // Its thread is about to be warm: waiting for it costs less than starting a cold one.
    if (this.warming) await this.warming;
    return this.execute(input, options);
  }

  private async execute(input: ComputeInput, options: ComputeOptions): Promise<ComputeOutput> {
    const { signal } = options;
    if (signal.aborted) throw signal.reason;
    const modelId = input.spec.id;
    const windowKey = input.windowKey ?? null;
    const thread = this.take(modelId, windowKey);
    const { worker } = thread;
    const groups: number[] = [];
    return new Promise<ComputeOutput>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void, keep: boolean) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        // A command the job started goes with it, children included.
        for (const pid of groups) killGroup(pid);
        if (keep) {
          this.release(thread);
          fn();
          return;
        }
        // Settle only once the thread is gone, so a timed-out job never outlives its work.
        this.drop(thread);
        thread.onMessage = null;
        thread.onGone = null;
        void worker.terminate().finally(fn);
      };
      const onAbort = () => finish(() => reject(signal.reason), false);
      signal.addEventListener('abort', onAbort, { once: true });
      thread.onGone = (err) => finish(() => reject(err), false);
      thread.onMessage = (msg) => {
        if (msg.type === 'progress') options.onProgress?.(msg.fraction);
        else if (msg.type === 'log') options.onLog?.(msg.text);
        else if (msg.type === 'started') {
          groups.push(msg.pid);
          options.onStart?.(msg.pid);
        } else if (msg.type === 'trained') {
          options.onTrained?.(msg.bytes, msg.kind);
        } else if (msg.type === 'window-miss') {
          // It does not hold what this executor thought: send the whole window.
          thread.kept = msg.kept;
          send(0);
        } else if (msg.type === 'done') {
          thread.kept = msg.kept;
          finish(() => resolve(msg.output), true);
        } else if (msg.type === 'error') {
          thread.kept = msg.kept;
          finish(() => reject(msg.unrecoverable ? new UnrecoverableError(msg.message) : new Error(msg.message)), true);
        }
      };
      const send = (from: number) => {
        void (async () => {
          try {
            worker.postMessage({ type: 'window', modelId, key: windowKey, from } satisfies ToWorker);
            for (let i = from; i < input.labels.length && !settled; i += LABEL_CHUNK) {
              worker.postMessage({ type: 'labels', rows: input.labels.slice(i, i + LABEL_CHUNK) as ToWorker extends { rows: infer R } ? R : never } satisfies ToWorker);
              await yieldToLoop();
            }
            if (!settled) {
              worker.postMessage({
                type: 'start',
                spec: input.spec,
                champion: input.champion,
                championTraining: input.championTraining ?? null,
                job: input.job ?? null,
                imported: input.imported ?? null,
                plugins: input.plugins ?? [],
                threads: input.threads ?? null,
              } satisfies ToWorker);
            }
          } catch (err) {
            finish(() => reject(err), false);
          }
        })();
      };
      // The rows the thread keeps for this window need not be sent again.
      const kept = thread.kept[modelId];
      send(windowKey !== null && kept?.key === windowKey && kept.rows <= input.labels.length ? kept.rows : 0);
    });
  }
}
