/**
 * Early stopping: after each round, the validation rows' margins get the round's trees and the
 * validation loss decides whether boosting goes on; the fit keeps the best round's trees.
 *
 * That costs a pass over the validation rows per round (a tenth of a 45,000-row fit). A fit that
 * trains on one thread while another core is free (a small fit on a quiet server) hands it to the
 * early-stopping thread: the fit sends each round's trees there and goes on building the next
 * round meanwhile; before sending round r + 1 it takes round r's loss from shared memory (ready by
 * then: a round's validation pass is a tenth of building it). The decision is the same, one round
 * later: a fit that stops has built one round it drops. A fit on a team of two threads does the
 * pass on its own thread at the start of the next tree's first histogram build, while the other
 * thread takes that build's units (HistTeam.alongsideNextBuild), and decides one round later the
 * same way. The losses are computed by the same code on the same numbers, so the model is the same
 * every way.
 */
import { availableParallelism } from 'node:os';
import { HelperThread } from '../../data/module-thread.js';
import type { EarlyStopBegin, EarlyStopRound, ToEarlyStopThread, ValidationRows } from './early-stop-worker.js';
import type { Ensemble } from './ensemble.js';
import { hasMissing } from './forest-kernels.js';
import { meanLoss } from './loss.js';

/** Longest wait for one round's loss from the thread before deciding it is gone and going on here. */
const ROUND_TIMEOUT_MS = 2_000;

/**
 * The early-stopping thread of this thread: started in the background by the first fit that could
 * use it, used once it is up; unref'd, so it never keeps a process alive. One that fails is not
 * used again; one that does not answer in time (see ROUND_TIMEOUT_MS) is ended, and the next fit
 * that could use a thread starts a new one.
 */
export class EarlyStopThread extends HelperThread {
  private static instance: EarlyStopThread | null = null;

  /** This thread's early-stopping thread, started now if there is none. */
  static shared(): EarlyStopThread {
    EarlyStopThread.instance ??= new EarlyStopThread();
    return EarlyStopThread.instance;
  }

  /**
   * A fit waited in vain for `thread`: end it (a thread that does not answer for seconds is stuck,
   * or starved of a core) and, if it is still the shared one, let the next `shared()` start anew.
   * Without this, one long stall turned early stopping's thread off for the life of the process.
   */
  static retire(thread: EarlyStopThread): void {
    thread.giveUp();
    if (EarlyStopThread.instance === thread) EarlyStopThread.instance = null;
    void thread.terminate();
  }

  /** End the shared thread, if any; the next `shared()` starts a new one. */
  static async close(): Promise<void> {
    const t = EarlyStopThread.instance;
    EarlyStopThread.instance = null;
    if (t) await t.terminate();
  }

  private fits = 0;

