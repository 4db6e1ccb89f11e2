import { readdirSync, readFileSync } from 'node:fs';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import {
  ARG,
  CMD,
  CTRL,
  allocatePlan,
  featureGroup,
  HIST_STRIDE,
  makeScratch,
  planBuffers,
  runShare,
  nextSpin,
  SPIN_MIN_MS,
  sweepCapacity,
  SPIN_MS,
  turnWord,
  workerSource,
  type BuildPlan,
  type HistMessage,
  type HistWorkerData,
  type Scratch,
} from './histogram.js';

/** Most row blocks (see HistTeam.create). */
const MAX_BLOCKS = 8;
/**
 * Fewest rows in a block. It was 16,384: a retrain's 31,500 training rows were one block, so the
 * row-wise commands (gradients, partitions) ran on one thread while the other waited. With 4,096
 * (seven blocks there, eight at 44,800 rows; the same model, as quantized sums are exact), medians
 * of six alternated processes of seven fits each: 31,500 x 6 with early stopping 210 against 294
 * ms, 44,800 x 6 233 against 260 ms.
 */
const MIN_BLOCK_ROWS = 4_096;
/** Longest a command may wait for a worker before training fails (a crashed thread, not slowness). */
const WORKER_TIMEOUT_MS = 120_000;

/** True when worker threads can share memory here. */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

let source: string | null = null;

/**
 * Worker threads kept between fits: a worker takes 20 ms to start on an idle machine and up to
 * 200 ms on a busy one (a new V8 isolate, whose kernels then run cold), against 0.2 to 0.5 s for a
 * whole fit on 45,000 rows. A crew serves one fit at a time (the control words are that fit's),
 * each worker taking part in the commands it is awake for (see HistTeam.run); crews are kept by
 * size, started lazily by the first fit that wants that many threads, unref'd so that they never
 * keep a process alive, and ended by closeTrainingThreads.
 */
class Crew {
  readonly ctrl: Int32Array;
  readonly workers: Worker[] = [];
  readonly ports: MessagePort[] = [];
  /** Set when a worker failed or exited: the crew is not used again. */
  failed = false;
  readonly started: Promise<void>;

  constructor(size: number) {
    source ??= workerSource();
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * (CTRL.turn + size)));
    const ready: Promise<void>[] = [];
    for (let t = 0; t < size; t++) {
      const { port1, port2 } = new MessageChannel();
      const data: HistWorkerData = { ctrl: this.ctrl.buffer as SharedArrayBuffer, index: t, port: port2 };
      const worker = new Worker(source, { eval: true, workerData: data, transferList: [port2] });
      worker.unref();
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`histogram worker exited with code ${code}`)));
        }),
      );
      worker.on('error', () => (this.failed = true));
      worker.on('exit', () => (this.failed = true));
    }
    this.started = Promise.all(ready).then(() => undefined);
    // Failures are seen by the fit that waits for `started`; an idle crew's must not go unhandled.
    this.started.catch(() => (this.failed = true));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Tell the workers to end, and resolve once their threads have. */
  end(): Promise<void> {
    Atomics.store(this.ctrl, CTRL.cmd, CMD.exit);
    Atomics.add(this.ctrl, CTRL.seq, 1);
    Atomics.notify(this.ctrl, CTRL.seq);
    for (const p of this.ports) p.close();
    return Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
  }
}

/** Idle crews, ready for the next fit. */
const idleCrews: Crew[] = [];
/** Crews serving a fit now. */
const busyCrews = new Set<Crew>();

/** A crew of `size` workers for one fit: an idle one of that size, or a new one. */
function takeCrew(size: number): Crew {
  const at = idleCrews.findIndex((c) => c.size === size && !c.failed);
  const crew = at >= 0 ? idleCrews.splice(at, 1)[0] : new Crew(size);
  busyCrews.add(crew);
  return crew;
}

