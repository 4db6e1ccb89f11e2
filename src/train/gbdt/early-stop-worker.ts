/**
 * The early-stopping thread's script (src/train/gbdt/early-stopping.ts): for one fit at a time, it
 * keeps the validation rows' margins, adds each round's trees to them as they come, and writes
 * the round's validation loss to shared memory, where the fit reads it without waiting for a turn
 * of its event loop.
 */
import { parentPort } from 'node:worker_threads';
import { mulberry32 } from '../../data/random.js';
import type { Dataset } from '../../data/dataset.js';
import { Ensemble } from './ensemble.js';
import { hasMissing } from './forest-kernels.js';
import { meanLoss } from './loss.js';
import type { GbdtParams } from './params.js';

/** A fit's validation rows, as early stopping passes over them. */
export interface ValidationRows {
  readonly task: Dataset['task'];
  readonly loss: GbdtParams['loss'];
  readonly delta: number;
  /** Validation rows, row-major, `width` features each, and their labels. */
  readonly x: Float64Array;
  readonly width: number;
  readonly y: Float64Array;
  /** The rows' margins before the fit's first new tree (row-major, `outputs` per row). */
  readonly margins: Float64Array;
  readonly outputs: number;
}

/** A fit's validation rows and where its losses go. */
export interface EarlyStopBegin extends ValidationRows {
  readonly type: 'begin';
  readonly fit: number;
  /** losses[r] = the validation loss after round r + 1; count[0] = the rounds written so far. */
  readonly losses: SharedArrayBuffer;
  readonly count: SharedArrayBuffer;
}

/** One round's trees, as slices of the fit's ensemble (node links relative to `nodeBase`, category words to `catBase`). */
export interface EarlyStopRound {
  readonly type: 'round';
  readonly fit: number;
  readonly round: number;
  readonly nodeBase: number;
  readonly catBase: number;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly defaultLeft: Uint8Array;
  readonly catOffset: Int32Array;
  readonly catCount: Int32Array;
  readonly value: Float64Array;
  readonly catBits: Uint32Array;
  /** Each tree's root (in the fit's numbering) and output. */
  readonly roots: Int32Array;
  readonly treeOutput: Int32Array;
}

export type ToEarlyStopThread = EarlyStopBegin | EarlyStopRound | { readonly type: 'end'; readonly fit: number };

const port = parentPort;
if (!port) throw new Error('early-stop-worker must run in a worker thread');

interface Job {
  readonly begin: EarlyStopBegin;
  readonly ensemble: Ensemble;
  readonly margins: Float64Array;
  readonly losses: Float64Array;
  readonly count: Int32Array;
  /** Whether the validation rows hold a missing value (scanned once, not before every round). */
  readonly missing: boolean;
}

/** The fits under way, by id (one at a time in a training thread; more where fits share a thread). */
const jobs = new Map<number, Job>();

port.on('message', (msg: ToEarlyStopThread) => {
  if (msg.type === 'begin') {
    jobs.set(msg.fit, { begin: msg, ensemble: new Ensemble(), margins: Float64Array.from(msg.margins), losses: new Float64Array(msg.losses), count: new Int32Array(msg.count), missing: hasMissing(msg.x, msg.y.length * msg.width) });
    return;
  }
  if (msg.type === 'end') {
    jobs.delete(msg.fit);
    return;
  }
  const job = jobs.get(msg.fit);
  if (job === undefined) return;
  const { begin, ensemble, margins, missing } = job;
  // The round's trees, renumbered into this ensemble (which holds the fit's new trees only).
  const from = ensemble.trees;
  const m = msg.feature.length;
  const base = ensemble.addNodes(m);
  const words = ensemble.addCatWords(msg.catBits.length);
  for (let i = 0; i < m; i++) {
    const at = base + i;
    ensemble.feature[at] = msg.feature[i];
    ensemble.threshold[at] = msg.threshold[i];
    ensemble.left[at] = msg.left[i] >= 0 ? msg.left[i] - msg.nodeBase + base : -1;
    ensemble.defaultLeft[at] = msg.defaultLeft[i];
    ensemble.catOffset[at] = msg.catOffset[i] >= 0 ? msg.catOffset[i] - msg.catBase + words : -1;
    ensemble.catCount[at] = msg.catCount[i];
    ensemble.value[at] = msg.value[i];
  }
  ensemble.catBits.set(msg.catBits, words);
  for (let t = 0; t < msg.roots.length; t++) ensemble.addTree(msg.roots[t] - msg.nodeBase + base, msg.treeOutput[t]);
  // Each margin gets the trees' values in tree order, as the fit's own ensemble would add them.
  ensemble.addMargins(begin.x, begin.width, begin.y.length, from, ensemble.trees, margins, begin.outputs, missing);
  job.losses[msg.round] = meanLoss(begin.task, begin.loss, begin.delta, margins, begin.y, begin.outputs);
  Atomics.store(job.count, 0, msg.round + 1);
  Atomics.notify(job.count, 0);
});
/**
 * Run the kernels on made-up trees before saying ready (a few milliseconds), so that the first fit
 * that hands its rounds here gets them compiled: complete depth-6 trees over 2,000 rows of 6
 * features, one round at a time as a fit sends them, with and without missing values (each takes
 * its own kernel), and the binary log loss after each round.
 */
function warmUp(): void {
  const random = mulberry32(1);
  const rows = 2_000;
  const width = 6;
  const depth = 6;
  const inner = (1 << depth) - 1;
  for (const missing of [false, true]) {
    const x = new Float64Array(rows * width);
    for (let i = 0; i < x.length; i++) x[i] = missing && random() < 0.05 ? NaN : random();
    const y = new Float64Array(rows);
    for (let i = 0; i < rows; i++) y[i] = random() < 0.5 ? 1 : 0;
    const margins = new Float64Array(rows);
    const ensemble = new Ensemble();
    for (let t = 0; t < 30; t++) {
      const base = ensemble.addNodes(2 * inner + 1);
      for (let i = 0; i < 2 * inner + 1; i++) {
        const at = base + i;
        ensemble.catOffset[at] = -1;
        ensemble.catCount[at] = 0;
        ensemble.defaultLeft[at] = random() < 0.5 ? 1 : 0;
        if (i < inner) {
          ensemble.feature[at] = Math.floor(random() * width);
          ensemble.threshold[at] = random();
          ensemble.left[at] = base + 2 * i + 1;
          ensemble.value[at] = 0;
        } else {
          ensemble.feature[at] = -1;
          ensemble.left[at] = -1;
          ensemble.value[at] = random() * 0.2 - 0.1;
        }
      }
      ensemble.addTree(base, 0);
      ensemble.addMargins(x, width, rows, t, t + 1, margins, 1);
      meanLoss('binary', 'squared', 1, margins, y, 1);
    }
  }
}

warmUp();
port.postMessage('ready');
