import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { buildShare, HIST_STRIDE, type BuildPlan } from './histogram.js';

/** Indices into the shared control words. */
export const CTRL = { seq: 0, cmd: 1, done: 2, jobs: 3, feats: 4 } as const;
/** Control command: build histograms. */
export const BUILD = 1;
/** Control command: leave the loop. */
export const EXIT = 2;

/** What a histogram worker is started with. */
export interface HistWorkerData {
  readonly ctrl: SharedArrayBuffer;
  readonly bins: SharedArrayBuffer;
  readonly rows: number;
  readonly idx: SharedArrayBuffer;
  readonly og: SharedArrayBuffer;
  readonly oh: SharedArrayBuffer;
  readonly histOffsets: number[];
  readonly jobs: SharedArrayBuffer;
  readonly feats: SharedArrayBuffer;
  readonly thread: number;
  readonly threads: number;
  readonly port: MessagePort;
}

/** Longest a build may wait for a worker before training fails (a crashed thread, not slowness). */
const WORKER_TIMEOUT_MS = 120_000;

/** True when worker threads can share memory here. */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

function startWorker(data: HistWorkerData): Worker {
  const options = { workerData: data, transferList: [data.port] };
  if (import.meta.url.endsWith('.ts')) {
    // From TypeScript sources (vitest, tsx): Node 20 workers ignore --import loaders, so register tsx inside the thread.
    const url = new URL('./hist-worker.ts', import.meta.url).href;
    return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`, {
      ...options,
      eval: true,
    });
  }
  return new Worker(new URL('./hist-worker.js', import.meta.url), options);
}

/**
 * The histogram builders of one fit: this thread plus `threads - 1` workers, all reading the same
 * shared bins, row indices and gathered gradients. Work is split by (node, feature), so every
 * histogram is summed by one thread in row order and the result does not depend on `threads`.
 */
export class HistTeam {
  /** Buffers every builder reads. */
  readonly plan: BuildPlan;
  /** Histogram slots (Float64 triples per bin), allocated on demand and reused. */
  readonly slots: Float64Array[] = [];
  private readonly free: number[] = [];
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly histSize: number;
  private readonly shared: boolean;

  private constructor(plan: BuildPlan, ctrl: Int32Array, shared: boolean) {
    this.plan = plan;
    this.ctrl = ctrl;
    this.shared = shared;
    this.histSize = plan.histOffsets[plan.histOffsets.length - 1] * HIST_STRIDE;
  }

  /** Builders actually running (1 when workers could not be used). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Allocate the shared buffers for `rows` rows and up to `maxJobs` jobs per build, and start
   * `threads - 1` workers; falls back to this thread alone if they cannot start.
   */
  static async create(bins: Uint8Array, rows: number, histOffsets: Int32Array, maxJobs: number, threads: number): Promise<HistTeam> {
    const shared = threads > 1 && canShareMemory() && bins.buffer instanceof SharedArrayBuffer;
    const alloc = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const nFeatures = histOffsets.length - 1;
    const plan: BuildPlan = {
      bins,
      rows,
      idx: new Int32Array(alloc(4 * rows)),
      og: new Float32Array(alloc(4 * rows)),
      oh: new Float32Array(alloc(4 * rows)),
      histOffsets,
      jobs: new Int32Array(alloc(12 * maxJobs)),
      feats: new Int32Array(alloc(4 * Math.max(1, nFeatures))),
    };
    const ctrl = new Int32Array(alloc(32));
    const team = new HistTeam(plan, ctrl, shared);
    if (shared) {
      try {
        await team.startWorkers(threads);
      } catch {
        // No workers after all (a sandbox without threads): build everything here.
        team.close();
        team.workers.length = 0;
      }
    }
    return team;
  }

  private async startWorkers(threads: number): Promise<void> {
    const ready: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const p = this.plan;
      const worker = startWorker({
        ctrl: this.ctrl.buffer as SharedArrayBuffer,
        bins: p.bins.buffer as SharedArrayBuffer,
        rows: p.rows,
        idx: p.idx.buffer as SharedArrayBuffer,
        og: p.og.buffer as SharedArrayBuffer,
        oh: p.oh.buffer as SharedArrayBuffer,
        histOffsets: Array.from(p.histOffsets),
        jobs: p.jobs.buffer as SharedArrayBuffer,
        feats: p.feats.buffer as SharedArrayBuffer,
        thread: t,
        threads,
        port: port2,
      });
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

  /** Build the histograms of `nJobs` jobs in plan.jobs for the first `nFeats` features of plan.feats. */
  build(nJobs: number, nFeats: number): void {
    const ctrl = this.ctrl;
    const workers = this.workers.length;
    if (workers === 0) {
      buildShare(this.plan, nJobs, nFeats, this.slots, 0, 1);
      return;
    }
    ctrl[CTRL.jobs] = nJobs;
    ctrl[CTRL.feats] = nFeats;
    ctrl[CTRL.cmd] = BUILD;
    Atomics.store(ctrl, CTRL.done, 0);
    Atomics.add(ctrl, CTRL.seq, 1);
    Atomics.notify(ctrl, CTRL.seq);
    buildShare(this.plan, nJobs, nFeats, this.slots, 0, workers + 1);
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.done);
      if (done >= workers) break;
      if (Atomics.wait(ctrl, CTRL.done, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        throw new Error('a histogram worker stopped responding');
      }
    }
  }

  /** Stop the workers. */
  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl, CTRL.cmd, EXIT);
    Atomics.add(this.ctrl, CTRL.seq, 1);
    Atomics.notify(this.ctrl, CTRL.seq);
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
    this.workers.length = 0;
  }
}
