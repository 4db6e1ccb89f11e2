/**
 * The worker thread that runs the compute part of one retrain (src/retrain/compute.ts), so that
 * training never blocks the server's event loop and a deadline can stop it by terminating the
 * thread. Protocol: `labels` chunks, then `start`; replies `progress`, then `done` or `error`.
 */
import { parentPort } from 'node:worker_threads';
import { UnrecoverableError } from '../errors.js';
import type { RawLabelRow } from '../store/store.js';
import type { ComputeInput } from './compute.js';
import { trainAndEvaluate } from './compute.js';
import type { SmokeInput, SmokeOutput } from './smoke.js';
import { runSmokeTest } from './smoke.js';
import { loadPlugins } from '../train/plugins.js';

/** Messages the worker accepts. */
export type ToWorker =
  | { type: 'labels'; rows: RawLabelRow[] }
  | {
      type: 'start';
      spec: ComputeInput['spec'];
      champion: ComputeInput['champion'];
      championTraining: ComputeInput['championTraining'];
      job: ComputeInput['job'];
      imported: ComputeInput['imported'];
      plugins: readonly string[];
    }
  | { type: 'smoke'; input: SmokeInput };

/** Messages the worker sends. */
export type FromWorker =
  | { type: 'progress'; fraction: number }
  | { type: 'log'; text: string }
  | { type: 'started'; pid: number }
  | { type: 'done'; output: Awaited<ReturnType<typeof trainAndEvaluate>> }
  | { type: 'smoked'; output: SmokeOutput }
  | { type: 'error'; message: string; unrecoverable: boolean };

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');

const labels: RawLabelRow[] = [];
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'labels') {
    for (const r of msg.rows) labels.push(r);
    return;
  }
  if (msg.type === 'smoke') {
    // A fresh thread: plug-in trainers must be loaded here before their artifacts can load.
    void loadPlugins(msg.input.plugins ?? []).then(
      () => port.postMessage({ type: 'smoked', output: runSmokeTest(msg.input) } satisfies FromWorker),
      (err: unknown) => port.postMessage({ type: 'smoked', output: { ok: false, reason: `plug-in trainers did not load: ${(err as Error).message}`, rows: msg.input.rows.length, latencyMs: 0 } } satisfies FromWorker),
    );
    return;
  }
  let last = -1;
  trainAndEvaluate(
    { spec: msg.spec, labels, champion: msg.champion, championTraining: msg.championTraining, job: msg.job, imported: msg.imported, plugins: msg.plugins },
    {
      signal: new AbortController().signal,
      onLog: (text) => port.postMessage({ type: 'log', text } satisfies FromWorker),
      // The parent kills the group on a timeout or cancel: terminating this thread would not.
      onStart: (pid) => port.postMessage({ type: 'started', pid } satisfies FromWorker),
      onProgress: (fraction) => {
        // At most ~100 progress messages per run.
        if (fraction === 1 || fraction - last >= 0.01) {
          last = fraction;
          port.postMessage({ type: 'progress', fraction } satisfies FromWorker);
        }
      },
    },
  ).then(
    (output) => port.postMessage({ type: 'done', output } satisfies FromWorker, [output.challengerBytes.buffer as ArrayBuffer]),
    (err: unknown) =>
      port.postMessage({
        type: 'error',
        message: err instanceof Error ? err.message : String(err),
        unrecoverable: err instanceof UnrecoverableError,
      } satisfies FromWorker),
  );
});
