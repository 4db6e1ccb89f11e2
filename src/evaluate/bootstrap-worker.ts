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
  // Copied, not transferred: a transfer detaches the buffer, and one detached buffer slows every
  // typed array access this thread compiles from then on (see the training thread's 'done').
  port.postMessage({ id, deltas } satisfies FromBootstrapThread);
});
port.postMessage({ ready: true } satisfies FromBootstrapThread);
