import { Worker } from 'node:worker_threads';
import { UnrecoverableError } from '../errors.js';
import { killGroup } from '../train/command/run-command.js';
import type { ComputeInput, ComputeOptions, ComputeOutput } from './compute.js';
import { trainAndEvaluate } from './compute.js';
import type { FromWorker, ToWorker } from './train-worker.js';
import type { SmokeInput, SmokeOutput } from './smoke.js';
import { runSmokeTest } from './smoke.js';

/** Where the compute part of a retrain runs. */
export interface ComputeExecutor {
  run(input: ComputeInput, options: ComputeOptions): Promise<ComputeOutput>;
  /** The smoke test of a stored artifact before activation; absent: run in this thread. */
  smoke?(input: SmokeInput): Promise<SmokeOutput>;
}

/** Runs in this thread (trainers yield to the event loop between iterations). For tests and plug-in trainers registered at run time. */
export const inlineExecutor: ComputeExecutor = { run: trainAndEvaluate, smoke: async (input) => runSmokeTest(input) };

/** Label rows per message to the worker: each message is cloned on the main thread, so keep them small. */
const LABEL_CHUNK = 5_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs each retrain's compute part in its own worker thread. Aborting the signal (a timeout or a
 * cancel) terminates the thread, so the work really stops. From TypeScript sources (tests) the
 * worker is started through tsx; from the build it is plain JavaScript.
 */
export class WorkerExecutor implements ComputeExecutor {
  private live = 0;

  /** Worker threads alive now (each is terminated when its job ends, times out or is cancelled). */
  get activeWorkers(): number {
    return this.live;
  }

  /** The smoke test in a fresh worker thread: the artifact is loaded where nothing of the training run is left. */
  async smoke(input: SmokeInput): Promise<SmokeOutput> {
    const worker = this.spawn();
    try {
      return await new Promise<SmokeOutput>((resolve, reject) => {
        worker.on('message', (msg: FromWorker) => {
          if (msg.type === 'smoked') resolve(msg.output);
        });
        worker.on('error', (err) => resolve({ ok: false, reason: `the smoke-test worker failed: ${err.message}`, rows: input.rows.length, latencyMs: 0 }));
        worker.on('exit', (code) => reject(new Error(`the smoke-test worker stopped unexpectedly (exit code ${code})`)));
        worker.postMessage({ type: 'smoke', input } satisfies ToWorker);
      });
    } finally {
      await worker.terminate();
    }
  }

  private spawn(): Worker {
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = fromSource
      ? // Node 20 workers do not take --import loaders from execArgv; register tsx inside the thread.
        new Worker(
          `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./train-worker.ts', import.meta.url).href)}); })`,
          { eval: true },
        )
      : new Worker(new URL('./train-worker.js', import.meta.url));
    this.live++;
    worker.once('exit', () => {
      this.live--;
    });
    return worker;
  }

  async run(input: ComputeInput, options: ComputeOptions): Promise<ComputeOutput> {
    const { signal } = options;
    if (signal.aborted) throw signal.reason;
    const worker = this.spawn();
    const groups: number[] = [];
    return new Promise<ComputeOutput>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        // A command the job started goes with it, children included.
        for (const pid of groups) killGroup(pid);
        // Settle only once the thread is gone, so a timed-out job never outlives its work.
        void worker.terminate().finally(fn);
      };
      const onAbort = () => finish(() => reject(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'progress') options.onProgress?.(msg.fraction);
        else if (msg.type === 'log') options.onLog?.(msg.text);
        else if (msg.type === 'started') {
          groups.push(msg.pid);
          options.onStart?.(msg.pid);
        }
        else if (msg.type === 'done') finish(() => resolve(msg.output));
        else if (msg.type === 'error') finish(() => reject(msg.unrecoverable ? new UnrecoverableError(msg.message) : new Error(msg.message)));
      });
      worker.on('error', (err) => finish(() => reject(new Error(`the training worker failed: ${err.message}`, { cause: err }))));
      worker.on('exit', (code) => finish(() => reject(new Error(`the training worker stopped unexpectedly (exit code ${code})`))));
      void (async () => {
        try {
          for (let i = 0; i < input.labels.length && !settled; i += LABEL_CHUNK) {
            worker.postMessage({ type: 'labels', rows: input.labels.slice(i, i + LABEL_CHUNK) as ToWorker extends { rows: infer R } ? R : never } satisfies ToWorker);
            await yieldToLoop();
          }
          if (!settled) worker.postMessage({ type: 'start', spec: input.spec, champion: input.champion, championTraining: input.championTraining ?? null, job: input.job ?? null, imported: input.imported ?? null, plugins: input.plugins ?? [] } satisfies ToWorker);
        } catch (err) {
          finish(() => reject(err));
        }
      })();
    });
  }
}
