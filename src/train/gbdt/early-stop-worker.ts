/**
 * The early-stopping thread's script (src/train/gbdt/early-stopping.ts): for one fit at a time, it
 * keeps the validation rows' margins, adds each round's trees to them as they come, and writes
 * the round's validation loss to shared memory, where the fit reads it without waiting for a turn
 * of its event loop.
 */
import { parentPort } from 'node:worker_threads';
import type { Dataset } from '../../data/dataset.js';
import { Ensemble } from './ensemble.js';
import { meanLoss } from './loss.js';
import type { GbdtParams } from './params.js';

/** A fit's validation set and where its losses go. */
export interface EarlyStopBegin {
  readonly type: 'begin';
  readonly fit: number;
  readonly task: Dataset['task'];
  readonly loss: GbdtParams['loss'];
  readonly delta: number;
  /** Validation rows, row-major, `width` features each. */
  readonly x: Float64Array;
  readonly width: number;
  readonly y: Float64Array;
  /** The rows' margins before the fit's first tree (row-major, `outputs` per row). */
  readonly margins: Float64Array;
  readonly outputs: number;
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
}

/** The fits under way, by id (one at a time in a training thread; more where fits share a thread). */
const jobs = new Map<number, Job>();

port.on('message', (msg: ToEarlyStopThread) => {
  if (msg.type === 'begin') {
    jobs.set(msg.fit, { begin: msg, ensemble: new Ensemble(), margins: Float64Array.from(msg.margins), losses: new Float64Array(msg.losses), count: new Int32Array(msg.count) });
    return;
  }
  if (msg.type === 'end') {
    jobs.delete(msg.fit);
    return;
  }
  const job = jobs.get(msg.fit);
  if (job === undefined) return;
  const { begin, ensemble, margins } = job;
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
  ensemble.addMargins(begin.x, begin.width, begin.y.length, from, ensemble.trees, margins, begin.outputs);
  job.losses[msg.round] = meanLoss(begin.task, begin.loss, begin.delta, margins, begin.y, begin.outputs);
  Atomics.store(job.count, 0, msg.round + 1);
  Atomics.notify(job.count, 0);
});
port.postMessage('ready');
