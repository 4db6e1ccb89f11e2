import { availableParallelism } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import type * as WorkerThreads from 'node:worker_threads';
import { PCTRL, poolSource, predictShared, sameShape, type CompiledForest, type ForestBuffers, type PoolMessage, type PoolWorkerData } from './forest-kernels.js';

/** Rows per chunk handed to the threads (the chunk's matrix and margins live in shared memory). */
const CHUNK_ROWS = 16_384;
/**
 * Distance between two columns of a chunk, in doubles. Not CHUNK_ROWS: columns 128 KB apart put a
 * block's slices of every column into the same few sets of the level-1 cache, which the walk then
 * keeps evicting; one extra cache line per column spreads them (a one-off measurement while writing
 * this, 100 depth-6 trees on one thread: 1.15-1.20 against 1.22 ns per step).
 */
const CHUNK_STRIDE = CHUNK_ROWS + 8;
/** Fewest rows worth a second thread. */
const PARALLEL_MIN_ROWS = 8_192;
/** Longest wait for the worker before predicting on this thread alone from then on. */
const WORKER_TIMEOUT_MS = 30_000;

/** A shared copy of feature indices scaled to column offsets in a column-major chunk. */
function columnOffsets(feature: Int32Array, length: number): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(Math.max(1, length) * 4));
  for (let i = 0; i < length; i++) out[i] = feature[i] * CHUNK_STRIDE;
  return out;
}

function shareCopy<T extends Int32Array | Float64Array>(a: T, length: number): T {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(Math.max(1, length) * a.BYTES_PER_ELEMENT));
  out.set(a.subarray(0, length));
  return out;
}

/**
 * A second thread for batch prediction, shared by every gbdt model of the process: started in the
 * background when the first model is made, and used (synchronously, through shared memory and
 * Atomics) once it is ready; until then, or if it ever fails, prediction runs on the calling thread.
 * Each row's margins get their trees in the same order either way, so results are identical.
 */
