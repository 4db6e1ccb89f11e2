import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import {
  ARG,
  CAT_WORDS,
  CMD,
  CTRL,
  HIST_STRIDE,
  JOB_FIELDS,
  MAX_SEGMENTS,
  makeKernels,
  planBuffers,
  runShare,
  SPLIT_FIELDS,
  workerSource,
  type BuildPlan,
  type HistWorkerData,
  type Kernels,
} from './histogram.js';

/** Row blocks per thread (see HistTeam.create). */
const BLOCKS_PER_THREAD = 4;
/** Longest a command may wait for a worker before training fails (a crashed thread, not slowness). */
const WORKER_TIMEOUT_MS = 120_000;

/** True when worker threads can share memory here. */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

let source: string | null = null;

function startWorker(data: HistWorkerData): Worker {
  source ??= workerSource();
  return new Worker(source, { eval: true, workerData: data, transferList: [data.port] });
}

/** Sizes of a team's shared buffers. */
export interface TeamShape {
  readonly rows: number;
  readonly features: number;
  /** Outputs per row (classes for multiclass, else 1). */
  readonly outputs: number;
  /** Bin offset of each feature in a histogram. */
  readonly histOffsets: Int32Array;
  /** Most leaves per tree (bounds jobs, splits and nodes). */
  readonly leafCap: number;
  /** Threads wanted (1 = no workers). */
  readonly threads: number;
  /** True when the labels are class indices. */
  readonly integerLabels: boolean;
}

/**
 * The threads of one fit: this one plus `threads - 1` workers, all working on the same shared
 * plan. Rows are cut into a few blocks per thread for the row-wise commands (gradients,
 * partitions, margin updates); histograms are cut by feature group and, for big nodes, by row
 * segment, each summed by one thread over its rows in row order (segments then added in order),
 * so the model does not depend on the number of threads.
 */
export class HistTeam {
  /** Buffers every thread reads. */
  readonly plan: BuildPlan;
  /** Histogram slots (gradient and hessian sums per bin, Float64), allocated on demand and reused. */
  readonly slots: Float64Array[] = [];
  private readonly free: number[] = [];
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly histSize: number;
  /** This thread's kernels over the plan. */
  private readonly kern: Kernels;
  private readonly shared: boolean;
  private started: Promise<void> = Promise.resolve();

  private constructor(plan: BuildPlan, ctrl: Int32Array, shared: boolean) {
    this.plan = plan;
    this.ctrl = ctrl;
    this.shared = shared;
    this.histSize = plan.histOffsets[plan.histOffsets.length - 1] * HIST_STRIDE;
    this.kern = makeKernels(plan);
  }

  /** Threads actually running (1 when workers could not be used). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Allocate the shared plan (bins still to be filled: see `plan.bins`) and start the workers in
   * the background; call `ready()` before the first command. `y` is copied in when shared.
   */
  static create(shape: TeamShape, y: Float64Array): HistTeam {
    const { rows, features, outputs, histOffsets, leafCap } = shape;
    const shared = shape.threads > 1 && canShareMemory();
    // Several row blocks per thread, taken from a shared counter, so that the row-wise commands
    // even out when one thread gets less of the processor (block boundaries change no result).
    const blocks = shared ? shape.threads * BLOCKS_PER_THREAD : 1;
    const alloc = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const nodes = 2 * leafCap + 1;
    const blockStart = new Int32Array(alloc(4 * (blocks + 1)));
    for (let b = 0; b <= blocks; b++) blockStart[b] = Math.floor((rows * b) / blocks);
    let labels: Float64Array | Float32Array = y;
    if (shared) {
      // Class labels are small integers, exact in Float32 (half the memory).
      labels = shape.integerLabels ? new Float32Array(alloc(4 * rows)) : new Float64Array(alloc(8 * rows));
      labels.set(y);
    }
    const plan: BuildPlan = {
      bins: new Uint8Array(alloc(rows * features)),
      rows,
      blocks,
      blockStart,
      sampled: new Int32Array(alloc(4 * blocks)),
      idx: new Int32Array(alloc(4 * rows)),
      og: new Float32Array(alloc(4 * rows)),
      oh: new Float32Array(alloc(4 * rows)),
      sIdx: new Int32Array(alloc(4 * rows)),
      sG: new Float32Array(alloc(4 * rows)),
      sH: new Float32Array(alloc(4 * rows)),
      nodeStart: new Int32Array(alloc(4 * nodes * blocks)),
      nodeEnd: new Int32Array(alloc(4 * nodes * blocks)),
      histOffsets: new Int32Array(alloc(4 * histOffsets.length)),
      jobs: new Int32Array(alloc(4 * JOB_FIELDS * MAX_SEGMENTS * nodes)),
      feats: new Int32Array(alloc(4 * Math.max(1, features))),
      splits: new Int32Array(alloc(4 * SPLIT_FIELDS * nodes)),
      catBits: new Uint32Array(alloc(4 * CAT_WORDS * nodes)),
      leaves: new Int32Array(alloc(4 * nodes)),
      leafValue: new Float64Array(alloc(8 * nodes)),
      y: labels,
      margins: new Float64Array(alloc(8 * rows * outputs)),
      probs: new Float32Array(alloc(outputs > 1 ? 4 * rows * outputs : 4)),
      args: new Int32Array(alloc(4 * 16)),
      fargs: new Float64Array(alloc(8)),
    };
    plan.histOffsets.set(histOffsets);
    const team = new HistTeam(plan, new Int32Array(alloc(16)), shared);
    if (shared) team.started = team.startWorkers(shape.threads);
    return team;
  }

