import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import {
  ARG,
  CMD,
  CTRL,
  allocatePlan,
  HIST_STRIDE,
  makeScratch,
  planBuffers,
  runShare,
  nextSpin,
  SPIN_MIN_MS,
  SPIN_MS,
  workerSource,
  type BuildPlan,
  type HistMessage,
  type HistWorkerData,
  type Scratch,
} from './histogram.js';

/** Row blocks per thread (see HistTeam.create). */
const BLOCKS_PER_THREAD = 4;
/** Fewest rows in a block. */
const MIN_BLOCK_ROWS = 16_384;
/** Longest a command may wait for a worker before training fails (a crashed thread, not slowness). */
const WORKER_TIMEOUT_MS = 120_000;

/** True when worker threads can share memory here. */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

let source: string | null = null;

/**
 * Worker threads kept between fits: starting them costs a fit about 20 ms (more on a busy
 * machine), a tenth of a fit on 45,000 rows. A crew serves one fit at a time, every one of its
 * workers taking part in every command (the control words assume it); crews are kept by size,
 * started lazily by the first fit that wants that many threads, unref'd so that they never keep
 * a process alive, and ended by closeTrainingThreads.
 */
class Crew {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  readonly workers: Worker[] = [];
  readonly ports: MessagePort[] = [];
  /** Set when a worker failed or exited: the crew is not used again. */
  failed = false;
  readonly started: Promise<void>;

  constructor(size: number) {
    source ??= workerSource();
    const ready: Promise<void>[] = [];
    for (let t = 0; t < size; t++) {
      const { port1, port2 } = new MessageChannel();
      const data: HistWorkerData = { ctrl: this.ctrl.buffer as SharedArrayBuffer, port: port2 };
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

/** A fit is done with `crew`: keep it for the next one, unless it failed. */
function giveBack(crew: Crew): void {
  busyCrews.delete(crew);
  if (crew.failed) void crew.end();
  else idleCrews.push(crew);
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

  private constructor(plan: BuildPlan, crew: Crew | null, shared: boolean) {
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
   * Allocate the shared plan (bins still to be filled: see `plan.bins`) and take the workers
   * (started in the background if none are idle); call `ready()` before the first command. `y`
   * is copied in when shared.
   */
  static create(shape: TeamShape, y: Float64Array): HistTeam {
    const { rows, features, outputs, histOffsets, leafCap } = shape;
    const shared = shape.threads > 1 && canShareMemory();
    // Several row blocks per thread, taken from a shared counter, so that the row-wise commands
    // even out when one thread gets less of the processor (block boundaries change no result);
    // not too small, as each block of each node costs a call.
    const blocks = shared ? Math.max(1, Math.min(shape.threads * BLOCKS_PER_THREAD, Math.floor(rows / MIN_BLOCK_ROWS))) : 1;
    const plan = allocatePlan({ rows, features, outputs, histOffsets, leafCap, blocks, integerLabels: shape.integerLabels }, shared);
    plan.y.set(y);
    let crew: Crew | null = null;
    if (shared) {
      try {
        crew = takeCrew(shape.threads - 1);
      } catch {
        // No worker threads here: this thread alone.
      }
    }
    return new HistTeam(plan, crew, shared);
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
    // Up to seven features share a pass over the rows (the widest kernel), in groups of even size
    // (the threads share the work by row segments too: see TreeBuilder).
    args[ARG.group] = Math.ceil(nFeats / Math.ceil(nFeats / 7));
    this.run(CMD.build);
  }

  /** Search the best splits of the `count` nodes in plan.todo over the first `nFeats` features of plan.feats (into plan.best*). */
  split(count: number, nFeats: number): void {
    const args = this.plan.args;
    args[ARG.count] = count;
    args[ARG.feats] = nFeats;
    this.run(CMD.split);
  }

  /** Partition the rows of the `count` splits in plan.splits. */
  partition(count: number): void {
    this.plan.args[ARG.count] = count;
    this.run(CMD.partition);
  }

  /** Run `cmd` on every thread (this one included) and wait for all of them. */
  run(cmd: number): void {
    if (this.workers === 0 && this.crew !== null) this.join();
    Atomics.store(this.plan.args, ARG.next, 0);
    const ctrl = this.ctrl;
    const workers = this.workers;
    if (workers === 0) {
      if (cmd !== CMD.attach && cmd !== CMD.detach) runShare(this.plan, cmd, this.slots, this.scratch);
      return;
    }
    ctrl[CTRL.cmd] = cmd;
    Atomics.store(ctrl, CTRL.done, 0);
    Atomics.add(ctrl, CTRL.seq, 1);
    Atomics.notify(ctrl, CTRL.seq);
    if (cmd !== CMD.attach && cmd !== CMD.detach) runShare(this.plan, cmd, this.slots, this.scratch);
    if (Atomics.load(ctrl, CTRL.done) < workers) {
      // Spin a little before sleeping (see SPIN_MS).
      if (this.spin >= SPIN_MIN_MS) {
        const until = performance.now() + this.spin;
        while (Atomics.load(ctrl, CTRL.done) < workers && performance.now() < until);
      }
      this.spin = nextSpin(this.spin, Atomics.load(ctrl, CTRL.done) >= workers);
    }
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.done);
      if (done >= workers) break;
      if (Atomics.wait(ctrl, CTRL.done, done, WORKER_TIMEOUT_MS) === 'timed-out') {
        if (this.crew !== null) this.crew.failed = true;
        throw new Error('a histogram worker stopped responding');
      }
    }
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
    giveBack(crew);
  }
}