/**
 * Make sure an idle crew for `threads` threads (this one plus workers) exists, starting one in
 * the background if not: a fit calls this first thing, so that new workers start while it fits
 * and applies the bins.
 */
export function startTrainingThreads(threads: number): void {
  if (threads < 2 || !canShareMemory() || idleCrews.some((c) => c.size === threads - 1 && !c.failed)) return;
  try {
    idleCrews.push(new Crew(threads - 1));
  } catch {
    // No worker threads here: the fit works alone.
  }
}

/**
 * Shared bytes of a fit (plan and histogram slots) from which its workers are ended when it is
 * done, and a new crew started in their place. A worker's references to a fit's shared buffers
 * keep their memory until that worker's V8 heap is collected, and an idle worker allocates
 * nothing, so it never is: with the same workers, each fit on 800,000 x 28 rows left the process
 * about 30 to 55 MB bigger than the last (364, 420, 450 MB after three fits; 364 each time with
 * the workers ended between fits). A fit this big takes seconds, against the 20 to 200 ms a
 * new worker takes to start (warming its kernels up while idle); smaller fits keep their workers.
 */
const RECYCLE_BYTES = 32 * 1024 * 1024;

/** Bytes a row of a fit holds besides its bins: packed gradients 8, two positions 8, margin 8, label 4, last leaf 2. */
const ROW_BYTES = 30;

/** Last-level cache assumed where the processor's cannot be read (the size on this project's test machine). */
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * The largest cache of cpu0 in bytes (Linux: /sys/devices/system/cpu/cpu0/cache/indexN/size),
 * DEFAULT_CACHE_BYTES where it cannot be read.
 */
function lastLevelCacheBytes(): number {
  let best = 0;
  try {
    const dir = '/sys/devices/system/cpu/cpu0/cache';
    for (const entry of readdirSync(dir)) {
      if (!entry.startsWith('index')) continue;
      const m = /^(\d+)([KMG]?)/.exec(readFileSync(`${dir}/${entry}/size`, 'utf8').trim());
      if (m === null) continue;
      const bytes = Number(m[1]) * (m[2] === 'K' ? 1024 : m[2] === 'M' ? 1024 ** 2 : m[2] === 'G' ? 1024 ** 3 : 1);
      if (bytes > best) best = bytes;
    }
  } catch {
    // Not Linux, or no sysfs: the default.
  }
  return best > 0 ? best : DEFAULT_CACHE_BYTES;
}

/**
 * When a fit builds deep nodes' histograms by sweeps (see sweepShare in histogram.ts): from
 * `fromBytes` of row data (rows x (features + ROW_BYTES)), the processor's last-level cache.
 * Within the cache a build through a node's scattered rows is as fast or faster; beyond it those
 * reads wait on memory. Measured on this project's machine (32 MB of cache; alternated fits of
 * 100 trees in one process, 28 features, sweeps against none): 36,000 rows (2 MB of row data)
 * 1.06x the time, 75,200 rows 1.09x, 152,000 rows 1.04x, 400,000 rows (23 MB) 1.02x, 600,000
 * rows (35 MB) 0.96x, 800,000 rows (46 MB) 0.91x. On a machine reporting 480 MB of cache, the
 * 800,000 rows were 1.05x the time with sweeps (5.42-5.88 s against 5.17-5.76), as the policy
 * expects there. Tests may change `fromBytes`.
 */
export const sweepPolicy = { fromBytes: lastLevelCacheBytes() };

/** A fit is done with `crew`: keep it for the next one, unless it failed, or end it and start another when `recycle` (see RECYCLE_BYTES). */
function giveBack(crew: Crew, recycle: boolean): void {
  busyCrews.delete(crew);
  if (crew.failed) {
    void crew.end();
    return;
  }
  if (!recycle) {
    idleCrews.push(crew);
    return;
  }
  void crew.end();
  try {
    idleCrews.push(new Crew(crew.size));
  } catch {
    // No new threads: the next fit starts its own.
  }
}

