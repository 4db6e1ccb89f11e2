/**
 * A long-lived worker thread (src/retrain/executor.ts) that runs the compute part of retrains
 * (src/retrain/compute.ts) one after another, so that training never blocks the server's event
 * loop and a deadline can stop it by terminating the thread; or, in the smoke-test thread, smoke
 * tests. Protocol per job: `window` (which kept window the rows extend, from which row), `labels`
 * chunks, then `start`; replies `progress`, `trained` (the artifact, before its evaluation), then `done` or `error` (or `window-miss`, when it
 * does not hold the window it was told to extend: the executor then sends it whole).
 *
 * It keeps the parsed, hashed and encoded windows of recent retrains (at most WINDOW_CHARS
 * characters of label text in all, least recently used dropped first), so a retrain whose window
 * only grew parses, hashes and encodes only its new rows; each reply says which windows it keeps.
 */
import { parentPort } from 'node:worker_threads';
import { DatasetBuilder, DatasetHasher } from '../data/build-dataset.js';
import type { Dataset } from '../data/dataset.js';
import type { FeatureSpec, Task } from '../domain/entities.js';
import { UnrecoverableError } from '../errors.js';
import type { LabelRow, RawLabelRow } from '../store/store.js';
import { parseLabelRow } from '../store/store.js';
import type { ComputeInput, ParsedWindow } from './compute.js';
import { trainAndEvaluateWindow } from './compute.js';
import { DEFAULT_WINDOW_CACHE_CHARS } from './label-window.js';
import type { SmokeInput, SmokeOutput } from './smoke.js';
import { runSmokeTest } from './smoke.js';
import { loadPlugins } from '../train/plugins.js';

/** The windows a thread keeps, by model id: the key it was sent with and how many rows it holds. */
export type KeptWindows = Readonly<Record<string, { readonly key: string; readonly rows: number }>>;

/** Messages the worker accepts. */
export type ToWorker =
  | { type: 'window'; modelId: string; key: string | null; from: number }
  | { type: 'labels'; rows: RawLabelRow[] }
  | {
      type: 'start';
      spec: ComputeInput['spec'];
      champion: ComputeInput['champion'];
      championTraining: ComputeInput['championTraining'];
      job: ComputeInput['job'];
      imported: ComputeInput['imported'];
      plugins: readonly string[];
      threads: number | null;
    }
  | { type: 'smoke'; id: number; input: SmokeInput };

/** Messages the worker sends. */
export type FromWorker =
  | { type: 'progress'; fraction: number }
  | { type: 'log'; text: string }
  | { type: 'started'; pid: number }
  | { type: 'trained'; bytes: Uint8Array; kind: string }
  | { type: 'window-miss'; kept: KeptWindows }
  | { type: 'done'; output: Awaited<ReturnType<typeof trainAndEvaluateWindow>>; kept: KeptWindows }
  | { type: 'smoked'; id: number; output: SmokeOutput }
  | { type: 'error'; message: string; unrecoverable: boolean; kept: KeptWindows };

const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');

/** Shortest time between two progress messages, in ms. */
const PROGRESS_MS = 100;

/** Label text kept in this thread's windows, in characters (as the server's own copy, src/retrain/label-window.ts). */
const WINDOW_CHARS = DEFAULT_WINDOW_CACHE_CHARS;

interface Kept {
  readonly key: string;
  readonly labels: LabelRow[];
  readonly hasher: DatasetHasher;
  chars: number;
  /** The rows encoded for the spec of the last retrain (task, features, classes), or null. */
  encoded: { readonly spec: string; readonly builder: DatasetBuilder } | null;
}

/** The dataset of a kept window for a spec: its rows encoded before are not encoded again. */
function keptDataset(w: Kept, task: Task, features: readonly FeatureSpec[], classes: readonly string[] | null | undefined): Dataset {
  const spec = JSON.stringify([task, features, classes ?? null]);
  if (w.encoded?.spec !== spec) w.encoded = { spec, builder: new DatasetBuilder(task, features, classes) };
  const { builder } = w.encoded;
  try {
    if (builder.rows < w.labels.length) builder.add(w.labels.slice(builder.rows));
  } catch (err) {
    w.encoded = null;
    throw err;
  }
  return builder.build();
}

/** Kept windows by model id, least recently used first. */
const windows = new Map<string, Kept>();
let keptChars = 0;

function keptWindows(): KeptWindows {
  const out: Record<string, { key: string; rows: number }> = {};
  for (const [modelId, w] of windows) out[modelId] = { key: w.key, rows: w.labels.length };
  return out;
}

function forget(modelId: string): void {
  const w = windows.get(modelId);
  if (!w) return;
  keptChars -= w.chars;
  windows.delete(modelId);
}

function rawChars(rows: readonly RawLabelRow[]): number {
  let n = 0;
  for (const r of rows) n += r.features.length + r.label.length + (r.scoreId?.length ?? 0) + (r.meta?.length ?? 0) + 16;
  return n;
}

