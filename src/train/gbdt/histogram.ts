import type * as WorkerThreads from 'node:worker_threads';

/** Float64 values per histogram bin: gradient sum, hessian sum. */
export const HIST_STRIDE = 2;
/** Smallest hessian a row contributes (keeps leaf values finite on saturated rows). */
export const MIN_HESSIAN = 1e-16;
/** Words of category bits per split (256 bins). */
export const CAT_WORDS = 8;
/** Int32 fields per entry of plan.splits. */
export const SPLIT_FIELDS = 7;
/** Int32 fields per entry of plan.jobs: node, slot, slot to turn into parent minus this (or -1), first and end row ordinal. */
export const JOB_FIELDS = 5;
/** Most row segments one node's histogram is cut into (see TreeBuilder). */
export const MAX_SEGMENTS = 4;

/**
 * Indices into a team's shared control words: the command's sequence number and code, the workers
 * started, and from `turn` on one word per worker (see turnWord).
 */
export const CTRL = { seq: 0, cmd: 1, ready: 2, turn: 3 } as const;

/**
 * A worker's turn word for command number `seq`: twice the number while the worker works on that
 * command, plus one. Even values mean idle: the worker finished that command, or the fit's thread
 * shut it out of it (see HistTeam.run). Compared by wrapping difference, so the count may wrap.
 */
export function turnWord(seq: number, working: boolean): number {
  return ((seq << 1) + (working ? 1 : 0)) | 0;
}
/**
 * Longest a thread of a fit keeps checking for the next command (a worker) or for the others to
 * finish (the fit's own thread) before it sleeps on the control word, in ms. A fit's commands
 * follow each other within microseconds, and waking a sleeping thread took 100 to 250 us on this
 * project's 2-core test machine: with 2,000 commands in a fit on 45,000 rows, the threads spent
 * most of it waiting for each other, and two threads were no faster than one. Each thread halves
 * its spin after a wait longer than SPIN_MS (the other thread is not running: a busy machine, or
 * no fit) and doubles it after a shorter one, so that spinning costs little when it does not pay
 * (see nextSpin).
 */
export const SPIN_MS = 0.25;
/** Shortest spin (ms): below it a thread goes straight to sleep. */
export const SPIN_MIN_MS = 0.004;

/**
 * The spin after a wait of `waitedMs` (spinning, then asleep) that began with a spin of `spin` ms.
 * Judged by the whole wait, not by whether the spin saw the end of it: a spin that has shrunk
 * below SPIN_MIN_MS does not spin at all, so it would never see anything and never grow again.
 * That was so until this was measured: the histogram worker slept before every command of every
 * fit (1,262 sleeps, 1 caught, in a 45,000-row fit) and saw a command 20 to 100 us after it was
 * posted, against under 5 us once it spun; fits on 44,800 x 6 took about a tenth less.
 */
export function nextSpin(spin: number, waitedMs: number): number {
  if (waitedMs <= SPIN_MS) return spin < SPIN_MIN_MS ? SPIN_MIN_MS : Math.min(SPIN_MS, spin * 2);
  return spin / 2;
}
/** Commands a team runs; every thread does its share of each. */
export const CMD = { build: 1, partition: 2, gradients: 3, update: 4, probs: 5, split: 6, detach: 7, attach: 8, exit: 9, mark: 10, sweep: 11 } as const;
/** Most nodes one sweep builds (see sweepShare; a node's index in a sweep is a byte, 255 meaning none). */
export const MAX_SWEEP = 32;
/** Most bytes of plan.sweepHist (it holds MAX_SWEEP nodes' packed histograms when they fit). */
export const SWEEP_HIST_BYTES = 4 * 1024 * 1024;
/**
 * Features one pass over a node's rows takes: fourteen when gradients are packed and the features
 * come in fourteens (histP14), else up to seven (the widest exact kernel), in groups of even size.
 */
export function featureGroup(nFeats: number, packed: boolean): number {
  if (packed && nFeats % 14 === 0) return 14;
  return Math.ceil(nFeats / Math.ceil(nFeats / 7));
}
/** Nodes one sweep can build with a plan of these histogram offsets (0 or 1: no sweeps). */
export function sweepCapacity(histOffsets: Int32Array): number {
  const total = histOffsets[histOffsets.length - 1];
  return Math.min(MAX_SWEEP, Math.floor(SWEEP_HIST_BYTES / (8 * Math.max(1, total))));
}
/** Indices into plan.args. */
export const ARG = { count: 0, feats: 1, outputs: 2, output: 3, task: 4, loss: 5, allRows: 6, next: 7, group: 8, pending: 9, apply: 10, quant: 11, qshift: 12, salt: 13 } as const;
/** Indices into plan.fargs: the Huber delta and the split search's limits (see TreeConfig). */
export const FARG = { huberDelta: 0, l2: 1, minSamplesLeaf: 2, minChildWeight: 3, minSplitGain: 4 } as const;
/** plan.args[ARG.task]. */
export const TASK = { binary: 0, multiclass: 1, regression: 2 } as const;
/** plan.args[ARG.loss]. */
export const LOSS = { squared: 0, absolute: 1, huber: 2 } as const;

/**
 * Everything the threads of a fit share (SharedArrayBuffers when there are workers). Rows are cut
 * into `blocks` contiguous blocks (by the number of rows alone); a node's rows are, in each block b, the positions
 * [nodeStart[node * blocks + b], nodeEnd[...]) of one of two position buffers (nodeBuf[node]: 0 for
 * idx, 1 for sIdx), inside that block's region (positions blockStart[b] ..
 * blockStart[b + 1]). A partition keeps a node's left rows in its buffer, in order, and writes its
 * right rows into the other buffer, in reverse order, at the same positions: no copying back. A
 * node's rows taken block by block are so in an order that depends on the rows, the blocks and
 * the splits alone: every sum over them is the same whatever the number of threads.
 */
export interface BuildPlan {
  /** Column-major bins of all features (rows per column = `rows`). */
  readonly bins: Uint8Array;
  readonly rows: number;
  readonly blocks: number;
  /** First row (and position) of each block, plus `rows` at the end. */
  readonly blockStart: Int32Array;
  /** Rows in use per block (fewer than its size when rows are subsampled). */
  readonly sampled: Int32Array;
  /** Row index at each position (buffer 0). */
  readonly idx: Int32Array;
  /**
   * Gradient and hessian of each row, side by side, by row (gh[2r], gh[2r + 1]): they stay where
   * the gradient command wrote them, and a partition moves row indices alone (a third of the bytes
   * it moved when the pairs went along by position; the histogram build reads a row's pair next
   * to its bins, from a row it reads at random anyway).
   */
  readonly gh: Float32Array;
  /**
   * The same bytes as gh, as one number per row: with quantized gradients (args.quant > 0) the
   * gradient command turns each row's pair into one packed integer here, in place (see
   * quantizeRows), and the histogram build reads that instead of the pair.
   */
  readonly q: Float64Array;
  /** Buffer 1, indexed by position like idx. */
  readonly sIdx: Int32Array;
  /** The buffer each node's rows are in (0 or 1). */
  readonly nodeBuf: Uint8Array;
  /** Position ranges of nodes per block. */
  readonly nodeStart: Int32Array;
  readonly nodeEnd: Int32Array;
  /** Bin offset of each feature in a histogram (feature f spans histOffsets[f] .. histOffsets[f + 1]). */
  readonly histOffsets: Int32Array;
  /**
   * Build: JOB_FIELDS ints per job (node, slot, slot of its sibling to derive as parent minus this
   * or -1, and the job's rows as ordinals [from, to) of the node's rows in row order).
   */
  readonly jobs: Int32Array;
  /** Features to build. */
  readonly feats: Int32Array;
  /** Partition: SPLIT_FIELDS ints per split (node, left child, feature, threshold bin, missing bin, missing goes left, is category). */
  readonly splits: Int32Array;
  /** Category bits of each node's split (CAT_WORDS per node). */
  readonly catBits: Uint32Array;
  /** Update: leaf nodes, and each node's value. */
  readonly leaves: Int32Array;
  readonly leafValue: Float64Array;
  /**
   * The leaf of the last tree each row reached, which the next gradient command finds (block by
   * block, leavesBlock) and adds to the row's margin (args.apply) in row order, instead of an update scattered over the rows
   * by position (a cache miss per row on big data). Nodes up to 65,535.
   */
  readonly leafOf: Uint16Array;
  /**
   * Sweeps (see sweepShare; empty arrays in a plan without them): each row's index among the
   * swept nodes (255: none), then, compacted in each block, the swept rows in row order
   * (sweepList, from the block's first position) with that index at the same position of
   * sweepMark; the count per block in sweepCount.
   */
  readonly sweepMark: Uint8Array;
  readonly sweepList: Int32Array;
  readonly sweepCount: Int32Array;
  /** Per swept node: node, slot, and slot to turn into parent minus this (or -1). */
  readonly sweepNodes: Int32Array;
  /** Packed sums of the swept nodes, node k's bin of feature f at k * (all features' bins) + histOffsets[f] + bin. */
  readonly sweepHist: Float64Array;
  /** Labels, raw margins (row-major, `outputs` per row) and, for multiclass, probabilities. */
  /** Labels (Float32 when every label is a small integer: classes; Float64 for regression). */
  readonly y: Float64Array | Float32Array;
  readonly margins: Float64Array;
  /**
   * Float32, like the gradients they become (half the memory: 9.6 MB less for 800,000 rows and
   * three classes).
   */
  readonly probs: Float32Array;
  /** Small arguments of the current command (see ARG), and the loss' and split search's numbers (FARG). */
  readonly args: Int32Array;
  readonly fargs: Float64Array;
  /** Value bins of each feature (its missing bin is the next one), and 1 for category features. */
  readonly nBins: Int32Array;
  readonly isCategory: Uint8Array;
  /** Per node: histogram slot, gradient and hessian sums, and rows (exact, or estimated before a partition). */
  readonly nodeSlot: Int32Array;
  readonly nodeG: Float64Array;
  readonly nodeH: Float64Array;
  readonly nodeC: Float64Array;
  /** Split search: the nodes to search (args.count of them). */
  readonly todo: Int32Array;
  /**
   * The best split found per node: feature (-1 for none), gain, bin (number splits: the last bin
   * that goes left; category splits: the levels that go left, counted), whether missing values go
   * left, and the left side's sums and estimated rows. Category splits' levels are in catBits.
   */
  readonly bestFeat: Int32Array;
  readonly bestGain: Float64Array;
  readonly bestBin: Int32Array;
  readonly bestDefaultLeft: Int32Array;
  readonly bestGL: Float64Array;
  readonly bestHL: Float64Array;
  readonly bestCL: Float64Array;
}

