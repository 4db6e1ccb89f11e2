/**
 * The bootstrap thread's script (src/evaluate/bootstrap-thread.ts): computes the parts of paired
 * bootstraps it is sent, one at a time, and says when it is ready.
 */
import { parentPort } from 'node:worker_threads';
import { mulberry32 } from '../data/random.js';
import { bootstrapDeltas, type BootstrapPart } from './paired-bootstrap.js';

export type ToBootstrapThread = { readonly id: number; readonly part: BootstrapPart };
export type FromBootstrapThread = { readonly id: number; readonly deltas: Float64Array } | { readonly id: number; readonly error: string };

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
/**
 * Run the kernels on made-up predictions before saying ready (a few milliseconds), so that the
 * first real bootstrap runs them compiled: 2,000 rows with distinct scores (the paired AUC path,
 * the usual one) and a regression metric, a few dozen resamples each, a few times over.
 */
function warmUp(): void {
  const random = mulberry32(1);
  const n = 2_000;
  const y = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = random() < 0.4 ? 1 : 0;
    a[i] = 0.3 * y[i] + 0.7 * random();
    b[i] = 0.2 * y[i] + 0.8 * random();
  }
  for (let round = 0; round < 6; round++) {
    bootstrapDeltas({ task: 'binary', metric: 'auc', y, a, b, classCount: 2, seed: round, from: 0, to: 100 });
    bootstrapDeltas({ task: 'regression', metric: 'rmse', y, a, b, classCount: 0, seed: round, from: 0, to: 10 });
  }
}

warmUp();
port.postMessage('ready');
