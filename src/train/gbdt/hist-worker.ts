/**
 * A worker thread of the gbdt trainer (see hist-team.ts). It blocks on a shared control word, does
 * its share of the command straight in shared memory, and counts itself done; new histogram slots
 * arrive on a MessagePort it drains synchronously.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CMD, planFromBuffers, runShare } from './histogram.js';
import { CTRL, type HistWorkerData } from './hist-team.js';

const data = workerData as HistWorkerData;
const ctrl = new Int32Array(data.ctrl);
const plan = planFromBuffers(data.plan);
const slots: Float64Array[] = [];
parentPort?.postMessage('ready');
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL.seq, seq);
  seq = Atomics.load(ctrl, CTRL.seq);
  const cmd = Atomics.load(ctrl, CTRL.cmd);
  if (cmd === CMD.exit) break;
  for (let m = receiveMessageOnPort(data.port); m !== undefined; m = receiveMessageOnPort(data.port)) {
    const msg = m.message as { slot: number; buffer: SharedArrayBuffer };
    slots[msg.slot] = new Float64Array(msg.buffer);
  }
  runShare(plan, cmd, slots, data.thread, data.threads);
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
data.port.close();