/** Sizes of a plan's buffers. */
export interface PlanShape {
  readonly rows: number;
  readonly features: number;
  /** Outputs per row (classes for multiclass, else 1). */
  readonly outputs: number;
  /** Bin offset of each feature in a histogram (features + 1 entries). */
  readonly histOffsets: Int32Array;
  /** Most leaves per tree (bounds jobs, splits and nodes). */
  readonly leafCap: number;
  readonly blocks: number;
  /** True when the labels are class indices (kept as Float32). */
  readonly integerLabels: boolean;
  /** True to allocate the buffers of sweeps (see sweepShare); large data only. */
  readonly sweep?: boolean;
}

/** A plan of `shape` (SharedArrayBuffers when `shared`), rows cut into equal blocks; bins and labels still to fill. */
export function allocatePlan(shape: PlanShape, shared: boolean): BuildPlan {
  const { rows, features, outputs, histOffsets, leafCap, blocks } = shape;
  const sweep = shape.sweep === true && sweepCapacity(histOffsets) >= 2;
  const alloc = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const nodes = 2 * leafCap + 1;
  const blockStart = new Int32Array(alloc(4 * (blocks + 1)));
  for (let b = 0; b <= blocks; b++) blockStart[b] = Math.floor((rows * b) / blocks);
  // Class labels are small integers, exact in Float32 (half the memory); always a copy, so that
  // the gradient loops see one array type per task.
  const labels = shape.integerLabels ? new Float32Array(alloc(4 * rows)) : new Float64Array(alloc(8 * rows));
  const ghBuffer = alloc(8 * rows);
  const plan: BuildPlan = {
    bins: new Uint8Array(alloc(rows * features)),
    rows,
    blocks,
    blockStart,
    sampled: new Int32Array(alloc(4 * blocks)),
    idx: new Int32Array(alloc(4 * rows)),
    gh: new Float32Array(ghBuffer),
    q: new Float64Array(ghBuffer),
    sIdx: new Int32Array(alloc(4 * rows)),
    nodeBuf: new Uint8Array(alloc(nodes)),
    nodeStart: new Int32Array(alloc(4 * nodes * blocks)),
    nodeEnd: new Int32Array(alloc(4 * nodes * blocks)),
    histOffsets: new Int32Array(alloc(4 * histOffsets.length)),
    jobs: new Int32Array(alloc(4 * JOB_FIELDS * MAX_SEGMENTS * nodes)),
    feats: new Int32Array(alloc(4 * Math.max(1, features))),
    splits: new Int32Array(alloc(4 * SPLIT_FIELDS * nodes)),
    catBits: new Uint32Array(alloc(4 * CAT_WORDS * nodes)),
    leaves: new Int32Array(alloc(4 * nodes)),
    leafValue: new Float64Array(alloc(8 * nodes)),
    leafOf: new Uint16Array(alloc(2 * rows)),
    sweepMark: new Uint8Array(alloc(sweep ? rows : 0)),
    sweepList: new Int32Array(alloc(sweep ? 4 * rows : 0)),
    sweepCount: new Int32Array(alloc(sweep ? 4 * blocks : 0)),
    sweepNodes: new Int32Array(alloc(sweep ? 4 * 3 * MAX_SWEEP : 0)),
    sweepHist: new Float64Array(alloc(sweep ? 8 * sweepCapacity(histOffsets) * histOffsets[histOffsets.length - 1] : 0)),
    y: labels,
    margins: new Float64Array(alloc(8 * rows * outputs)),
    probs: new Float32Array(alloc(outputs > 1 ? 4 * rows * outputs : 4)),
    args: new Int32Array(alloc(4 * 16)),
    fargs: new Float64Array(alloc(8 * 8)),
    nBins: new Int32Array(alloc(4 * Math.max(1, features))),
    isCategory: new Uint8Array(alloc(Math.max(1, features))),
    nodeSlot: new Int32Array(alloc(4 * nodes)),
    nodeG: new Float64Array(alloc(8 * nodes)),
    nodeH: new Float64Array(alloc(8 * nodes)),
    nodeC: new Float64Array(alloc(8 * nodes)),
    todo: new Int32Array(alloc(4 * nodes)),
    bestFeat: new Int32Array(alloc(4 * nodes)),
    bestGain: new Float64Array(alloc(8 * nodes)),
    bestBin: new Int32Array(alloc(4 * nodes)),
    bestDefaultLeft: new Int32Array(alloc(4 * nodes)),
    bestGL: new Float64Array(alloc(8 * nodes)),
    bestHL: new Float64Array(alloc(8 * nodes)),
    bestCL: new Float64Array(alloc(8 * nodes)),
  };
  plan.histOffsets.set(histOffsets);
  return plan;
}

/** The shared buffers of a plan, as handed to a worker. */
export type PlanBuffers = { readonly [K in keyof BuildPlan]: BuildPlan[K] extends number ? number : ArrayBufferLike };

/** The buffers behind a plan (to send to a worker). */
export function planBuffers(plan: BuildPlan): PlanBuffers {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(plan)) out[k] = typeof v === 'number' ? v : (v as ArrayBufferView).buffer;
  return out as PlanBuffers;
}

/** A plan over buffers received from the thread that made them. */
export function planFromBuffers(b: PlanBuffers): BuildPlan {
  return {
    bins: new Uint8Array(b.bins),
    rows: b.rows,
    blocks: b.blocks,
    blockStart: new Int32Array(b.blockStart),
    sampled: new Int32Array(b.sampled),
    idx: new Int32Array(b.idx),
    gh: new Float32Array(b.gh),
    q: new Float64Array(b.q),
    sIdx: new Int32Array(b.sIdx),
    nodeBuf: new Uint8Array(b.nodeBuf),
    nodeStart: new Int32Array(b.nodeStart),
    nodeEnd: new Int32Array(b.nodeEnd),
    histOffsets: new Int32Array(b.histOffsets),
    jobs: new Int32Array(b.jobs),
    feats: new Int32Array(b.feats),
    splits: new Int32Array(b.splits),
    catBits: new Uint32Array(b.catBits),
    leaves: new Int32Array(b.leaves),
    leafValue: new Float64Array(b.leafValue),
    leafOf: new Uint16Array(b.leafOf),
    sweepMark: new Uint8Array(b.sweepMark),
    sweepList: new Int32Array(b.sweepList),
    sweepCount: new Int32Array(b.sweepCount),
    sweepNodes: new Int32Array(b.sweepNodes),
    sweepHist: new Float64Array(b.sweepHist),
    y: b.y.byteLength === 4 * b.rows ? new Float32Array(b.y) : new Float64Array(b.y),
    margins: new Float64Array(b.margins),
    probs: new Float32Array(b.probs),
    args: new Int32Array(b.args),
    fargs: new Float64Array(b.fargs),
    nBins: new Int32Array(b.nBins),
    isCategory: new Uint8Array(b.isCategory),
    nodeSlot: new Int32Array(b.nodeSlot),
    nodeG: new Float64Array(b.nodeG),
    nodeH: new Float64Array(b.nodeH),
    nodeC: new Float64Array(b.nodeC),
    todo: new Int32Array(b.todo),
    bestFeat: new Int32Array(b.bestFeat),
    bestGain: new Float64Array(b.bestGain),
    bestBin: new Int32Array(b.bestBin),
    bestDefaultLeft: new Int32Array(b.bestDefaultLeft),
    bestGL: new Float64Array(b.bestGL),
    bestHL: new Float64Array(b.bestHL),
    bestCL: new Float64Array(b.bestCL),
  };
}

/** Per-thread scratch of the commands (allocated once per thread, not per command). */
export interface Scratch {
  /** Column offsets and histogram offsets of a group of features (build). */
  readonly cols: Int32Array;
  readonly offs: Int32Array;
  /** Category order and keys of the split search (256 bins and the missing one). */
  readonly catOrder: Int32Array;
  readonly catKey: Float64Array;
}

/** Fresh scratch for one thread. */
export function makeScratch(): Scratch {
  return { cols: new Int32Array(16), offs: new Int32Array(16), catOrder: new Int32Array(257), catKey: new Float64Array(257) };
}

// The kernels below are hand-written loops over typed arrays, not a numeric library: the project
// keeps its numeric code in TypeScript it can read and measure (no native add-on to build), and
// each loop does exactly the work its step needs. They are module functions that take every array
// as an argument of its own: V8 then optimises each once per thread and keeps that code from fit to
// fit. (Loops reading their arrays out of an object, even once per call, measured 2.3 times slower
// on partitions while writing this; closures compiled per fit over one fit's arrays are as fast as
// arguments but start cold, interpreted and recompiled, in every fit.)
//
// A histogram bin holds (gradient sum, hessian sum): no row count, which would cost a third more
// stores per row (counts are estimated from hessians where a split needs them, as LightGBM does).
// Bins are read at bins[column offset + row] and gradients at gh[2 * row]: both scattered reads
// of the rows of a node (gradients by position instead cost the partitions more than they saved
// here: see BuildPlan.gh). Several features share a pass so the row index and gradient are
// loaded once (one-off measurements while writing this, 800,000 rows: seven at once 1.4 ns per bin
// update against 1.7 for four and 2.4 for two; eight gain nothing).

/**
 * Accumulate positions [start, end) into the histogram bins of seven features (columns c[0..6],
 * bin offsets ho[0..6]). Two rows a turn, the first row's update of a feature before the
 * second's, so that every bin adds its rows in position order as one row a turn would (the same
 * sums); the two rows' loads and updates overlap (about 5% less time for the builds of a tree on
 * 44,800 rows, measured while writing this). An odd row out is done first, not last: code after
 * the loop has no type feedback when V8 compiles the loop on its first long call (on-stack
 * replacement), and the compiled loop then gave up at that code on every call that reached it.
 */