  /** Wait for the workers; if they cannot start (a sandbox without threads), work on this thread alone. */
  async ready(): Promise<void> {
    try {
      await this.started;
    } catch {
      this.close();
      this.workers.length = 0;
    }
  }

  private async startWorkers(threads: number): Promise<void> {
    const ready: Promise<void>[] = [];
    const buffers = planBuffers(this.plan);
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const worker = startWorker({ ctrl: this.ctrl.buffer as SharedArrayBuffer, plan: buffers, thread: t, threads, port: port2 });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`histogram worker exited with code ${code}`)));
        }),
      );
    }
    await Promise.all(ready);
  }

  /** A cleared-or-stale histogram slot for exclusive use until `release`. */
  acquire(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.slots.length;
    const buffer = this.shared ? new SharedArrayBuffer(8 * this.histSize) : new ArrayBuffer(8 * this.histSize);
    this.slots.push(new Float64Array(buffer));
    for (const port of this.ports) port.postMessage({ slot, buffer });
    return slot;
  }

  /** Return a slot to the pool. */
  release(slot: number): void {
    this.free.push(slot);
  }

  /** Build the histograms of the `nJobs` jobs in plan.jobs for the first `nFeats` features of plan.feats. */
  build(nJobs: number, nFeats: number): void {
    const args = this.plan.args;
    args[ARG.count] = nJobs;
    args[ARG.feats] = nFeats;
    // Up to seven features share a pass over the rows (the widest kernel), in groups small enough
    // that there are at least two units per thread to go round.
    const unitsPerJob = Math.ceil((2 * this.threads) / nJobs);
    args[ARG.group] = Math.max(1, Math.min(7, Math.floor(nFeats / unitsPerJob)));
    this.run(CMD.build);
  }

  /** Partition the rows of the `count` splits in plan.splits. */
  partition(count: number): void {
    this.plan.args[ARG.count] = count;
    this.run(CMD.partition);
  }

  /** Run `cmd` on every thread (this one included) and wait for all of them. */
  run(cmd: number): void {
    Atomics.store(this.plan.args, ARG.next, 0);
    const ctrl = this.ctrl;
    const workers = this.workers.length;
    if (workers === 0) {
      runShare(this.plan, this.kern, cmd, this.slots);
      return;
    }
    ctrl[CTRL.cmd] = cmd;
    Atomics.store(ctrl, CTRL.done, 0);
    Atomics.add(ctrl, CTRL.seq, 1);
    Atomics.notify(ctrl, CTRL.seq);
    runShare(this.plan, this.kern, cmd, this.slots);
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.done);
      if (done >= workers) break;
      if (Atomics.wait(ctrl, CTRL.done, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new Error('a histogram worker stopped responding');
      }
    }
  }

  /** Stop the workers (their threads end in the background). */
  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, CTRL.cmd, CMD.exit);
    Atomics.add(this.ctrl, CTRL.seq, 1);
    Atomics.notify(this.ctrl, CTRL.seq);
    this.stopped = Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
    for (const p of this.ports) p.close();
    this.workers.length = 0;
  }

  /**
   * Stop the workers and wait until their threads have ended, so that tearing them down does not
   * compete for the processor with whatever runs next (a first prediction, say).
   */
  async stop(): Promise<void> {
    this.close();
    await this.stopped;
  }

  private stopped: Promise<void> = Promise.resolve();
}