export class PredictPool {
  private static instance: PredictPool | null | undefined;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * 16));
  private readonly worker: Worker;
  private readonly port: WorkerThreads.MessagePort;
  private failed = false;
  private readonly started: Promise<boolean>;
  /** Shared copies of the forests of live models (gone with their model). */
  private readonly copies = new WeakMap<CompiledForest, ForestBuffers>();
  /** The forest the worker has. */
  private forest: ForestBuffers | null = null;
  /** Two chunk buffers of each kind: this thread fills one while both threads work on the other. */
  private x: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
  private margins: Float64Array[] = [new Float64Array(0), new Float64Array(0)];

  private constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: PoolWorkerData = { ctrl: this.ctrl.buffer as SharedArrayBuffer, port: port2 };
    this.worker = new Worker(poolSource(), { eval: true, workerData: data, transferList: [port2] });
    this.worker.unref();
    this.port.unref();
    this.started = new Promise<boolean>((resolve) => {
      this.worker.once('message', () => resolve(true));
      this.worker.once('error', () => resolve(false));
      this.worker.once('exit', () => resolve(false));
    });
    this.worker.on('error', () => {
      this.failed = true;
    });
    this.worker.on('exit', () => {
      this.failed = true;
    });
  }

  /**
   * Resolves true once the pool's worker is ready, false if there is none, it failed to start, or
   * it is not ready within `timeoutMs` (when given).
   */
  static async whenReady(timeoutMs?: number): Promise<boolean> {
    PredictPool.warm();
    const pool = PredictPool.instance;
    if (pool === null || pool === undefined) return false;
    let timer: NodeJS.Timeout | undefined;
    const started =
      timeoutMs === undefined
        ? pool.started
        : Promise.race([pool.started, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    try {
      return (await started) && !pool.failed;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Start the pool in the background (once per process; not where threads or shared memory are missing). */
  static warm(): void {
    if (PredictPool.instance !== undefined) return;
    PredictPool.instance = null;
    if (typeof SharedArrayBuffer !== 'function' || availableParallelism() < 2) return;
    try {
      PredictPool.instance = new PredictPool();
    } catch {
      // No worker threads here: predict on the calling thread.
    }
  }

  /** The pool when it is ready for `rows` rows, else null. */
  static ready(rows: number): PredictPool | null {
    const pool = PredictPool.instance;
    if (pool === null || pool === undefined || pool.failed || rows < PARALLEL_MIN_ROWS) return null;
    return Atomics.load(pool.ctrl, PCTRL.ready) === 1 ? pool : null;
  }

  /**
   * Write the margins of `rows` rows into `out` (row-major, `outputs` per row): the base scores
   * plus trees [0, c.trees), through `link` (a LINK). `fill(x, start, end, stride)`
   * writes rows [start, end) column-major into x (feature f of row start + i at f * stride + i).
   * Chunks are column-major so that filling one is a copy per column rather than a transpose (this
   * thread's work, while the other predicts); the kernels read feature f of a row at
   * f * CHUNK_STRIDE from the row, which is why the forest's features are shared pre-multiplied.
   * Returns false (out unfinished) when the worker failed; the caller then predicts alone.
   */
  addMargins(
    c: CompiledForest,
    value: Float64Array,
    base: Float64Array,
    width: number,
    rows: number,
    fill: (x: Float64Array, start: number, end: number, stride: number) => void,
    out: Float64Array,
    outputs: number,
    link: number,
  ): boolean {
    this.share(c, value, base, width, outputs);
    const forest = this.forest as ForestBuffers;
    const ctrl = this.ctrl;
    const load = (b: number, start: number): void => fill(this.x[b], start, Math.min(rows, start + CHUNK_ROWS), CHUNK_STRIDE);
    let b = 0;
    load(0, 0);
    for (let start = 0; start < rows; start += CHUNK_ROWS) {
      const n = Math.min(rows, start + CHUNK_ROWS) - start;
      ctrl[PCTRL.buffer] = b;
      ctrl[PCTRL.rows] = n;
      ctrl[PCTRL.columns] = width;
      ctrl[PCTRL.stride] = CHUNK_STRIDE;
      ctrl[PCTRL.outputs] = outputs;
      ctrl[PCTRL.trees] = c.trees;
      ctrl[PCTRL.link] = link;
      Atomics.store(ctrl, PCTRL.next, 0);
      Atomics.store(ctrl, PCTRL.done, 0);
      Atomics.add(ctrl, PCTRL.seq, 1);
      Atomics.notify(ctrl, PCTRL.seq);
      // While the worker starts on this chunk, load the next one, then join in on this one.
      if (start + CHUNK_ROWS < rows) load(1 - b, start + CHUNK_ROWS);
      predictShared(forest, this.x[b], width, CHUNK_STRIDE, n, c.trees, this.margins[b], outputs, link, ctrl);
      while (Atomics.load(ctrl, PCTRL.done) === 0) {
        if (Atomics.wait(ctrl, PCTRL.done, 0, WORKER_TIMEOUT_MS) === 'timed-out') {
          this.failed = true;
          return false;
        }
      }
      out.set(this.margins[b].subarray(0, n * outputs), start * outputs);
      b = 1 - b;
    }
    return true;
  }

  /**
   * Make sure the worker has this forest and big enough chunk buffers. A model's shared copy is
   * kept with it (a WeakMap), so that batches alternating between two models (a champion and its
   * canary) re-send the copy, which is no copy for shared memory, rather than rebuild it.
   */
  private share(c: CompiledForest, value: Float64Array, base: Float64Array, width: number, outputs: number): void {
    const msg: PoolMessage = {};
    let copy = this.copies.get(c);
    if (copy === undefined) {
      copy = sameShape({
        feature: columnOffsets(c.feature, c.nodes),
        threshold: shareCopy(c.threshold, c.nodes),
        next: shareCopy(c.next, c.nodes),
        missingRight: shareCopy(c.missingRight, c.nodes),
        depth: shareCopy(c.depth, c.trees),
        roots: shareCopy(c.roots, c.trees),
        treeOutput: shareCopy(c.treeOutput, c.trees),
        value: shareCopy(value, c.nodes),
        base: shareCopy(base, base.length),
        heap: c.heap,
        heapBase: shareCopy(c.heapBase, c.heapBase.length),
        leafBase: shareCopy(c.leafBase, c.leafBase.length),
        heapFeature: columnOffsets(c.heapFeature, c.heapFeature.length),
        heapThreshold: shareCopy(c.heapThreshold, c.heapThreshold.length),
        heapMissingRight: shareCopy(c.heapMissingRight, c.heapMissingRight.length),
        heapLeaf: shareCopy(c.heapLeaf, c.heapLeaf.length),
      });
      this.copies.set(c, copy);
    } else {
      // Leaf values may have been rescaled in place since (a forest's); copying them and the
      // base scores (one model's, as the forest is) is cheap.
      copy.value.set(value.subarray(0, c.nodes));
      copy.base.set(base);
    }
    if (this.forest !== copy) {
      this.forest = copy;
      msg.forest = copy;
    }
    this.buffers(width, outputs, msg);
    if (msg.forest !== undefined || msg.x !== undefined || msg.margins !== undefined) this.port.postMessage(msg);
  }

  /**
   * Chunk buffers big enough for `width` features and `outputs` per row (new ones go into msg for
   * the worker). New buffers are written through once, so that the operating system maps their
   * pages now: first touches of 7 MB cost a first batch of 200,000 rows about 20 ms (one-off
   * measurement while writing this).
   */
  private buffers(width: number, outputs: number, msg: PoolMessage): void {
    const fresh = (length: number) => new Float64Array(new SharedArrayBuffer(8 * length)).fill(0);
    if (this.x[0].length < CHUNK_STRIDE * width) {
      this.x = [fresh(CHUNK_STRIDE * width), fresh(CHUNK_STRIDE * width)];
      msg.x = this.x;
    }
    if (this.margins[0].length < CHUNK_ROWS * outputs) {
      this.margins = [fresh(CHUNK_ROWS * outputs), fresh(CHUNK_ROWS * outputs)];
      msg.margins = this.margins;
    }
  }

}