/**
 * End the training threads kept between fits (those of a fit still running end when it does), and
 * resolve once they have. They never keep a process alive; this is for an orderly shutdown and
 * for tests. A later fit starts new ones.
 */
export async function closeTrainingThreads(): Promise<void> {
  const ending = idleCrews.splice(0).map((c) => c.end());
  for (const c of busyCrews) c.failed = true;
  await Promise.all(ending);
}

/** Thread ids of the workers kept for the next fits (tests). */
export function idleTrainingThreadIds(): number[] {
  return idleCrews.flatMap((c) => c.workers.map((w) => w.threadId));
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
  /** Shared bytes from which the fit's workers are ended when it is done (tests); default RECYCLE_BYTES. */
  readonly recycleBytes?: number;
  /** Whether the plan has sweeps (tests); default from sweepPolicy. */
  readonly sweep?: boolean;
}

/**
 * The threads of one fit: this one plus `threads - 1` workers, all working on the same shared
 * plan. Rows are cut into blocks for the row-wise commands (gradients, partitions, margin
 * updates); histograms are cut by feature group and, for big nodes, by row segment, each summed
 * by one thread over its rows in their order (segments then added in order). How the work is cut
 * depends on the data alone, so the model does not depend on the number of threads.
 */
export class HistTeam {
  /** Buffers every thread reads. */
  readonly plan: BuildPlan;
  /** Histogram slots (gradient and hessian sums per bin, Float64), allocated on demand and reused. */
  readonly slots: Float64Array[] = [];
  private readonly free: number[] = [];
  /** The workers of this fit (none: this thread alone). */
  private crew: Crew | null;
  private ctrl: Int32Array;
  private workers = 0;
  private readonly histSize: number;
  /** This thread's scratch for the commands. */
  private readonly scratch: Scratch = makeScratch();
  private readonly shared: boolean;
  /** How long this thread spins for the workers before it sleeps (see SPIN_MS). */
  private spin = SPIN_MS;

  private constructor(
    plan: BuildPlan,
    crew: Crew | null,
    shared: boolean,
    private readonly recycleBytes: number,
  ) {
    this.plan = plan;
    this.crew = crew;
    this.ctrl = crew?.ctrl ?? new Int32Array(4);
    this.shared = shared;
    this.histSize = plan.histOffsets[plan.histOffsets.length - 1] * HIST_STRIDE;
  }

  /** Threads actually running (1 when workers could not be used). */
  get threads(): number {
    return this.workers + 1;
  }

  /**
   * Allocate the shared plan (bins still to be filled: see `plan.bins`; `y` copied in) and take
   * the workers (started in the background if none are idle); commands take them on once they
   * run (see join).
   */
  static create(shape: TeamShape, y: Float64Array): HistTeam {
    const { rows, features, outputs, histOffsets, leafCap } = shape;
    const shared = shape.threads > 1 && canShareMemory();
    // Several row blocks, taken from a shared counter, so that the row-wise commands even out
    // when one thread gets less of the processor; not too small, as each block of each node costs
    // a call. They depend on the rows alone, never on the threads: a node's rows are ordered
    // block by block (see BuildPlan), and so are the sums over them.
    const blocks = Math.max(1, Math.min(MAX_BLOCKS, Math.floor(rows / MIN_BLOCK_ROWS)));
    const sweep = shape.sweep ?? rows * (features + ROW_BYTES) >= sweepPolicy.fromBytes;
    const plan = allocatePlan({ rows, features, outputs, histOffsets, leafCap, blocks, integerLabels: shape.integerLabels, sweep }, shared);
    plan.y.set(y);
    let crew: Crew | null = null;
    if (shared) {
      try {
        crew = takeCrew(shape.threads - 1);
      } catch {
        // No worker threads here: this thread alone.
      }
    }
    return new HistTeam(plan, crew, shared, shape.recycleBytes ?? RECYCLE_BYTES);
  }