/** The job's window: the kept one extended by `rows`, a new kept one, or (key null, or too big) one that is not kept. Null when the kept one is not the one named. */
function windowFor(modelId: string, key: string | null, from: number, rows: readonly RawLabelRow[]): ParsedWindow | null {
  const parsed = rows.map(parseLabelRow);
  if (key === null) {
    forget(modelId);
    return { labels: parsed, hash: new DatasetHasher().add(parsed).digest() };
  }
  let w = windows.get(modelId);
  if (from > 0 && (!w || w.key !== key || w.labels.length !== from)) return null;
  if (from === 0 || !w) {
    forget(modelId);
    w = { key, labels: [], hasher: new DatasetHasher(), chars: 0, encoded: null };
  } else {
    windows.delete(modelId);
    keptChars -= w.chars;
  }
  for (const r of parsed) w.labels.push(r);
  w.hasher.add(parsed);
  w.chars += rawChars(rows);
  const kept = w;
  const window: ParsedWindow = { labels: w.labels, hash: w.hasher.digest(), dataset: (task, features, classes) => keptDataset(kept, task, features, classes) };
  if (w.chars <= WINDOW_CHARS) {
    windows.set(modelId, w);
    keptChars += w.chars;
    for (const id of [...windows.keys()]) {
      if (keptChars <= WINDOW_CHARS) break;
      if (id !== modelId) forget(id);
    }
  }
  return window;
}

let current: { modelId: string; key: string | null; from: number } = { modelId: '', key: null, from: 0 };
let pending: RawLabelRow[] = [];

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'window') {
    current = { modelId: msg.modelId, key: msg.key, from: msg.from };
    pending = [];
    return;
  }
  if (msg.type === 'labels') {
    for (const r of msg.rows) pending.push(r);
    return;
  }
  if (msg.type === 'smoke') {
    // Plug-in trainers must be loaded here before their artifacts can load (once: loading is idempotent).
    void loadPlugins(msg.input.plugins ?? []).then(
      () => port.postMessage({ type: 'smoked', id: msg.id, output: runSmokeTest(msg.input) } satisfies FromWorker),
      (err: unknown) => port.postMessage({ type: 'smoked', id: msg.id, output: { ok: false, reason: `plug-in trainers did not load: ${(err as Error).message}`, rows: msg.input.rows.length, latencyMs: 0 } } satisfies FromWorker),
    );
    return;
  }
  const rows = pending;
  pending = [];
  const fail = (err: unknown) =>
    port.postMessage({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
      unrecoverable: err instanceof UnrecoverableError,
      kept: keptWindows(),
    } satisfies FromWorker);
  let window: ParsedWindow | null;
  try {
    window = windowFor(current.modelId, current.key, current.from, rows);
  } catch (err) {
    // A row that does not parse: nothing of this window is kept.
    forget(current.modelId);
    fail(err);
    return;
  }
  if (window === null) {
    port.postMessage({ type: 'window-miss', kept: keptWindows() } satisfies FromWorker);
    return;
  }
  let last = -1;
  let lastAt = 0;
  trainAndEvaluateWindow(
    // Side work (half of a bootstrap, gbdt's early stopping) may go to helper threads of this one when two cores are free (msg.threads).
    { spec: msg.spec, champion: msg.champion, championTraining: msg.championTraining, job: msg.job, imported: msg.imported, plugins: msg.plugins, threads: msg.threads, helperThreads: true },
    window,
    {
      signal: new AbortController().signal,
      onLog: (text) => port.postMessage({ type: 'log', text } satisfies FromWorker),
      // The parent kills the group on a timeout or cancel: terminating this thread would not.
      onStart: (pid) => port.postMessage({ type: 'started', pid } satisfies FromWorker),
      // A copy: the same bytes go back (copied again) with the output.
      onTrained: (bytes, kind) => port.postMessage({ type: 'trained', bytes, kind } satisfies FromWorker),
      onProgress: (fraction) => {
        // At most one message per percent and per PROGRESS_MS: each one wakes the server's event
        // loop (and goes out on the event stream), which would otherwise take CPU from training.
        const now = performance.now();
        if (fraction === 1 || (fraction - last >= 0.01 && now - lastAt >= PROGRESS_MS)) {
          last = fraction;
          lastAt = now;
          port.postMessage({ type: 'progress', fraction } satisfies FromWorker);
        }
      },
    },
  ).then((output) => {
    // Copied, never transferred: transferring detaches the buffer in this thread, and the first
    // ArrayBuffer ever detached in a thread makes V8 check for detached buffers in every typed
    // array access it compiles from then on (its "detaching protector"). Every later fit of this
    // thread ran about a quarter slower (a 45,000-label fit: 280 against 225 ms); copying the
    // artifact costs well under a millisecond.
    port.postMessage({ type: 'done', output, kept: keptWindows() } satisfies FromWorker);
  }, fail);
});