  private constructor() {
    super(new URL(`./early-stop-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  }

  /** A new fit's id. */
  nextFit(): number {
    return ++this.fits;
  }

  post(msg: ToEarlyStopThread): void {
    this.worker.postMessage(msg);
  }
}

/** What early stopping needs of a fit. */
export interface EarlyStoppingSetup extends ValidationRows {
  /** Rounds without a better loss after which boosting stops. */
  readonly patience: number;
  /** Rounds the fit may build. */
  readonly rounds: number;
  /** Index of the fit's first new tree in its ensemble. */
  readonly firstTree: number;
  /** The thread to hand the validation passes to; null: here. */
  readonly thread: EarlyStopThread | null;
  /**
   * Without a thread: hands work to be done on the fit's thread while its other threads start on
   * the next tree's first histograms (HistTeam.alongsideNextBuild; null forgets it). Null: each
   * round's pass is done after the round, before the next one starts.
   */
  readonly alongside?: ((work: (() => void) | null) => void) | null;
}

/**
 * The thread a fit may hand early stopping to: when it may use two threads, two cores are there
 * and the thread is up. It starts (in the background, warming up) at the first fit that asks,
 * whatever its threads, so that it is up and compiled when a fit may use it.
 */
export function earlyStopThreadFor(threads: number): EarlyStopThread | null {
  if (availableParallelism() < 2 || typeof SharedArrayBuffer !== 'function') return null;
  const t = EarlyStopThread.shared();
  return threads >= 2 && t.ready ? t : null;
}

/** A round whose loss is awaited from the thread, with the fit's gains and split counts as they were after it. */
interface Pending {
  readonly round: number;
  readonly trees: number;
  readonly gain: Float64Array;
  readonly splits: Float64Array;
}

export class EarlyStopping {
  /** The best round so far (0: none better than the start). */
  bestRound = 0;
  bestLoss: number;
  bestGain: Float64Array;
  bestSplits: Float64Array;
  private readonly margins: Float64Array;
  private remote: { readonly thread: EarlyStopThread; readonly fit: number; readonly losses: Float64Array; readonly count: Int32Array } | null;
  private pending: Pending | null = null;
  /** The loss of the last round whose pass was done alongside the next tree's build. */
  private deferred: { readonly round: number; readonly loss: number } | null = null;
  /** Whether the validation rows hold a missing value (found by the first pass here). */
  private missing: boolean | null = null;
  /** Trees whose values are in `margins` (here), counted from the first tree of the ensemble. */
  private applied: number;

  constructor(
    private readonly setup: EarlyStoppingSetup,
    gain: Float64Array,
    splits: Float64Array,
  ) {
    this.margins = Float64Array.from(setup.margins);
    this.applied = setup.firstTree;
    this.bestLoss = this.loss();
    this.bestGain = Float64Array.from(gain);
    this.bestSplits = Float64Array.from(splits);
    const thread = setup.thread;
    if (thread === null) {
      this.remote = null;
      return;
    }
    const losses = new SharedArrayBuffer(8 * (setup.rounds + 1));
    const count = new SharedArrayBuffer(4);
    const fit = thread.nextFit();
    const begin: EarlyStopBegin = { type: 'begin', fit, task: setup.task, loss: setup.loss, delta: setup.delta, x: setup.x, width: setup.width, y: setup.y, margins: setup.margins, outputs: setup.outputs, losses, count };
    thread.post(begin);
    this.remote = { thread, fit, losses: new Float64Array(losses), count: new Int32Array(count) };
  }

  /** Where the fit's validation passes run now: 'thread' or 'here'. */
  get where(): 'thread' | 'here' {
    return this.remote === null ? 'here' : 'thread';
  }

  /**
   * Round `round` (1-based) is built: its trees are the ensemble's [from, to), catWordsFrom the
   * first of its category words; `gain` and `splits` are the fit's as they are now. True when
   * boosting should stop (the fit then keeps bestRound's trees).
   */
  afterRound(ensemble: Ensemble, round: number, from: number, to: number, catWordsFrom: number, gain: Float64Array, splits: Float64Array): boolean {
    const alongside = this.setup.alongside ?? null;
    if (this.remote === null && alongside === null) {
      this.pass(ensemble, to);
      return this.consider(round, this.loss(), gain, splits);
    }
    if (this.remote !== null) this.send(ensemble, round, from, to, catWordsFrom);
    else {
      // A team of threads: this round's pass is done while the other threads build the next
      // tree's first histograms, and judged, like the thread's, at the next round.
      alongside!(() => {
        this.pass(ensemble, to);
        this.deferred = { round, loss: this.loss() };
      });
    }
    // The round before: its loss is computed while this one was built.
    const before = this.pending;
    this.pending = { round, trees: to, gain: Float64Array.from(gain), splits: Float64Array.from(splits) };
    const stop = before !== null && this.settle(ensemble, before);
    // Stopping at the round before: this one was built past the stop and is dropped unjudged.
    if (stop) this.pending = null;
    return stop;
  }

  /** After the last round: the loss of the round still awaited, if any. */
  finish(ensemble: Ensemble): void {
    const last = this.pending;
    this.pending = null;
    if (last !== null) this.settle(ensemble, last);
    this.close();
  }

  /** Let the thread forget the fit (a fit that ends early, by an error or an abort), and the team the pass handed to it. */
  close(): void {
    this.pending = null;
    this.setup.alongside?.(null);
    if (this.remote !== null) this.remote.thread.post({ type: 'end', fit: this.remote.fit });
    this.remote = null;
  }

  /** The validation loss at the margins here. */
  private loss(): number {
    return meanLoss(this.setup.task, this.setup.loss, this.setup.delta, this.margins, this.setup.y, this.setup.outputs);
  }

  /**
   * Take round `p`'s loss from the thread, or from the pass done alongside the next build, and
   * decide; compute it here when there is none (a thread that does not answer; a next tree that
   * built no histogram, or no next tree).
   */
  private settle(ensemble: Ensemble, p: Pending): boolean {
    const viaThread = this.remote !== null;
    const loss = viaThread ? this.lossOf(p.round) : this.deferred?.round === p.round ? this.deferred.loss : null;
    if (loss !== null) return this.consider(p.round, loss, p.gain, p.splits);
    this.pass(ensemble, p.trees);
    const stop = this.consider(p.round, this.loss(), p.gain, p.splits);
    if (!viaThread) return stop;
    // The thread is gone: the margins here catch up to round p, and every later round is done here.
    const next = this.pending;
    this.pending = null;
    if (!stop && next !== null) return this.settle(ensemble, next);
    return stop;
  }

  /** The loss of round `round` from shared memory, waiting for it; null when the thread does not answer. */
  private lossOf(round: number): number | null {
    const remote = this.remote!;
    const deadline = performance.now() + ROUND_TIMEOUT_MS;
    for (;;) {
      const count = Atomics.load(remote.count, 0);
      if (count >= round) return remote.losses[round - 1];
      const left = deadline - performance.now();
      if (left <= 0) break;
      Atomics.wait(remote.count, 0, count, Math.min(left, 50));
    }
    EarlyStopThread.retire(remote.thread);
    this.remote = null;
    return null;
  }

  /** Add the ensemble's trees up to `trees` to the margins here. */
  private pass(ensemble: Ensemble, trees: number): void {
    if (trees > this.applied) {
      const { x, width, y } = this.setup;
      this.missing ??= hasMissing(x, y.length * width);
      ensemble.addMargins(x, width, y.length, this.applied, trees, this.margins, this.setup.outputs, this.missing);
    }
    this.applied = Math.max(this.applied, trees);
  }

  private send(ensemble: Ensemble, round: number, from: number, to: number, catWordsFrom: number): void {
    const remote = this.remote!;
    const nodeBase = ensemble.roots[from];
    const nodeEnd = ensemble.nodes;
    const msg: EarlyStopRound = {
      type: 'round',
      fit: remote.fit,
      round: round - 1,
      nodeBase,
      catBase: catWordsFrom,
      feature: ensemble.feature.slice(nodeBase, nodeEnd),
      threshold: ensemble.threshold.slice(nodeBase, nodeEnd),
      left: ensemble.left.slice(nodeBase, nodeEnd),
      defaultLeft: ensemble.defaultLeft.slice(nodeBase, nodeEnd),
      catOffset: ensemble.catOffset.slice(nodeBase, nodeEnd),
      catCount: ensemble.catCount.slice(nodeBase, nodeEnd),
      value: ensemble.value.slice(nodeBase, nodeEnd),
      catBits: ensemble.catBits.slice(catWordsFrom, ensemble.catWords),
      roots: ensemble.roots.slice(from, to),
      treeOutput: ensemble.treeOutput.slice(from, to),
    };
    remote.thread.post(msg);
  }

  /** The rule: a better loss makes its round the best; `patience` rounds without one stop boosting. */
  private consider(round: number, loss: number, gain: Float64Array, splits: Float64Array): boolean {
    if (loss < this.bestLoss) {
      this.bestLoss = loss;
      this.bestRound = round;
      this.bestGain = Float64Array.from(gain);
      this.bestSplits = Float64Array.from(splits);
      return false;
    }
    return round - this.bestRound >= this.setup.patience;
  }
}