  /**
   * Wait until the workers have started and work with them (commands do not wait: they take the
   * workers on as soon as these are running, see join); if they cannot start (a sandbox without
   * threads) or have failed, work on this thread alone.
   */
  async ready(): Promise<void> {
    const crew = this.crew;
    if (crew === null) return;
    try {
      await crew.started;
      if (crew.failed) throw new Error('a histogram worker failed');
    } catch {
      this.close();
      return;
    }
    this.join();
  }

  /**
   * If the workers are running and not yet part of this fit, hand them its plan and slots. A fit
   * starts on its own thread and takes the workers on between two commands once they are up:
   * results do not depend on the threads, and a first fit in a process does not wait the 20 to
   * 200 ms a worker takes to start (longer on a busy machine).
   */
  private join(): void {
    const crew = this.crew;
    if (crew === null || this.workers > 0 || crew.failed || Atomics.load(crew.ctrl, CTRL.ready) < crew.size) return;
    const msg: HistMessage = { plan: planBuffers(this.plan) };
    for (const port of crew.ports) port.postMessage(msg);
    for (let slot = 0; slot < this.slots.length; slot++) {
      const slotMsg: HistMessage = { slot, buffer: this.slots[slot].buffer as SharedArrayBuffer };
      for (const port of crew.ports) port.postMessage(slotMsg);
    }
    this.workers = crew.size;
    this.run(CMD.attach);
  }

  /** A cleared-or-stale histogram slot for exclusive use until `release`. */
  acquire(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.slots.length;
    const buffer = this.shared ? new SharedArrayBuffer(8 * this.histSize) : new ArrayBuffer(8 * this.histSize);
    this.slots.push(new Float64Array(buffer));
    if (this.crew !== null && this.workers > 0) {
      const msg: HistMessage = { slot, buffer: buffer as SharedArrayBuffer };
      for (const port of this.crew.ports) port.postMessage(msg);
    }
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
    // Groups of features share a pass over the rows (see featureGroup; the threads share the work
    // by row segments too: see TreeBuilder).
    args[ARG.group] = featureGroup(nFeats, args[ARG.quant] > 0);
    this.run(CMD.build);
  }

  /** Nodes one sweep can build (0: the plan has no sweeps). */
  get sweepCapacity(): number {
    return this.plan.sweepList.length > 0 ? sweepCapacity(this.plan.histOffsets) : 0;
  }

  /**
   * Build the histograms of the `count` nodes in plan.sweepNodes by a sweep over the rows (see
   * sweepShare), for the first `nFeats` features of plan.feats: packed gradients only.
   */
  sweep(count: number, nFeats: number): void {
    const args = this.plan.args;
    args[ARG.count] = count;
    this.run(CMD.mark);
    args[ARG.feats] = nFeats;
    args[ARG.group] = featureGroup(nFeats, true);
    this.run(CMD.sweep);
  }

  /** Search the best splits of the `count` nodes in plan.todo over the first `nFeats` features of plan.feats (into plan.best*). */
  split(count: number, nFeats: number): void {
    const args = this.plan.args;
    args[ARG.count] = count;
    args[ARG.feats] = nFeats;
    this.run(CMD.split);
  }

  /**
   * Have `work` done on this thread at the start of the next build command, once the workers have
   * been told to start on it: they take its units meanwhile, and this thread takes those left when
   * it is done (a team without workers does it first). Early stopping hands its validation pass
   * here. null: forget what was handed before.
   */
  alongsideNextBuild(work: (() => void) | null): void {
    this.aside = work;
  }

  /** Work handed to alongsideNextBuild, not done yet. */
  private aside: (() => void) | null = null;

  /** Do the work handed to alongsideNextBuild, if any. */
  private runAside(): void {
    const work = this.aside;
    if (work === null) return;
    this.aside = null;
    work();
  }

  /** Partition the rows of the `count` splits in plan.splits. */
  partition(count: number): void {
    this.plan.args[ARG.count] = count;
    this.run(CMD.partition);
  }

