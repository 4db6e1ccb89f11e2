/**
 * The bootstrap thread's script (src/evaluate/bootstrap-thread.ts): computes the parts of paired
 * bootstraps it is sent, one at a time, and says when it is ready.
 */
import { parentPort } from 'node:worker_threads';
import { bootstrapDeltas, type BootstrapPart } from './paired-bootstrap.js';

export type ToBootstrapThread = { readonly id: number; readonly part: BootstrapPart };
export type FromBootstrapThread = { readonly ready: true } | { readonly id: number; readonly deltas: Float64Array } | { readonly id: number; readonly error: string };

const port = parentPort;
if (!port) throw new Error('bootstrap-worker must run in a worker thread');

port.on('message', ({ id, part }: ToBootstrapThread) => {
  let deltas: Float64Array;
  try {
    deltas = bootstrapDeltas(part);
  } catch (err) {
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies FromBootstrapThread);
    return;
  }
  // The deltas are a view of a buffer no one else uses: hand it over.
  port.postMessage({ id, deltas } satisfies FromBootstrapThread, [deltas.buffer as ArrayBuffer]);
});
port.postMessage({ ready: true } satisfies FromBootstrapThread);