function hist7(bins: Uint8Array, idx: Int32Array, gh: Float32Array, c: Int32Array, ho: Int32Array, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const c6 = c[6];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  const h6 = ho[6];
  let i = start;
  if (((end - start) & 1) === 1) {
    // An odd row out goes first (see hist7).
    const r = idx[i++];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    let o = h0 + (bins[c0 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h1 + (bins[c1 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h2 + (bins[c2 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h3 + (bins[c3 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h4 + (bins[c4 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h5 + (bins[c5 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h6 + (bins[c6 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
  }
  for (; i < end; i += 2) {
    const r = idx[i];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const r2 = idx[i + 1];
    const g2 = gh[2 * r2];
    const hh2 = gh[2 * r2 + 1];
    let o = h0 + (bins[c0 + r] << 1);
    let o2 = h0 + (bins[c0 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h1 + (bins[c1 + r] << 1);
    o2 = h1 + (bins[c1 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h2 + (bins[c2 + r] << 1);
    o2 = h2 + (bins[c2 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h3 + (bins[c3 + r] << 1);
    o2 = h3 + (bins[c3 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h4 + (bins[c4 + r] << 1);
    o2 = h4 + (bins[c4 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h5 + (bins[c5 + r] << 1);
    o2 = h5 + (bins[c5 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h6 + (bins[c6 + r] << 1);
    o2 = h6 + (bins[c6 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
  }
}

/** hist7 for six features. */
function hist6(bins: Uint8Array, idx: Int32Array, gh: Float32Array, c: Int32Array, ho: Int32Array, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  let i = start;
  if (((end - start) & 1) === 1) {
    // An odd row out goes first (see hist7).
    const r = idx[i++];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    let o = h0 + (bins[c0 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h1 + (bins[c1 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h2 + (bins[c2 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h3 + (bins[c3 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h4 + (bins[c4 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h5 + (bins[c5 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
  }
  for (; i < end; i += 2) {
    const r = idx[i];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const r2 = idx[i + 1];
    const g2 = gh[2 * r2];
    const hh2 = gh[2 * r2 + 1];
    let o = h0 + (bins[c0 + r] << 1);
    let o2 = h0 + (bins[c0 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h1 + (bins[c1 + r] << 1);
    o2 = h1 + (bins[c1 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h2 + (bins[c2 + r] << 1);
    o2 = h2 + (bins[c2 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h3 + (bins[c3 + r] << 1);
    o2 = h3 + (bins[c3 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h4 + (bins[c4 + r] << 1);
    o2 = h4 + (bins[c4 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
    o = h5 + (bins[c5 + r] << 1);
    o2 = h5 + (bins[c5 + r2] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    hist[o2] += g2;
    hist[o2 + 1] += hh2;
  }
}

/** hist7 for four features (c[q..q+3], ho[q..q+3]). */
function hist4(bins: Uint8Array, idx: Int32Array, gh: Float32Array, c: Int32Array, ho: Int32Array, q: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[q];
  const c1 = c[q + 1];
  const c2 = c[q + 2];
  const c3 = c[q + 3];
  const h0 = ho[q];
  const h1 = ho[q + 1];
  const h2 = ho[q + 2];
  const h3 = ho[q + 3];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    let o = h0 + (bins[c0 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h1 + (bins[c1 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h2 + (bins[c2 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
    o = h3 + (bins[c3 + r] << 1);
    hist[o] += g;
    hist[o + 1] += h;
  }
}

/** hist7 for two features (c[q..q+1], ho[q..q+1]). */
function hist2(bins: Uint8Array, idx: Int32Array, gh: Float32Array, c: Int32Array, ho: Int32Array, q: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[q];
  const c1 = c[q + 1];
  const h0 = ho[q];
  const h1 = ho[q + 1];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const g = gh[2 * r];
    const h = gh[2 * r + 1];
    const o0 = h0 + (bins[c0 + r] << 1);
    const o1 = h1 + (bins[c1 + r] << 1);
    hist[o0] += g;
    hist[o0 + 1] += h;
    hist[o1] += g;
    hist[o1 + 1] += h;
  }
}

/** hist7 for one feature (c[q], ho[q]). */
function hist1(bins: Uint8Array, idx: Int32Array, gh: Float32Array, c: Int32Array, ho: Int32Array, q: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[q];
  const h0 = ho[q];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const o = h0 + (bins[c0 + r] << 1);
    hist[o] += gh[2 * r];
    hist[o + 1] += gh[2 * r + 1];
  }
}

// Quantized gradients (classification): each row's gradient and hessian are rounded to integers
// on a fixed grid (stochastically, so that sums stay unbiased) and packed into one double, g *
// 2^shift + h, exact while every sum stays below 2^53 (gradientBits picks the grid for the row
// count). A histogram bin then takes one addition a row instead of two, and integer sums are
// exact in any order. LightGBM's quantized training does the same with integers (Shi et al.,
// "Quantized Training of Gradient Boosting Decision Trees", NeurIPS 2022); JavaScript has no fast
// 64-bit integers, so the pair shares a double. The build writes a feature's packed sums into the
// first half of its histogram range and unpacks them into (gradient, hessian) pairs in place
// (unpackHist), so everything after the build (segment sums, siblings, split search) is unchanged.

/**
 * Bits of the gradient grid for a fit on `rows` rows: gradients in [-1, 1] become integers in
 * [-2^bits, 2^bits] and hessians in [0, 1/4] integers in [0, 2^bits], with room for the sums of
 * `rows` of each in one double (2 log2(rows) + 2 bits <= 53). 0 when the grid would be coarser
 * than 2 bits (over 16 million rows): exact pairs then. At most 12 (finer gains nothing).
 */
export function gradientBits(rows: number): number {
  const L = Math.ceil(Math.log2(rows + 1));
  const bits = Math.min(12, Math.floor((53 - 2 * L) / 2));
  return bits >= 2 ? bits : 0;
}

/** The packing shift for `rows` rows at `bits` bits: hessian sums stay below 2^shift. */
export function gradientShift(rows: number, bits: number): number {
  return Math.ceil(Math.log2(rows + 1)) + bits;
}

/**
 * Pack the gradient pairs of the rows at positions [s, e) of idx into plan.q (in place: q[r] is
 * the bytes of gh[2r], gh[2r + 1]). Each rounds down after adding a uniform draw for the row and
 * `salt` (the tree; see rowDraw), so the packed values depend on the rows and the seed alone,
 * never on the threads.
 */
function quantizeRows(idx: Int32Array, gh: Float32Array, q: Float64Array, s: number, e: number, bits: number, shift: number, salt: number): void {
  const gScale = 2 ** bits;
  const hScale = 4 * gScale;
  const pack = 2 ** shift;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const x = rowDraw(r, salt);
    const gq = Math.floor(gh[2 * r] * gScale + (x >>> 16) * (1 / 65536));
    const hq = Math.floor(gh[2 * r + 1] * hScale + (x & 0xffff) * (1 / 65536));
    q[r] = gq * pack + hq;
  }
}

/** Entries of DITHER (a power of two). */
const DITHER_SIZE = 4096;

/**
 * A fixed table of DITHER_SIZE random 32-bit words (the same in every thread: a xorshift32
 * sequence from a fixed seed), from which quantizeRows draws: a load where a hash of the row
 * took three multiplications (which made quantized fits on 45,000 x 6 slower on one thread).
 */
function makeDither(): Uint32Array {
  const table = new Uint32Array(DITHER_SIZE);
  let x = 0x2545f491;
  for (let i = 0; i < DITHER_SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x;
  }
  return table;
}

/**
 * 32 random bits for row `r` of the tree with `salt`: two 16-bit uniforms for quantizeRows. The
 * tree's salt shifts the table along the rows and flips bits of the word (both keep each half
 * uniform); rows DITHER_SIZE apart share a draw within a tree, which leaves every sum unbiased.
 */
function rowDraw(r: number, salt: number): number {
  return DITHER[(r + salt) & (DITHER_SIZE - 1)] ^ salt;
}

/**
 * gradBinaryRows with quantized gradients: each row's pair goes straight into plan.q packed (see
 * quantizeRows), in the same pass, rounded from the double rather than from gh's float.
 */
function gradBinaryRowsQ(idx: Int32Array, margins: Float64Array, y: Float32Array, q: Float64Array, pow2: Float64Array, s: number, e: number, apply: boolean, leafOf: Uint16Array, leafValue: Float64Array, bits: number, shift: number, salt: number): void {
  const minHessian = +MIN_HESSIAN; // see gradBinary
  const gScale = 2 ** bits;
  const hScale = 4 * gScale;
  const pack = 2 ** shift;
  for (let r = s; r < e; r++) {
    idx[r] = r;
    let m = margins[r];
    if (apply) {
      m += leafValue[leafOf[r]];
      margins[r] = m;
    }
    const p = logistic(m, pow2);
    const h = p * (1 - p);
    const x = rowDraw(r, salt);
    const gq = Math.floor((p - y[r]) * gScale + (x >>> 16) * (1 / 65536));
    const hq = Math.floor((h > minHessian ? h : minHessian) * hScale + (x & 0xffff) * (1 / 65536));
    q[r] = gq * pack + hq;
  }
}

/**
 * Turn the packed sums of one feature (src[from .. from + nb)) into (gradient, hessian) pairs at
 * dst[to .. to + 2 nb): in place (src = dst, from = to) after a build, from another buffer after a
 * sweep. From the last bin down, so that in place no packed sum is overwritten unread.
 */
function unpackHist(src: Float64Array, from: number, dst: Float64Array, to: number, nb: number, bits: number, shift: number): void {
  const pack = 2 ** shift;
  const unpack = 2 ** -shift;
  const gUnit = 2 ** -bits;
  const hUnit = gUnit / 4;
  for (let b = nb - 1; b >= 0; b--) {
    const v = src[from + b];
    const gq = Math.floor(v * unpack);
    dst[to + 2 * b] = gq * gUnit;
    dst[to + 2 * b + 1] = (v - gq * pack) * hUnit;
  }
}

/** Sums of the packed values of positions [s, e) of idx, unpacked and added to out[0] (gradient) and out[1] (hessian). */
export function sumPacked(q: Float64Array, idx: Int32Array, s: number, e: number, bits: number, shift: number, out: Float64Array): void {
  let v = 0;
  for (let i = s; i < e; i++) v += q[idx[i]];
  const gq = Math.floor(v * 2 ** -shift);
  out[0] += gq * 2 ** -bits;
  out[1] += (v - gq * 2 ** shift) * 2 ** -(bits + 2);
}

/**
 * histP7 for fourteen features, one pass: the row index and its packed value are loaded once for
 * twice the bins (a scratch measurement while writing this, 800,000 rows x 28, three runs: all
 * rows 1.05 to 1.18 ns a bin against 1.25 to 1.46 for two passes of seven; a third of the rows
 * 1.12 to 1.16 against 1.30 to 1.34 in two runs, 1.48 against 1.41 in the first; a row-major
 * layout was slower). Used when the features come in groups of fourteen (see HistTeam.build).
 */
function histP14(bins: Uint8Array, idx: Int32Array, q: Float64Array, c: Int32Array, ho: Int32Array, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const c6 = c[6];
  const c7 = c[7];
  const c8 = c[8];
  const c9 = c[9];
  const c10 = c[10];
  const c11 = c[11];
  const c12 = c[12];
  const c13 = c[13];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  const h6 = ho[6];
  const h7 = ho[7];
  const h8 = ho[8];
  const h9 = ho[9];
  const h10 = ho[10];
  const h11 = ho[11];
  const h12 = ho[12];
  const h13 = ho[13];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const v = q[r];
    hist[h0 + bins[c0 + r]] += v;
    hist[h1 + bins[c1 + r]] += v;
    hist[h2 + bins[c2 + r]] += v;
    hist[h3 + bins[c3 + r]] += v;
    hist[h4 + bins[c4 + r]] += v;
    hist[h5 + bins[c5 + r]] += v;
    hist[h6 + bins[c6 + r]] += v;
    hist[h7 + bins[c7 + r]] += v;
    hist[h8 + bins[c8 + r]] += v;
    hist[h9 + bins[c9 + r]] += v;
    hist[h10 + bins[c10 + r]] += v;
    hist[h11 + bins[c11 + r]] += v;
    hist[h12 + bins[c12 + r]] += v;
    hist[h13 + bins[c13 + r]] += v;
  }
}

/** hist7 on packed values (see quantizeRows): one addition per bin, bins at ho[k] + bin. */
function histP7(bins: Uint8Array, idx: Int32Array, q: Float64Array, c: Int32Array, ho: Int32Array, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const c6 = c[6];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  const h6 = ho[6];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const v = q[r];
    hist[h0 + bins[c0 + r]] += v;
    hist[h1 + bins[c1 + r]] += v;
    hist[h2 + bins[c2 + r]] += v;
    hist[h3 + bins[c3 + r]] += v;
    hist[h4 + bins[c4 + r]] += v;
    hist[h5 + bins[c5 + r]] += v;
    hist[h6 + bins[c6 + r]] += v;
  }
}

/** histP7 for six features. */
function histP6(bins: Uint8Array, idx: Int32Array, q: Float64Array, c: Int32Array, ho: Int32Array, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const v = q[r];
    hist[h0 + bins[c0 + r]] += v;
    hist[h1 + bins[c1 + r]] += v;
    hist[h2 + bins[c2 + r]] += v;
    hist[h3 + bins[c3 + r]] += v;
    hist[h4 + bins[c4 + r]] += v;
    hist[h5 + bins[c5 + r]] += v;
  }
}

/** histP7 for four features (c[k..k+3], ho[k..k+3]). */
function histP4(bins: Uint8Array, idx: Int32Array, q: Float64Array, c: Int32Array, ho: Int32Array, k: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[k];
  const c1 = c[k + 1];
  const c2 = c[k + 2];
  const c3 = c[k + 3];
  const h0 = ho[k];
  const h1 = ho[k + 1];
  const h2 = ho[k + 2];
  const h3 = ho[k + 3];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const v = q[r];
    hist[h0 + bins[c0 + r]] += v;
    hist[h1 + bins[c1 + r]] += v;
    hist[h2 + bins[c2 + r]] += v;
    hist[h3 + bins[c3 + r]] += v;
  }
}

/** histP7 for two features (c[k..k+1], ho[k..k+1]). */
function histP2(bins: Uint8Array, idx: Int32Array, q: Float64Array, c: Int32Array, ho: Int32Array, k: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[k];
  const c1 = c[k + 1];
  const h0 = ho[k];
  const h1 = ho[k + 1];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const v = q[r];
    hist[h0 + bins[c0 + r]] += v;
    hist[h1 + bins[c1 + r]] += v;
  }
}

/** histP7 for one feature (c[k], ho[k]). */
function histP1(bins: Uint8Array, idx: Int32Array, q: Float64Array, c: Int32Array, ho: Int32Array, k: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[k];
  const h0 = ho[k];
  for (let i = start; i < end; i++) {
    const r = idx[i];
    hist[h0 + bins[c0 + r]] += q[r];
  }
}

// Sweeps. The rows of a node deep in a tree are a thin scatter over all rows: building its
// histogram by its positions reads one byte of each feature's column per row, each from a cache
// line of its own, and on 800,000 x 28 rows (22 MB of bins, about this machine's 32 MB cache)
// these builds waited on memory: 10 ns per bin against 1.4 on a dense node (a scratch measurement
// of the smaller children of levels 4 and 5, while writing this). A sweep builds many such nodes
// at once in one pass over the rows in row order (mark each swept row with its node, compact the
// marked rows per block, then add each feature group's bins for all of them): the columns are read
// front to back, as the processor's prefetcher likes, at 3.3 to 3.6 ns per bin of the same nodes,
// marking included. Packed (quantized) sums only: they are exact integers, so the order they are added in
// changes nothing and a swept node's histogram is the one a build by positions gives.

/** Row-wise command `mark`: block `b`'s rows of the args.count swept nodes of plan.sweepNodes, compacted (see BuildPlan.sweepMark). */
function markBlock(plan: BuildPlan, b: number): void {
  const { blocks, nodeStart, nodeEnd, nodeBuf, sweepNodes, sweepMark } = plan;
  const count = plan.args[ARG.count];
  const s = plan.blockStart[b];
  const e = plan.blockStart[b + 1];
  sweepMark.fill(255, s, e);
  for (let k = 0; k < count; k++) {
    const node = sweepNodes[3 * k];
    markSwept(nodeBuf[node] === 0 ? plan.idx : plan.sIdx, sweepMark, nodeStart[node * blocks + b], nodeEnd[node * blocks + b], k);
  }
  plan.sweepCount[b] = compactSwept(sweepMark, plan.sweepList, s, e) - s;
}

/** mark[idx[i]] = k for positions [s, e). */
function markSwept(idx: Int32Array, mark: Uint8Array, s: number, e: number, k: number): void {
  for (let i = s; i < e; i++) mark[idx[i]] = k;
}

/**
 * The marked rows of [s, e) in order into list from s, their marks moved to the same positions of
 * `mark` (in place: a row's mark is read before any write reaches it). Returns the end. Without a
 * branch: every row is written and only a marked one advances (a third of rows marked at random
 * mispredicts a branch often).
 */
function compactSwept(mark: Uint8Array, list: Int32Array, s: number, e: number): number {
  let n = s;
  for (let r = s; r < e; r++) {
    const k = mark[r];
    list[n] = r;
    mark[n] = k;
    n += 1 - ((k + 1) >> 8);
  }
  return n;
}

/** histP7 for a sweep: rows list[start, end), each into the histogram of its node (of[i] * total). */
function sweepP7(bins: Uint8Array, list: Int32Array, of: Uint8Array, q: Float64Array, c: Int32Array, ho: Int32Array, total: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const c6 = c[6];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  const h6 = ho[6];
  for (let i = start; i < end; i++) {
    const r = list[i];
    const v = q[r];
    const o = of[i] * total;
    hist[o + h0 + bins[c0 + r]] += v;
    hist[o + h1 + bins[c1 + r]] += v;
    hist[o + h2 + bins[c2 + r]] += v;
    hist[o + h3 + bins[c3 + r]] += v;
    hist[o + h4 + bins[c4 + r]] += v;
    hist[o + h5 + bins[c5 + r]] += v;
    hist[o + h6 + bins[c6 + r]] += v;
  }
}

/** histP14 for a sweep (see sweepP7). */
function sweepP14(bins: Uint8Array, list: Int32Array, of: Uint8Array, q: Float64Array, c: Int32Array, ho: Int32Array, total: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const c6 = c[6];
  const c7 = c[7];
  const c8 = c[8];
  const c9 = c[9];
  const c10 = c[10];
  const c11 = c[11];
  const c12 = c[12];
  const c13 = c[13];
  const h0 = ho[0];
  const h1 = ho[1];
  const h2 = ho[2];
  const h3 = ho[3];
  const h4 = ho[4];
  const h5 = ho[5];
  const h6 = ho[6];
  const h7 = ho[7];
  const h8 = ho[8];
  const h9 = ho[9];
  const h10 = ho[10];
  const h11 = ho[11];
  const h12 = ho[12];
  const h13 = ho[13];
  for (let i = start; i < end; i++) {
    const r = list[i];
    const v = q[r];
    const o = of[i] * total;
    hist[o + h0 + bins[c0 + r]] += v;
    hist[o + h1 + bins[c1 + r]] += v;
    hist[o + h2 + bins[c2 + r]] += v;
    hist[o + h3 + bins[c3 + r]] += v;
    hist[o + h4 + bins[c4 + r]] += v;
    hist[o + h5 + bins[c5 + r]] += v;
    hist[o + h6 + bins[c6 + r]] += v;
    hist[o + h7 + bins[c7 + r]] += v;
    hist[o + h8 + bins[c8 + r]] += v;
    hist[o + h9 + bins[c9 + r]] += v;
    hist[o + h10 + bins[c10 + r]] += v;
    hist[o + h11 + bins[c11 + r]] += v;
    hist[o + h12 + bins[c12 + r]] += v;
    hist[o + h13 + bins[c13 + r]] += v;
  }
}

/** sweepP7 for four features (c[k..k+3], ho[k..k+3]). */
function sweepP4(bins: Uint8Array, list: Int32Array, of: Uint8Array, q: Float64Array, c: Int32Array, ho: Int32Array, k: number, total: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[k];
  const c1 = c[k + 1];
  const c2 = c[k + 2];
  const c3 = c[k + 3];
  const h0 = ho[k];
  const h1 = ho[k + 1];
  const h2 = ho[k + 2];
  const h3 = ho[k + 3];
  for (let i = start; i < end; i++) {
    const r = list[i];
    const v = q[r];
    const o = of[i] * total;
    hist[o + h0 + bins[c0 + r]] += v;
    hist[o + h1 + bins[c1 + r]] += v;
    hist[o + h2 + bins[c2 + r]] += v;
    hist[o + h3 + bins[c3 + r]] += v;
  }
}

/** sweepP7 for one feature (c[k], ho[k]). */
function sweepP1(bins: Uint8Array, list: Int32Array, of: Uint8Array, q: Float64Array, c: Int32Array, ho: Int32Array, k: number, total: number, start: number, end: number, hist: Float64Array): void {
  const c0 = c[k];
  const h0 = ho[k];
  for (let i = start; i < end; i++) {
    const r = list[i];
    hist[of[i] * total + h0 + bins[c0 + r]] += q[r];
  }
}

/**
 * Command `sweep`, after `mark`: the histograms of the args.count nodes of plan.sweepNodes (each
 * into its slot, and its sibling's derived when asked), a group of features (args.group) a unit:
 * every swept row of every block in row order, then the group's packed sums unpacked into the
 * nodes' slots.
 */
function sweepShare(plan: BuildPlan, slots: readonly Float64Array[], scratch: Scratch): void {
  const { bins, rows, blocks, blockStart, histOffsets, feats, args, sweepNodes, sweepHist, sweepList, sweepMark, sweepCount, q } = plan;
  const count = args[ARG.count];
  const nFeats = args[ARG.feats];
  const group = args[ARG.group];
  const groups = Math.ceil(nFeats / group);
  const bits = args[ARG.quant];
  const shift = args[ARG.qshift];
  const total = histOffsets[histOffsets.length - 1];
  const { cols, offs } = scratch;
  for (;;) {
    const u = Atomics.add(args, ARG.next, 1);
    if (u >= groups) return;
    const first = u * group;
    const last = Math.min(nFeats, first + group);
    const width = last - first;
    for (let j = 0; j < width; j++) {
      const f = feats[first + j];
      cols[j] = f * rows;
      offs[j] = histOffsets[f];
      for (let k = 0; k < count; k++) sweepHist.fill(0, k * total + histOffsets[f], k * total + histOffsets[f + 1]);
    }
    for (let b = 0; b < blocks; b++) {
      const s = blockStart[b];
      const e = s + sweepCount[b];
      if (width === 14) sweepP14(bins, sweepList, sweepMark, q, cols, offs, total, s, e, sweepHist);
      else if (width === 7) sweepP7(bins, sweepList, sweepMark, q, cols, offs, total, s, e, sweepHist);
      else {
        let j = 0;
        for (; j + 4 <= width; j += 4) sweepP4(bins, sweepList, sweepMark, q, cols, offs, j, total, s, e, sweepHist);
        for (; j < width; j++) sweepP1(bins, sweepList, sweepMark, q, cols, offs, j, total, s, e, sweepHist);
      }
    }
    for (let k = 0; k < count; k++) {
      const hist = slots[sweepNodes[3 * k + 1]];
      const into = sweepNodes[3 * k + 2];
      for (let j = first; j < last; j++) {
        const f = feats[j];
        const from = histOffsets[f] * HIST_STRIDE;
        const end = histOffsets[f + 1] * HIST_STRIDE;
        unpackHist(sweepHist, k * total + histOffsets[f], hist, from, histOffsets[f + 1] - histOffsets[f], bits, shift);
        if (into >= 0) {
          const sibling = slots[into];
          for (let i = from; i < end; i++) sibling[i] -= hist[i];
        }
      }
    }
  }
}

// Partitions are branch-free: every row is written to both sides and only the side it belongs
// to advances (a left/right branch is mispredicted half the time: 7.8 against 2.7 ns per row in a
// one-off measurement while writing this). Only row indices move: gradients stay by row.

/**
 * Positions [s, e) of idx by a number split on column `col`: rows whose bin is at most `thr`, or
 * is `missing`, stay in front in order; the others go to oIdx, from e - 1 down. Returns the end of
 * the left rows (where the right ones start).
 */
function partitionNumbers(bins: Uint8Array, idx: Int32Array, oIdx: Int32Array, col: number, thr: number, missing: number, s: number, e: number): number {
  let w = s;
  let k = e - 1;
  let i = s;
  if (((e - s) & 1) === 1) {
    // An odd row out goes first (see hist7).
    const r = idx[i++];
    const bin = bins[col + r];
    const l = (((thr - bin) >>> 31) ^ 1) | (((bin ^ missing) - 1) >>> 31);
    idx[w] = r;
    oIdx[k] = r;
    w += l;
    k -= 1 - l;
  }
  // Two rows a turn (3.2 against 3.5 ns per row for the partitions of a tree on 44,800 rows,
  // measured while writing this). Both are read before either is written: w <= i, so the writes
  // never reach a position still to be read.
  for (; i < e; i += 2) {
    const r = idx[i];
    const r2 = idx[i + 1];
    const bin = bins[col + r];
    const bin2 = bins[col + r2];
    // 1 when bin <= thr or bin === missing (bins and thr are 0..256).
    const l = (((thr - bin) >>> 31) ^ 1) | (((bin ^ missing) - 1) >>> 31);
    const l2 = (((thr - bin2) >>> 31) ^ 1) | (((bin2 ^ missing) - 1) >>> 31);
    idx[w] = r;
    oIdx[k] = r;
    w += l;
    k -= 1 - l;
    idx[w] = r2;
    oIdx[k] = r2;
    w += l2;
    k -= 1 - l2;
  }
  return w;
}

/** partitionNumbers for a category split: a row goes left when its bin's bit is set in catBits from `base`. */
function partitionCategories(bins: Uint8Array, idx: Int32Array, oIdx: Int32Array, catBits: Uint32Array, col: number, base: number, s: number, e: number): number {
  let w = s;
  let k = e - 1;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const bin = bins[col + r];
    const l = (catBits[base + (bin >>> 5)] >>> (bin & 31)) & 1;
    idx[w] = r;
    oIdx[k] = r;
    w += l;
    k -= 1 - l;
  }
  return w;
}

/** Gradient and hessian sums of the rows at positions [s, e) of idx added to out[0], out[1] (two running sums a position apart). */
export function sumPairs(gh: Float32Array, idx: Int32Array, s: number, e: number, out: Float64Array): void {
  let G0 = 0;
  let G1 = 0;
  let H0 = 0;
  let H1 = 0;
  let i = s;
  for (; i + 1 < e; i += 2) {
    const r0 = idx[i];
    const r1 = idx[i + 1];
    G0 += gh[2 * r0];
    H0 += gh[2 * r0 + 1];
    G1 += gh[2 * r1];
    H1 += gh[2 * r1 + 1];
  }
  if (i < e) {
    const r = idx[i];
    G0 += gh[2 * r];
    H0 += gh[2 * r + 1];
  }
  out[0] += G0 + G1;
  out[1] += H0 + H1;
}

/** 2^k at pow2[k + 1024], for k in -1024 .. 1023 (exp's scaling). */
const DITHER = makeDither();

const POW2 = (() => {
  const t = new Float64Array(2048);
  for (let k = 0; k < 2048; k++) t[k] = 2 ** (k - 1024);
  return t;
})();

/**
 * The logistic 1 / (1 + e^-m). e^x is 2^k * e^r with k = round(x / ln 2) and |r| <= ln 2 / 2: 2^k
 * from a table, e^r from its Taylor polynomial of degree 8 (relative error under 3e-10, far below
 * the Float32 the gradients are kept in), in two independent halves (Estrin). Math.exp is a call
 * into V8's runtime that the loop cannot overlap with anything: 11.8 against 7.2 ns per row of the
 * gradient loop in a one-off measurement while writing this. Small enough for V8 to inline.
 */
function logistic(m: number, pow2: Float64Array): number {
  // 1.5 * 2^52: adding and subtracting it rounds a double of magnitude below 2^51 to an integer.
  const round = 6755399441055744;
  // e^-m, with -m clamped where it over- or underflows into the sigmoid's 0 or 1 anyway.
  const x = m > 700 ? -700 : m < -700 ? 700 : -m;
  const kd = x * 1.4426950408889634 + round - round;
  const t = x - kd * 0.6931471803691238 - kd * 1.9082149292705877e-10;
  const t2 = t * t;
  const t4 = t2 * t2;
  const lo = 1 + t + t2 * (0.5 + t * 0.16666666666666666);
  const hi = 0.041666666666666664 + t * 0.008333333333333333 + t2 * (0.001388888888888889 + t * 1.984126984126984e-4) + t4 * 2.48015873015873e-5;
  return 1 / (1 + (lo + t4 * hi) * pow2[(kd | 0) + 1024]);
}

/** Logistic-loss gradients and hessians of the rows at positions [s, e) of idx, into gh by row. */
function gradBinary(idx: Int32Array, margins: Float64Array, y: Float32Array, gh: Float32Array, pow2: Float64Array, s: number, e: number): void {
  // A local number: a module constant read in the loop is a boxed value there, and merging it with
  // h boxed every row's hessian (a fifth of a small fit went to collecting them).
  const minHessian = +MIN_HESSIAN;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const q = logistic(margins[r], pow2);
    gh[2 * r] = q - y[r];
    const h = q * (1 - q);
    gh[2 * r + 1] = h > minHessian ? h : minHessian;
  }
}

/**
 * gradBinary for every row of [s, e), at its own position (written into idx), after adding the
 * last tree's leaf values to the margins when `apply` says so (see BuildPlan.leafOf): one pass
 * where applyLeaves, positionsInOrder and gradBinary took three (9.1 against 13.6 ns per row in a
 * one-off measurement while writing this; `apply` is the same for every row, so its branch is
 * always predicted).
 */
function gradBinaryRows(idx: Int32Array, margins: Float64Array, y: Float32Array, gh: Float32Array, pow2: Float64Array, s: number, e: number, apply: boolean, leafOf: Uint16Array, leafValue: Float64Array): void {
  const minHessian = +MIN_HESSIAN; // see gradBinary
  for (let r = s; r < e; r++) {
    idx[r] = r;
    let m = margins[r];
    if (apply) {
      m += leafValue[leafOf[r]];
      margins[r] = m;
    }
    const q = logistic(m, pow2);
    gh[2 * r] = q - y[r];
    const h = q * (1 - q);
    gh[2 * r + 1] = h > minHessian ? h : minHessian;
  }
}

/** Softmax gradients for output k of K, from probs. */
function gradMulticlass(idx: Int32Array, probs: Float32Array, y: Float32Array, gh: Float32Array, s: number, e: number, K: number, k: number): void {
  const minHessian = +MIN_HESSIAN; // see gradBinary
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const q = probs[r * K + k];
    gh[2 * r] = q - (y[r] === k ? 1 : 0);
    const h = q * (1 - q);
    gh[2 * r + 1] = h > minHessian ? h : minHessian;
  }
}

/** Regression gradients for output k of K (loss: LOSS code, Huber delta). */
function gradRegression(idx: Int32Array, margins: Float64Array, y: Float64Array, gh: Float32Array, s: number, e: number, K: number, k: number, loss: number, delta: number): void {
  // loss: 0 squared, 1 absolute, 2 Huber (LOSS).
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const d = margins[r * K + k] - y[r];
    gh[2 * r] = loss === 0 ? d : loss === 1 ? Math.sign(d) : Math.abs(d) <= delta ? d : delta * Math.sign(d);
    gh[2 * r + 1] = 1;
  }
}

/** Rows s .. e - 1 at positions s .. e - 1. */
function positionsInOrder(idx: Int32Array, s: number, e: number): void {
  for (let i = s; i < e; i++) idx[i] = i;
}

/** Add to each row of [s, e) (single output) the value of the leaf it reached. */
function applyLeaves(margins: Float64Array, leafOf: Uint16Array, leafValue: Float64Array, s: number, e: number): void {
  for (let r = s; r < e; r++) margins[r] += leafValue[leafOf[r]];
}

/** The rows at positions [s, e) reached leaf `leaf`. */
function markRows(idx: Int32Array, leafOf: Uint16Array, s: number, e: number, leaf: number): void {
  for (let i = s; i < e; i++) leafOf[idx[i]] = leaf;
}

/** The rows at positions [s, e) reached `left` or left + 1, as a number split sends them (see addBySplit). */
function markBySplit(bins: Uint8Array, idx: Int32Array, leafOf: Uint16Array, col: number, thr: number, missing: number, s: number, e: number, left: number): void {
  const right = left + 1;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const bin = bins[col + r];
    leafOf[r] = right - ((((thr - bin) >>> 31) ^ 1) | (((bin ^ missing) - 1) >>> 31));
  }
}

/** markBySplit for a category split (bits in catBits from `base`). */
function markByCategorySplit(bins: Uint8Array, idx: Int32Array, leafOf: Uint16Array, catBits: Uint32Array, col: number, base: number, s: number, e: number, left: number): void {
  const right = left + 1;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const bin = bins[col + r];
    leafOf[r] = right - ((catBits[base + (bin >>> 5)] >>> (bin & 31)) & 1);
  }
}

/** Add v to output k of K of the rows at positions [s, e). */
function addToRows(idx: Int32Array, margins: Float64Array, s: number, e: number, K: number, k: number, v: number): void {
  for (let i = s; i < e; i++) margins[idx[i] * K + k] += v;
}

/**
 * Add to output k of K of the rows at positions [s, e) the leaf value of the side of a number
 * split they go to: leafValue[left], or [left + 1] (their partition was skipped).
 */
function addBySplit(bins: Uint8Array, idx: Int32Array, margins: Float64Array, leafValue: Float64Array, col: number, thr: number, missing: number, s: number, e: number, K: number, k: number, left: number): void {
  const right = left + 1;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const bin = bins[col + r];
    const l = (((thr - bin) >>> 31) ^ 1) | (((bin ^ missing) - 1) >>> 31);
    margins[r * K + k] += leafValue[right - l];
  }
}

/** addBySplit for a category split (bits in catBits from `base`). */
function addByCategorySplit(bins: Uint8Array, idx: Int32Array, margins: Float64Array, leafValue: Float64Array, catBits: Uint32Array, col: number, base: number, s: number, e: number, K: number, k: number, left: number): void {
  const right = left + 1;
  for (let i = s; i < e; i++) {
    const r = idx[i];
    const bin = bins[col + r];
    margins[r * K + k] += leafValue[right - ((catBits[base + (bin >>> 5)] >>> (bin & 31)) & 1)];
  }
}

/** Softmax probabilities of the margins of rows [s, e), K per row. */
function softmax(margins: Float64Array, probs: Float32Array, s: number, e: number, K: number): void {
  for (let i = s; i < e; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (margins[o + k] > max) max = margins[o + k];
    let z = 0;
    for (let k = 0; k < K; k++) {
      // Summed as stored (Float32), so that the probabilities are those values over their sum.
      probs[o + k] = Math.exp(margins[o + k] - max);
      z += probs[o + k];
    }
    for (let k = 0; k < K; k++) probs[o + k] /= z;
  }
}

/**
 * Build: the threads take units (job, group of args.group features of plan.feats) from the shared
 * counter args.next until none is left, so that a thread with less of the processor does fewer.
 * A unit fills its features of the job's histogram from the node's rows block by block (one thread,
 * row order: the same sums whoever does it), then, if the job says so, turns the sibling's histogram
 * (the parent's) into the parent's minus this one for those features.
 */
function buildShare(plan: BuildPlan, slots: readonly Float64Array[], scratch: Scratch): void {
  const { bins, nodeBuf, rows, blocks, histOffsets, jobs, feats, nodeStart, nodeEnd, args } = plan;
  const nJobs = args[ARG.count];
  const nFeats = args[ARG.feats];
  const group = args[ARG.group];
  const groups = Math.ceil(nFeats / group);
  const units = nJobs * groups;
  const { cols, offs } = scratch;
  for (;;) {
    const u = Atomics.add(args, ARG.next, 1);
    if (u >= units) return;
    const j = Math.floor(u / groups);
    const first = (u - j * groups) * group;
    const last = Math.min(nFeats, first + group);
    const width = last - first;
    const at = j * JOB_FIELDS;
    const node = jobs[at];
    const hist = slots[jobs[at + 1]];
    const from = jobs[at + 3];
    const to = jobs[at + 4];
    const idx = nodeBuf[node] === 0 ? plan.idx : plan.sIdx;
    const gh = plan.gh;
    const bits = args[ARG.quant];
    for (let q = 0; q < width; q++) {
      const f = feats[first + q];
      cols[q] = f * rows;
      offs[q] = histOffsets[f] * HIST_STRIDE;
      // Packed sums take the first half of the feature's range (see unpackHist).
      hist.fill(0, offs[q], bits > 0 ? offs[q] + histOffsets[f + 1] - histOffsets[f] : histOffsets[f + 1] * HIST_STRIDE);
    }
    // This job takes ordinals [from, to) of the node's rows block by block.
    let ordinal = 0;
    for (let b = 0; b < blocks && ordinal < to; b++) {
      const s0 = nodeStart[node * blocks + b];
      const e0 = nodeEnd[node * blocks + b];
      const start = s0 + Math.max(0, from - ordinal);
      const end = s0 + Math.min(e0 - s0, to - ordinal);
      ordinal += e0 - s0;
      if (start >= end) continue;
      if (bits > 0) {
        const pq = plan.q;
        if (width === 14) histP14(bins, idx, pq, cols, offs, start, end, hist);
        else if (width === 7) histP7(bins, idx, pq, cols, offs, start, end, hist);
        else if (width === 6) histP6(bins, idx, pq, cols, offs, start, end, hist);
        else {
          let q = 0;
          for (; q + 4 <= width; q += 4) histP4(bins, idx, pq, cols, offs, q, start, end, hist);
          for (; q + 2 <= width; q += 2) histP2(bins, idx, pq, cols, offs, q, start, end, hist);
          if (q < width) histP1(bins, idx, pq, cols, offs, q, start, end, hist);
        }
      } else if (width === 7) hist7(bins, idx, gh, cols, offs, start, end, hist);
      else if (width === 6) hist6(bins, idx, gh, cols, offs, start, end, hist);
      else {
        let q = 0;
        for (; q + 4 <= width; q += 4) hist4(bins, idx, gh, cols, offs, q, start, end, hist);
        for (; q + 2 <= width; q += 2) hist2(bins, idx, gh, cols, offs, q, start, end, hist);
        if (q < width) hist1(bins, idx, gh, cols, offs, q, start, end, hist);
      }
    }
    if (bits > 0) {
      const shift = args[ARG.qshift];
      for (let q = 0; q < width; q++) {
        const f = feats[first + q];
        unpackHist(hist, offs[q], hist, offs[q], histOffsets[f + 1] - histOffsets[f], bits, shift);
      }
    }
    const into = jobs[at + 2];
    if (into >= 0) {
      const sibling = slots[into];
      for (let k = first; k < last; k++) {
        const e = histOffsets[feats[k] + 1] * HIST_STRIDE;
        for (let i = histOffsets[feats[k]] * HIST_STRIDE; i < e; i++) sibling[i] -= hist[i];
      }
    }
  }
}

/**
 * Loss reduction of sending (GL, HL, CL) of a node's (G, H, C) gradient, hessian and rows left, or
 * -Infinity when a side has fewer than `msl` rows or less than `mcw` hessian.
 */
function splitGain(GL: number, HL: number, CL: number, G: number, H: number, C: number, l2: number, msl: number, mcw: number, parent: number): number {
  const HR = H - HL;
  if (!(CL >= msl && C - CL >= msl && HL >= mcw && HR >= mcw)) return -Infinity;
  const GR = G - GL;
  return 0.5 * ((GL * GL) / (HL + l2) + (GR * GR) / (HR + l2) - parent);
}

/**
 * The best split of `node` from its histogram (slot plan.nodeSlot[node]) over the features
 * feats[from, from + nFeats), into plan.best* (bestFeat -1 when none gains more than
 * minSplitGain). Deterministic: the same on any thread.
 */
export function searchSplit(plan: BuildPlan, slots: readonly Float64Array[], node: number, feats: Int32Array, from: number, nFeats: number, scratch: Scratch): void {
  const { histOffsets, nBins, isCategory, fargs, catBits } = plan;
  const hist = slots[plan.nodeSlot[node]];
  const G = plan.nodeG[node];
  const H = plan.nodeH[node];
  const C = plan.nodeC[node];
  const l2 = fargs[FARG.l2];
  // Histograms keep no row counts: a side's rows are estimated from its hessian as
  // hessian * rows / hessian of the node (LightGBM's way; exact for squared loss, where every
  // hessian is 1), rounded, so minSamplesLeaf is held approximately for other losses. The child's
  // real count is known after the partition.
  const perHessian = H > 0 ? C / H : 0;
  const msl = fargs[FARG.minSamplesLeaf] - 0.5;
  // A bin's hessian sum below this is a rounding residue of histogram subtraction, not rows.
  const present = H * 1e-12;
  const mcw = fargs[FARG.minChildWeight];
  const parent = (G * G) / (H + l2);
  let bestGain = fargs[FARG.minSplitGain];
  let bestFeat = -1;
  let bestBin = 0;
  let bestLeft = 0;
  let bestGL = 0;
  let bestHL = 0;
  let bestCL = 0;
  const catBase = node * CAT_WORDS;
  // Locals, not module constants, in the loops below (see gradBinary).
  const stride = HIST_STRIDE | 0;
  for (let q = from; q < from + nFeats; q++) {
    const f = feats[q];
    const nb = nBins[f];
    const off = histOffsets[f] * stride;
    const mo = off + nb * stride;
    const Gm = hist[mo];
    const Hm = hist[mo + 1];
    const Cm = Hm > present ? Hm * perHessian : 0;
    if (isCategory[f] === 0) {
      let GL = 0;
      let HL = 0;
      let CL = 0;
      for (let b = 0; b < nb; b++) {
        const o = off + b * stride;
        GL += hist[o];
        HL += hist[o + 1];
        CL = HL * perHessian;
        if (b < nb - 1 || Cm > 0) {
          // Missing values to the right.
          const gain = splitGain(GL, HL, CL, G, H, C, l2, msl, mcw, parent);
          if (gain > bestGain) {
            bestGain = gain;
            bestFeat = f;
            bestBin = b;
            bestLeft = Cm > 0 ? 0 : HL >= H - HL ? 1 : 0;
            bestGL = GL;
            bestHL = HL;
            bestCL = CL;
          }
        }
        if (Cm > 0 && b < nb - 1) {
          // Missing values to the left.
          const gain = splitGain(GL + Gm, HL + Hm, CL + Cm, G, H, C, l2, msl, mcw, parent);
          if (gain > bestGain) {
            bestGain = gain;
            bestFeat = f;
            bestBin = b;
            bestLeft = 1;
            bestGL = GL + Gm;
            bestHL = HL + Hm;
            bestCL = CL + Cm;
          }
        }
      }
    } else {
      // Categories (with missing as one more) sorted by gradient / hessian; the best prefix goes left.
      const order = scratch.catOrder;
      const key = scratch.catKey;
      let cnt = 0;
      for (let b = 0; b <= nb; b++) {
        const o = off + b * stride;
        if (hist[o + 1] > present) {
          const kv = hist[o] / (hist[o + 1] + l2 + 1);
          let k = cnt++;
          while (k > 0 && (key[k - 1] > kv || (key[k - 1] === kv && order[k - 1] > b))) {
            key[k] = key[k - 1];
            order[k] = order[k - 1];
            k--;
          }
          key[k] = kv;
          order[k] = b;
        }
      }
      let GL = 0;
      let HL = 0;
      let CL = 0;
      for (let k = 0; k + 1 < cnt; k++) {
        const o = off + order[k] * stride;
        GL += hist[o];
        HL += hist[o + 1];
        CL = HL * perHessian;
        const gain = splitGain(GL, HL, CL, G, H, C, l2, msl, mcw, parent);
        if (gain > bestGain) {
          bestGain = gain;
          bestFeat = f;
          catBits.fill(0, catBase, catBase + CAT_WORDS);
          for (let j = 0; j <= k; j++) catBits[catBase + (order[j] >>> 5)] |= 1 << (order[j] & 31);
          // No missing rows here: send missing values (and unseen levels) to the larger side.
          if (Cm === 0 && HL >= H - HL) catBits[catBase + (nb >>> 5)] |= 1 << (nb & 31);
          bestBin = k + 1;
          bestLeft = (catBits[catBase + (nb >>> 5)] >>> (nb & 31)) & 1;
          bestGL = GL;
          bestHL = HL;
          bestCL = CL;
        }
      }
    }
  }
  plan.bestFeat[node] = bestFeat;
  plan.bestGain[node] = bestGain;
  plan.bestBin[node] = bestBin;
  plan.bestDefaultLeft[node] = bestLeft;
  plan.bestGL[node] = bestGL;
  plan.bestHL[node] = bestHL;
  plan.bestCL[node] = bestCL;
}

/** Split search: the threads take nodes of plan.todo from the shared counter, each over plan.feats[0, args.feats). */
function splitShare(plan: BuildPlan, slots: readonly Float64Array[], scratch: Scratch): void {
  const { args, todo, feats } = plan;
  const count = args[ARG.count];
  const nFeats = args[ARG.feats];
  for (;;) {
    const q = Atomics.add(args, ARG.next, 1);
    if (q >= count) return;
    searchSplit(plan, slots, todo[q], feats, 0, nFeats, scratch);
  }
}

/**
 * Partition: split the rows of block `b` of every listed node by the node's split (left rows in
 * the node's buffer, right ones in the other: see BuildPlan), and record
 * both children's ranges in that block.
 */
function partitionBlock(plan: BuildPlan, b: number): void {
  const { bins, rows, blocks, nodeStart, nodeEnd, splits, nodeBuf, catBits } = plan;
  const count = plan.args[ARG.count];
  for (let q = 0; q < count; q++) {
    const at = q * SPLIT_FIELDS;
    const node = splits[at];
    const left = splits[at + 1];
    const col = splits[at + 2] * rows;
    const s = nodeStart[node * blocks + b];
    const e = nodeEnd[node * blocks + b];
    // A bin that never goes left (out of range) when missing values go right.
    const missing = splits[at + 5] === 1 ? splits[at + 4] : 256;
    const buf = nodeBuf[node];
    const idx = buf === 0 ? plan.idx : plan.sIdx;
    const oIdx = buf === 0 ? plan.sIdx : plan.idx;
    const w =
      splits[at + 6] === 0
        ? partitionNumbers(bins, idx, oIdx, col, splits[at + 3], missing, s, e)
        : partitionCategories(bins, idx, oIdx, catBits, col, node * CAT_WORDS, s, e);
    nodeStart[left * blocks + b] = s;
    nodeEnd[left * blocks + b] = w;
    nodeStart[(left + 1) * blocks + b] = w;
    nodeEnd[(left + 1) * blocks + b] = e;
  }
}

/**
 * Gradients: gh of the rows at the positions of block `b` (buffer 0) from the margins of output args.output;
 * with args.allRows, every row of the block first, in order (positions = rows), after adding the
 * last tree's leaves to the margins when args.apply says so (see BuildPlan.leafOf).
 */
function gradientsBlock(plan: BuildPlan, b: number): void {
  const { args, idx, gh, y, margins } = plan;
  const task = args[ARG.task];
  const s = plan.blockStart[b];
  const allRows = args[ARG.allRows] === 1;
  const apply = allRows && args[ARG.apply] === 1;
  // The last tree's leaf of each row of this block first (a block's rows stay in its positions,
  // so no other block's work is needed: see gbdt.ts), before the positions are reset below.
  if (apply) leavesBlock(plan, b);
  if (allRows) plan.sampled[b] = plan.blockStart[b + 1] - s;
  const e = s + plan.sampled[b];
  const bits = args[ARG.quant];
  if (task === TASK.binary) {
    if (allRows && bits > 0) {
      gradBinaryRowsQ(idx, margins, y as Float32Array, plan.q, POW2, s, e, apply, plan.leafOf, plan.leafValue, bits, args[ARG.qshift], args[ARG.salt]);
      return;
    }
    if (allRows) gradBinaryRows(idx, margins, y as Float32Array, gh, POW2, s, e, apply, plan.leafOf, plan.leafValue);
    else gradBinary(idx, margins, y as Float32Array, gh, POW2, s, e);
    if (bits > 0) quantizeRows(idx, gh, plan.q, s, e, bits, args[ARG.qshift], args[ARG.salt]);
    return;
  }
  if (allRows) {
    if (apply) applyLeaves(margins, plan.leafOf, plan.leafValue, s, e);
    positionsInOrder(idx, s, e);
  }
  if (task === TASK.multiclass) {
    gradMulticlass(idx, plan.probs, y as Float32Array, gh, s, e, args[ARG.outputs], args[ARG.output]);
    if (args[ARG.quant] > 0) quantizeRows(idx, gh, plan.q, s, e, args[ARG.quant], args[ARG.qshift], args[ARG.salt]);
  } else gradRegression(idx, margins, y as Float64Array, gh, s, e, args[ARG.outputs], args[ARG.output], args[ARG.loss], plan.fargs[FARG.huberDelta]);
}

/**
 * Update: add each listed leaf's value to output args.output of its rows in block `b`; then, for
 * the first args.pending entries of plan.splits (splits whose partition was skipped), add to each
 * of the split node's rows the value of the child it goes to.
 */
function updateBlock(plan: BuildPlan, b: number): void {
  const { bins, leaves, leafValue, nodeStart, nodeEnd, blocks, args, splits, rows, nodeBuf, margins, catBits } = plan;
  const K = args[ARG.outputs];
  const k = args[ARG.output];
  const count = args[ARG.count];
  for (let q = 0; q < count; q++) {
    const leaf = leaves[q];
    addToRows(nodeBuf[leaf] === 0 ? plan.idx : plan.sIdx, margins, nodeStart[leaf * blocks + b], nodeEnd[leaf * blocks + b], K, k, leafValue[leaf]);
  }
  const pending = args[ARG.pending];
  for (let q = 0; q < pending; q++) {
    const at = q * SPLIT_FIELDS;
    const node = splits[at];
    const s = nodeStart[node * blocks + b];
    const e = nodeEnd[node * blocks + b];
    const col = splits[at + 2] * rows;
    const idx = nodeBuf[node] === 0 ? plan.idx : plan.sIdx;
    if (splits[at + 6] === 0) {
      const missing = splits[at + 5] === 1 ? splits[at + 4] : 256;
      addBySplit(bins, idx, margins, leafValue, col, splits[at + 3], missing, s, e, K, k, splits[at + 1]);
    } else {
      addByCategorySplit(bins, idx, margins, leafValue, catBits, col, node * CAT_WORDS, s, e, K, k, splits[at + 1]);
    }
  }
}

/**
 * Leaves: record in leafOf the leaf each row of block `b` reached, like updateBlock (the listed
 * leaves' rows, then the unpartitioned last splits' rows), for the next gradient command to add.
 */
function leavesBlock(plan: BuildPlan, b: number): void {
  const { bins, leaves, nodeStart, nodeEnd, blocks, args, splits, rows, nodeBuf, catBits, leafOf } = plan;
  const count = args[ARG.count];
  for (let q = 0; q < count; q++) {
    const leaf = leaves[q];
    markRows(nodeBuf[leaf] === 0 ? plan.idx : plan.sIdx, leafOf, nodeStart[leaf * blocks + b], nodeEnd[leaf * blocks + b], leaf);
  }
  const pending = args[ARG.pending];
  for (let q = 0; q < pending; q++) {
    const at = q * SPLIT_FIELDS;
    const node = splits[at];
    const s = nodeStart[node * blocks + b];
    const e = nodeEnd[node * blocks + b];
    const col = splits[at + 2] * rows;
    const idx = nodeBuf[node] === 0 ? plan.idx : plan.sIdx;
    if (splits[at + 6] === 0) {
      const missing = splits[at + 5] === 1 ? splits[at + 4] : 256;
      markBySplit(bins, idx, leafOf, col, splits[at + 3], missing, s, e, splits[at + 1]);
    } else {
      markByCategorySplit(bins, idx, leafOf, catBits, col, node * CAT_WORDS, s, e, splits[at + 1]);
    }
  }
}

/** Probabilities: softmax of the margins of the rows of block `b`. */
function probsBlock(plan: BuildPlan, b: number): void {
  softmax(plan.margins, plan.probs, plan.blockStart[b], plan.blockStart[b + 1], plan.args[ARG.outputs]);
}

/** Do this thread's share of command `cmd` (units or blocks taken from the shared counter args.next). */
export function runShare(plan: BuildPlan, cmd: number, slots: readonly Float64Array[], scratch: Scratch): void {
  if (cmd === CMD.build) {
    buildShare(plan, slots, scratch);
    return;
  }
  if (cmd === CMD.split) {
    splitShare(plan, slots, scratch);
    return;
  }
  if (cmd === CMD.sweep) {
    sweepShare(plan, slots, scratch);
    return;
  }
  // Row-wise commands: blocks from the shared counter, so that a thread with less of the processor does fewer.
  for (;;) {
    const b = Atomics.add(plan.args, ARG.next, 1);
    if (b >= plan.blocks) return;
    if (cmd === CMD.partition) partitionBlock(plan, b);
    else if (cmd === CMD.gradients) gradientsBlock(plan, b);
    else if (cmd === CMD.update) updateBlock(plan, b);
    else if (cmd === CMD.probs) probsBlock(plan, b);
    else if (cmd === CMD.mark) markBlock(plan, b);
  }
}

/** Rounds of warmUp (enough for V8 to optimise each kernel, a few ms in all). */
const WARM_ROUNDS = 12;

/**
 * Run every kernel of a fit a few times on a small made-up plan, so that V8 has optimised them
 * before this thread's first real command (a worker does this once, just after it starts, while
 * the fit's own thread bins the features). Stops early, between rounds, when `stop()` says so.
 */
export function warmUp(stop: () => boolean): void {
  const rows = 2048;
  const features = 14;
  const histOffsets = new Int32Array(features + 1);
  for (let f = 0; f <= features; f++) histOffsets[f] = 257 * f;
  const plan = allocatePlan({ rows, features, outputs: 1, histOffsets, leafCap: 4, blocks: 2, integerLabels: true, sweep: true }, false);
  const scratch = makeScratch();
  const size = histOffsets[features] * HIST_STRIDE;
  const slots = [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  let seed = 12345;
  for (let i = 0; i < rows * features; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    plan.bins[i] = (seed >>> 16) & 255;
  }
  for (let i = 0; i < rows; i++) plan.y[i] = (plan.bins[i] + plan.bins[rows + i]) & 1;
  for (let f = 0; f < features; f++) {
    plan.feats[f] = f;
    plan.nBins[f] = 255;
  }
  // The last feature: a category of 16 levels.
  plan.isCategory[features - 1] = 1;
  plan.nBins[features - 1] = 16;
  for (let i = (features - 1) * rows; i < features * rows; i++) plan.bins[i] &= 15;
  plan.fargs[FARG.minSamplesLeaf] = 1;
  plan.fargs[FARG.minChildWeight] = 1;
  const args = plan.args;
  const run = (cmd: number): void => {
    Atomics.store(args, ARG.next, 0);
    runShare(plan, cmd, slots, scratch);
  };
  for (let round = 0; round < WARM_ROUNDS && !stop(); round++) {
    args[ARG.task] = TASK.binary;
    // Every row (with and without the last tree's leaves to add), then the rows at positions.
    args[ARG.allRows] = 1;
    args[ARG.apply] = round & 1;
    // Exact pairs in half the rounds, quantized gradients in the other half (both kernels warm).
    args[ARG.quant] = round & 2 ? gradientBits(rows) : 0;
    args[ARG.qshift] = gradientShift(rows, args[ARG.quant]);
    args[ARG.salt] = round;
    run(CMD.gradients);
    args[ARG.allRows] = 0;
    run(CMD.gradients);
    plan.nodeBuf[0] = 0;
    for (let b = 0; b < 2; b++) {
      plan.nodeStart[b] = plan.blockStart[b];
      plan.nodeEnd[b] = plan.blockStart[b + 1];
    }
    // The root over all fourteen features, then over seven, six, five and three (every width of kernel).
    for (const nFeats of [14, 7, 6, 5, 3]) {
      plan.jobs.set([0, 0, -1, 0, rows]);
      args[ARG.count] = 1;
      args[ARG.feats] = nFeats;
      args[ARG.group] = nFeats;
      run(CMD.build);
    }
    plan.nodeSlot[0] = 0;
    plan.nodeG[0] = 0;
    plan.nodeG[1] = 0;
    if (args[ARG.quant] > 0) sumPacked(plan.q, plan.idx, 0, rows, args[ARG.quant], args[ARG.qshift], plan.nodeG);
    else sumPairs(plan.gh, plan.idx, 0, rows, plan.nodeG);
    plan.nodeH[0] = plan.nodeG[1];
    plan.nodeC[0] = rows;
    plan.todo[0] = 0;
    args[ARG.count] = 1;
    args[ARG.feats] = features;
    run(CMD.split);
    // Node 0 split on a number feature, its right child on the category one.
    plan.nodeBuf.set([0, 0, 1, 1, 0]);
    plan.splits.set([0, 1, round % 6, 100 + round, 255, round & 1, 0]);
    args[ARG.count] = 1;
    run(CMD.partition);
    plan.catBits[2 * CAT_WORDS] = 0x0f0f0f0f;
    plan.splits.set([2, 3, features - 1, 0, 16, 0, 1]);
    run(CMD.partition);
    plan.jobs.set([1, 1, 0, 0, rows >> 1]);
    args[ARG.count] = 1;
    args[ARG.feats] = features;
    args[ARG.group] = features;
    run(CMD.build);
    if (args[ARG.quant] > 0) {
      // Nodes 3 and 4 swept (the second's sibling derived), fourteen features a pass, then seven, then four and two.
      plan.sweepNodes.set([3, 2, -1, 4, 1, 2]);
      args[ARG.count] = 2;
      run(CMD.mark);
      args[ARG.feats] = features;
      for (const group of [14, 7, 4]) {
        args[ARG.group] = group;
        run(CMD.sweep);
      }
    }
    plan.leaves.set([1, 3, 4]);
    plan.leafValue.set([0, 0.1, 0, -0.1, 0.05]);
    args[ARG.count] = 3;
    args[ARG.outputs] = 1;
    args[ARG.output] = 0;
    args[ARG.pending] = 1;
    plan.splits.set([1, 3, 0, 128, 255, 1, 0]);
    run(CMD.update);
  }
}

/** What a team worker is started with: the crew's control words, its own index among them, its port. */
export interface HistWorkerData {
  readonly ctrl: SharedArrayBuffer;
  readonly index: number;
  readonly port: WorkerThreads.MessagePort;
}

/** What a team worker receives on its port: the plan of a new fit, or a new histogram slot of the current one. */
export type HistMessage = { readonly plan: PlanBuffers } | { readonly slot: number; readonly buffer: SharedArrayBuffer };

/**
 * A worker's life (it runs inside the worker, from `workerSource`): block on the shared control
 * word, take its turn at the command if the fit's thread has not shut it out yet (see
 * HistTeam.run), do its share straight in shared memory, mark its turn over. It outlives fits:
 * each fit's plan (CMD.attach) and new histogram slots arrive on a MessagePort drained
 * synchronously before each command it sees (it may miss commands, never a message).
 */
function workerMain(wt: typeof WorkerThreads): void {
  const data = wt.workerData as HistWorkerData;
  const ctrl = new Int32Array(data.ctrl);
  const scratch = makeScratch();
  let plan: BuildPlan | null = null;
  let slots: Float64Array[] = [];
  Atomics.add(ctrl, CTRL.ready, 1);
  wt.parentPort?.postMessage('ready');
  let seq = 0;
  // Warm the kernels up until the first command comes (a failure here costs speed, never the worker).
  try {
    warmUp(() => Atomics.load(ctrl, CTRL.seq) !== seq);
  } catch {
    // Cold kernels then.
  }
  let spin = SPIN_MS;
  for (;;) {
    if (Atomics.load(ctrl, CTRL.seq) === seq) {
      const from = performance.now();
      if (spin >= SPIN_MIN_MS) {
        const until = from + spin;
        while (Atomics.load(ctrl, CTRL.seq) === seq && performance.now() < until);
      }
      if (Atomics.load(ctrl, CTRL.seq) === seq) Atomics.wait(ctrl, CTRL.seq, seq);
      spin = nextSpin(spin, performance.now() - from);
    }
    seq = Atomics.load(ctrl, CTRL.seq);
    const cmd = Atomics.load(ctrl, CTRL.cmd);
    if (cmd === CMD.exit) break;
    // Take the turn, unless the fit's thread has already closed this command (it wrote this
    // command's turn word, idle) or moved past it: then its arguments may be the next command's.
    const turn = CTRL.turn + data.index;
    const idle = Atomics.load(ctrl, turn);
    if (((idle - turnWord(seq, false)) | 0) >= 0 || Atomics.compareExchange(ctrl, turn, idle, turnWord(seq, true)) !== idle) continue;
    if (cmd === CMD.detach) {
      // The fit is over: let its shared memory go now rather than at the next fit. Before the
      // messages, which may already hold the next fit's plan.
      plan = null;
      slots = [];
    }
    for (let m = wt.receiveMessageOnPort(data.port); m !== undefined; m = wt.receiveMessageOnPort(data.port)) {
      const msg = m.message as HistMessage;
      if ('plan' in msg) {
        plan = planFromBuffers(msg.plan);
        slots = [];
      } else {
        slots[msg.slot] = new Float64Array(msg.buffer);
      }
    }
    if (cmd !== CMD.attach && cmd !== CMD.detach && plan !== null) runShare(plan, cmd, slots, scratch);
    Atomics.store(ctrl, turn, turnWord(seq, false));
    Atomics.notify(ctrl, turn);
  }
  data.port.close();
}

/**
 * The source of a team worker: this module's functions and constants as plain JavaScript (from
 * Function.prototype.toString), so that a worker needs no module loader, whether the code runs
 * compiled or from TypeScript sources, and starts in milliseconds with little memory.
 */
export function workerSource(): string {
  const constants = { MAX_SWEEP, SWEEP_HIST_BYTES, DITHER_SIZE, HIST_STRIDE, MIN_HESSIAN, CAT_WORDS, SPLIT_FIELDS, JOB_FIELDS, MAX_SEGMENTS, WARM_ROUNDS, CTRL, SPIN_MS, SPIN_MIN_MS, CMD, ARG, FARG, TASK, LOSS };
  const functions = [
    nextSpin,
    turnWord,
    allocatePlan,
    planFromBuffers,
    makeScratch,
    hist7,
    hist6,
    hist4,
    hist2,
    hist1,
    quantizeRows,
    makeDither,
    rowDraw,
    gradBinaryRowsQ,
    unpackHist,
    histP14,
    histP7,
    histP6,
    histP4,
    histP2,
    histP1,
    sweepCapacity,
    featureGroup,
    markBlock,
    markSwept,
    compactSwept,
    sweepP14,
    sweepP7,
    sweepP4,
    sweepP1,
    sweepShare,
    partitionNumbers,
    partitionCategories,
    sumPairs,
    gradientBits,
    gradientShift,
    sumPacked,
    logistic,
    gradBinary,
    gradBinaryRows,
    gradMulticlass,
    gradRegression,
    positionsInOrder,
    applyLeaves,
    markRows,
    markBySplit,
    markByCategorySplit,
    addToRows,
    addBySplit,
    addByCategorySplit,
    softmax,
    buildShare,
    splitGain,
    searchSplit,
    splitShare,
    partitionBlock,
    gradientsBlock,
    updateBlock,
    leavesBlock,
    probsBlock,
    runShare,
    warmUp,
    workerMain,
  ];
  return [
    "'use strict';",
    // What a transpiler that keeps function names (esbuild, as tsx runs it) calls inside the source.
    'const __name = (f) => f;',
    ...Object.entries(constants).map(([name, value]) => `const ${name} = ${JSON.stringify(value)};`),
    `const POW2 = new Float64Array(2048).map((_, k) => 2 ** (k - 1024));`,
    `const DITHER = makeDither();`,
    ...functions.map((f) => f.toString()),
    "workerMain(require('node:worker_threads'));",
  ].join('\n');
}