  /** Run `cmd` on this thread and on every worker that takes its turn in time, and wait for those. */
  run(cmd: number): void {
    if (this.workers === 0 && this.crew !== null) this.join();
    Atomics.store(this.plan.args, ARG.next, 0);
    const ctrl = this.ctrl;
    const workers = this.workers;
    if (workers === 0) {
      if (cmd === CMD.build) this.runAside();
      if (cmd !== CMD.attach && cmd !== CMD.detach) runShare(this.plan, cmd, this.slots, this.scratch);
      return;
    }
    ctrl[CTRL.cmd] = cmd;
    const seq = (Atomics.add(ctrl, CTRL.seq, 1) + 1) | 0;
    Atomics.notify(ctrl, CTRL.seq);
    if (cmd === CMD.build) this.runAside();
    if (cmd !== CMD.attach && cmd !== CMD.detach) runShare(this.plan, cmd, this.slots, this.scratch);
    // This thread has taken units until none was left. A worker that took its turn may still be
    // on its last unit: wait for it. One that has not taken its turn is shut out of this command
    // (it skips it), so that a worker the system has not scheduled, or one still asleep, costs
    // nothing: with every worker counted in, a command on a busy machine waited for a thread
    // that had nothing left to do. A detach needs every worker (each lets the fit's memory go).
    const idle = turnWord(seq, false);
    const working = turnWord(seq, true);
    const all = cmd === CMD.detach;
    for (let w = 0; w < workers; w++) {
      const turn = CTRL.turn + w;
      for (;;) {
        const v = Atomics.load(ctrl, turn);
        if (v === idle) break;
        if (v !== working && !all) {
          if (Atomics.compareExchange(ctrl, turn, v, idle) === v) break;
        } else {
          this.waitTurn(turn, v);
        }
      }
    }
  }

  /** Wait while the worker's turn word `turn` holds `value`: spin a little, then sleep (see SPIN_MS). */
  private waitTurn(turn: number, value: number): void {
    const ctrl = this.ctrl;
    if (Atomics.load(ctrl, turn) !== value) return;
    const from = performance.now();
    if (this.spin >= SPIN_MIN_MS) {
      const until = from + this.spin;
      while (Atomics.load(ctrl, turn) === value && performance.now() < until);
    }
    if (Atomics.load(ctrl, turn) === value && Atomics.wait(ctrl, turn, value, WORKER_TIMEOUT_MS) === 'timed-out') {
      if (this.crew !== null) this.crew.failed = true;
      throw new Error('a histogram worker stopped responding');
    }
    this.spin = nextSpin(this.spin, performance.now() - from);
  }

  /**
   * After the fit: let go of the plan's buffers and the histogram slots, keeping this object and
   * its plan (with empty arrays of the same kinds) for gbdt.ts to hold until the next fit.
   */
  shrink(): void {
    const plan = this.plan as unknown as Record<string, unknown>;
    for (const key of Object.keys(plan)) {
      const v = plan[key];
      if (ArrayBuffer.isView(v) && v.byteLength > 0) plan[key] = new (v.constructor as new (n: number) => ArrayBufferView)(0);
    }
    this.slots.length = 0;
    this.free.length = 0;
  }

  /**
   * This fit is done with its workers: they let go of its memory and wait for the next fit
   * (see Crew). Safe to call more than once.
   */
  close(): void {
    const crew = this.crew;
    if (crew === null) return;
    this.crew = null;
    if (this.workers > 0 && !crew.failed) {
      try {
        this.run(CMD.detach);
      } catch {
        crew.failed = true;
      }
    }
    this.workers = 0;
    this.ctrl = new Int32Array(4);
    let bytes = 8 * this.histSize * this.slots.length;
    for (const v of Object.values(this.plan)) if (ArrayBuffer.isView(v)) bytes += v.byteLength;
    giveBack(crew, bytes >= this.recycleBytes);
  }
}
