/**
 * A histogram-building thread of the gbdt trainer (see hist-team.ts). It blocks on a shared control
 * word, builds its share of the requested histograms straight into shared memory, and counts itself
 * done; new histogram slots arrive on a MessagePort it drains synchronously.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { buildShare, type BuildPlan } from './histogram.js';
import { CTRL, EXIT, type HistWorkerData } from './hist-team.js';

const data = workerData as HistWorkerData;
const ctrl = new Int32Array(data.ctrl);
const plan: BuildPlan = {
  bins: new Uint8Array(data.bins),
  rows: data.rows,
  idx: new Int32Array(data.idx),
  og: new Float32Array(data.og),
  oh: new Float32Array(data.oh),
  histOffsets: Int32Array.from(data.histOffsets),
  jobs: new Int32Array(data.jobs),
  feats: new Int32Array(data.feats),
};
const slots: Float64Array[] = [];
parentPort?.postMessage('ready');
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL.seq, seq);
  seq = Atomics.load(ctrl, CTRL.seq);
  if (Atomics.load(ctrl, CTRL.cmd) === EXIT) break;
  for (let m = receiveMessageOnPort(data.port); m !== undefined; m = receiveMessageOnPort(data.port)) {
    const msg = m.message as { slot: number; buffer: SharedArrayBuffer };
    slots[msg.slot] = new Float64Array(msg.buffer);
  }
  buildShare(plan, ctrl[CTRL.jobs], ctrl[CTRL.feats], slots, data.thread, data.threads);
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
data.port.close();
