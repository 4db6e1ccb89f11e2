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

/** Indices into a team's shared control words. */
export const CTRL = { seq: 0, cmd: 1, done: 2 } as const;
/** Commands a team runs; every thread does its share of each. */
export const CMD = { build: 1, partition: 2, gradients: 3, update: 4, probs: 5, exit: 9 } as const;
/** Indices into plan.args. */
export const ARG = { count: 0, feats: 1, outputs: 2, output: 3, task: 4, loss: 5, next: 7, group: 8, pending: 9 } as const;
/** plan.args[ARG.task]. */
export const TASK = { binary: 0, multiclass: 1, regression: 2 } as const;
/** plan.args[ARG.loss]. */
export const LOSS = { squared: 0, absolute: 1, huber: 2 } as const;

/**
 * Everything the threads of a fit share (SharedArrayBuffers when there are workers). Rows are cut
 * into `blocks` contiguous blocks (a few per thread); a node's rows are, in each block b, the positions
 * [nodeStart[node * blocks + b], nodeEnd[...]) of idx, inside that block's region (positions
 * blockStart[b] .. blockStart[b + 1]). Partitions are stable, so a node's rows taken block by block
 * are in ascending row order: every sum over them is the same whatever the number of blocks.
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
  /** Row index at each position. */
  readonly idx: Int32Array;
  /** Gradient and hessian of the row at each position (moved along with idx). */
  readonly og: Float32Array;
  readonly oh: Float32Array;
  /** Scratch for partitions, indexed by position like idx. */
  readonly sIdx: Int32Array;
  readonly sG: Float32Array;
  readonly sH: Float32Array;
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
  /** Labels, raw margins (row-major, `outputs` per row) and, for multiclass, probabilities. */
  /** Labels (Float32 when every label is a small integer: classes). */
  readonly y: Float64Array | Float32Array;
  readonly margins: Float64Array;
  /**
   * Float32, like the gradients they become (half the memory: 9.6 MB less for 800,000 rows and
   * three classes).
   */
  readonly probs: Float32Array;
  /** Small arguments of the current command (see ARG), and the Huber delta. */
  readonly args: Int32Array;
  readonly fargs: Float64Array;
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
    og: new Float32Array(b.og),
    oh: new Float32Array(b.oh),
    sIdx: new Int32Array(b.sIdx),
    sG: new Float32Array(b.sG),
    sH: new Float32Array(b.sH),
    nodeStart: new Int32Array(b.nodeStart),
    nodeEnd: new Int32Array(b.nodeEnd),
    histOffsets: new Int32Array(b.histOffsets),
    jobs: new Int32Array(b.jobs),
    feats: new Int32Array(b.feats),
    splits: new Int32Array(b.splits),
    catBits: new Uint32Array(b.catBits),
    leaves: new Int32Array(b.leaves),
    leafValue: new Float64Array(b.leafValue),
    y: b.y.byteLength === 4 * b.rows ? new Float32Array(b.y) : new Float64Array(b.y),
    margins: new Float64Array(b.margins),
    probs: new Float32Array(b.probs),
    args: new Int32Array(b.args),
    fargs: new Float64Array(b.fargs),
  };
}

/** The inner loops of a fit, bound to its plan's arrays (see makeKernels). */
export interface Kernels {
  /** Accumulate positions [start, end) into the histogram bins of seven features (columns c, bin offsets ho). */
  seven(c: Int32Array, start: number, end: number, hist: Float64Array, ho: Int32Array): void;
  four(c0: number, c1: number, c2: number, c3: number, start: number, end: number, hist: Float64Array, h0: number, h1: number, h2: number, h3: number): void;
  two(c0: number, c1: number, start: number, end: number, hist: Float64Array, h0: number, h1: number): void;
  one(c0: number, start: number, end: number, hist: Float64Array, h0: number): void;
  /**
   * Positions [s, e) by a number split on column `col`: rows whose bin is at most `thr`, or is
   * `missing`, stay in front in order; the others go to the scratch arrays from s, in order.
   * Returns the end of the left rows.
   */
  partitionNumbers(col: number, thr: number, missing: number, s: number, e: number): number;
  /** partitionNumbers for a category split: a row goes left when its bin's bit is set in catBits from `base`. */
  partitionCategories(col: number, base: number, s: number, e: number): number;
  /** Logistic-loss gradients and hessians of the rows at positions [s, e), by position. */
  gradBinary(s: number, e: number): void;
  /** Softmax gradients for output k of K, from plan.probs. */
  gradMulticlass(s: number, e: number, K: number, k: number): void;
  /** Regression gradients for output k of K (loss: LOSS code, Huber delta). */
  gradRegression(s: number, e: number, K: number, k: number, loss: number, delta: number): void;
  /** Add v to output k of K of the rows at positions [s, e). */
  update(s: number, e: number, K: number, k: number, v: number): void;
  /**
   * Add to output k of K of the rows at positions [s, e) the leaf value (plan.leafValue) of the
   * side of a number split they go to: `left`, or left + 1 (their partition was skipped).
   */
  updateSplit(col: number, thr: number, missing: number, s: number, e: number, K: number, k: number, left: number): void;
  /** updateSplit for a category split (bits in catBits from `base`). */
  updateCategorySplit(col: number, base: number, s: number, e: number, K: number, k: number, left: number): void;
  /** Softmax probabilities (plan.probs) of the margins of rows [s, e), K per row. */
  softmax(s: number, e: number, K: number): void;
}

/**
 * The kernels over `plan`. A histogram bin holds (gradient sum, hessian sum): no row count, which
 * would cost a third more stores per row (counts are estimated from hessians where a split needs
 * them, as LightGBM does). Bins are read at bins[column offset + row]; gradients are in position
 * order so that only the bin lookup is a scattered read. Several features share a pass so the row
 * index and gradient are loaded once (one-off measurements while writing this, 800,000 rows:
 * seven at once 1.4 ns per bin update against 1.7 for four and 2.4 for two; eight gain nothing).
 */
export function kernelFactory(plan: BuildPlan, minHessian: number): Kernels {
  const { bins, idx, og, oh, sIdx, sG, sH, catBits, y, margins, probs, leafValue } = plan;

  function seven(c: Int32Array, start: number, end: number, hist: Float64Array, ho: Int32Array): void {
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
      const g = og[i];
      const h = oh[i];
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
  }

  function four(c0: number, c1: number, c2: number, c3: number, start: number, end: number, hist: Float64Array, h0: number, h1: number, h2: number, h3: number): void {
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const g = og[i];
      const h = oh[i];
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

  function two(c0: number, c1: number, start: number, end: number, hist: Float64Array, h0: number, h1: number): void {
    for (let i = start; i < end; i++) {
      const r = idx[i];
      const g = og[i];
      const h = oh[i];
      const o0 = h0 + (bins[c0 + r] << 1);
      const o1 = h1 + (bins[c1 + r] << 1);
      hist[o0] += g;
      hist[o0 + 1] += h;
      hist[o1] += g;
      hist[o1 + 1] += h;
    }
  }

  function one(c0: number, start: number, end: number, hist: Float64Array, h0: number): void {
    for (let i = start; i < end; i++) {
      const o = h0 + (bins[c0 + idx[i]] << 1);
      hist[o] += og[i];
      hist[o + 1] += oh[i];
    }
  }

  // Partitions are branch-free: every row is written to both sides and only the side it belongs
  // to advances (a left/right branch is mispredicted half the time: 7.8 against 2.7 ns per row in a
  // one-off measurement while writing this).
  function partitionNumbers(col: number, thr: number, missing: number, s: number, e: number): number {
    let w = s;
    let k = s;
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const bin = bins[col + r];
      const g = og[i];
      const h = oh[i];
      // 1 when bin <= thr or bin === missing (bins and thr are 0..256).
      const l = (((thr - bin) >>> 31) ^ 1) | (((bin ^ missing) - 1) >>> 31);
      idx[w] = r;
      og[w] = g;
      oh[w] = h;
      sIdx[k] = r;
      sG[k] = g;
      sH[k] = h;
      w += l;
      k += 1 - l;
    }
    return w;
  }

  function partitionCategories(col: number, base: number, s: number, e: number): number {
    let w = s;
    let k = s;
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const bin = bins[col + r];
      const g = og[i];
      const h = oh[i];
      const l = (catBits[base + (bin >>> 5)] >>> (bin & 31)) & 1;
      idx[w] = r;
      og[w] = g;
      oh[w] = h;
      sIdx[k] = r;
      sG[k] = g;
      sH[k] = h;
      w += l;
      k += 1 - l;
    }
    return w;
  }

  function gradBinary(s: number, e: number): void {
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const q = 1 / (1 + Math.exp(-margins[r]));
      og[i] = q - y[r];
      oh[i] = Math.max(q * (1 - q), minHessian);
    }
  }

  function gradMulticlass(s: number, e: number, K: number, k: number): void {
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const q = probs[r * K + k];
      og[i] = q - (y[r] === k ? 1 : 0);
      oh[i] = Math.max(q * (1 - q), minHessian);
    }
  }

  function gradRegression(s: number, e: number, K: number, k: number, loss: number, delta: number): void {
    // loss: 0 squared, 1 absolute, 2 Huber (LOSS).
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const d = margins[r * K + k] - y[r];
      og[i] = loss === 0 ? d : loss === 1 ? Math.sign(d) : Math.abs(d) <= delta ? d : delta * Math.sign(d);
      oh[i] = 1;
    }
  }

  function update(s: number, e: number, K: number, k: number, v: number): void {
    for (let i = s; i < e; i++) margins[idx[i] * K + k] += v;
  }

  function updateSplit(col: number, thr: number, missing: number, s: number, e: number, K: number, k: number, left: number): void {
    const right = left + 1;
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const bin = bins[col + r];
      const l = (((thr - bin) >>> 31) ^ 1) | (((bin ^ missing) - 1) >>> 31);
      margins[r * K + k] += leafValue[right - l];
    }
  }

  function updateCategorySplit(col: number, base: number, s: number, e: number, K: number, k: number, left: number): void {
    const right = left + 1;
    for (let i = s; i < e; i++) {
      const r = idx[i];
      const bin = bins[col + r];
      margins[r * K + k] += leafValue[right - ((catBits[base + (bin >>> 5)] >>> (bin & 31)) & 1)];
    }
  }

  function softmax(s: number, e: number, K: number): void {
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

  return { seven, four, two, one, partitionNumbers, partitionCategories, gradBinary, gradMulticlass, gradRegression, update, updateSplit, updateCategorySplit, softmax };
}

/**
 * kernelFactory compiled afresh for `plan` (from its source, with `new Function`). V8 treats the
 * arrays a closure captures as constants only while its function has a single closure; a second
 * fit in the same process would make them ordinary loads again, and the partition loop, which
 * stores into six arrays per row, slows from 2.9 to 6.5 ns per row (one-off measurement). Fresh
 * source gives each fit's kernels their own function. The source is this module's own code, nothing from input.
 */
export function makeKernels(plan: BuildPlan): Kernels {
  // `__name`: what a transpiler that keeps function names (esbuild, as tsx runs it) calls inside
  // the source; here it only has to hand the function back.
  let factory = kernelFactory;
  try {
    factory = new Function('__name', `return ${kernelFactory.toString()}`)((f: unknown) => f) as typeof kernelFactory;
  } catch {
    // Code generation from strings is switched off (--disallow-code-generation-from-strings):
    // the shared kernels give the same results, a little slower.
  }
  return factory(plan, MIN_HESSIAN);
}

/**
 * Build: the threads take units (job, group of args.group features of plan.feats) from the shared
 * counter args.next until none is left, so that a thread with less of the processor does fewer.
 * A unit fills its features of the job's histogram from the node's rows block by block (one thread,
 * row order: the same sums whoever does it), then, if the job says so, turns the sibling's histogram
 * (the parent's) into the parent's minus this one for those features.
 */
function buildShare(plan: BuildPlan, slots: readonly Float64Array[], kern: Kernels): void {
  const { rows, blocks, histOffsets, jobs, feats, nodeStart, nodeEnd, args } = plan;
  const nJobs = args[ARG.count];
  const nFeats = args[ARG.feats];
  const group = args[ARG.group];
  const groups = Math.ceil(nFeats / group);
  const units = nJobs * groups;
  const cols = new Int32Array(7);
  const offs = new Int32Array(7);
  for (;;) {
    const u = Atomics.add(args, ARG.next, 1);
    if (u >= units) return;
    const j = Math.floor(u / groups);
    const first = (u - j * groups) * group;
    const last = Math.min(nFeats, first + group);
    const at = j * JOB_FIELDS;
    const node = jobs[at];
    const hist = slots[jobs[at + 1]];
    const from = jobs[at + 3];
    const to = jobs[at + 4];
    for (let k = first; k < last; k++) hist.fill(0, histOffsets[feats[k]] * HIST_STRIDE, histOffsets[feats[k] + 1] * HIST_STRIDE);
    // The node's rows block by block are in row order; this job takes ordinals [from, to) of them.
    let ordinal = 0;
    for (let b = 0; b < blocks && ordinal < to; b++) {
      const s0 = nodeStart[node * blocks + b];
      const e0 = nodeEnd[node * blocks + b];
      const start = s0 + Math.max(0, from - ordinal);
      const end = s0 + Math.min(e0 - s0, to - ordinal);
      ordinal += e0 - s0;
      if (start >= end) continue;
      let k = first;
      for (; k + 7 <= last; k += 7) {
        for (let q = 0; q < 7; q++) {
          cols[q] = feats[k + q] * rows;
          offs[q] = histOffsets[feats[k + q]] * HIST_STRIDE;
        }
        kern.seven(cols, start, end, hist, offs);
      }
      for (; k + 4 <= last; k += 4) {
        const f0 = feats[k];
        const f1 = feats[k + 1];
        const f2 = feats[k + 2];
        const f3 = feats[k + 3];
        kern.four(f0 * rows, f1 * rows, f2 * rows, f3 * rows, start, end, hist, histOffsets[f0] * HIST_STRIDE, histOffsets[f1] * HIST_STRIDE, histOffsets[f2] * HIST_STRIDE, histOffsets[f3] * HIST_STRIDE);
      }
      for (; k + 2 <= last; k += 2) {
        const f0 = feats[k];
        const f1 = feats[k + 1];
        kern.two(f0 * rows, f1 * rows, start, end, hist, histOffsets[f0] * HIST_STRIDE, histOffsets[f1] * HIST_STRIDE);
      }
      if (k < last) kern.one(feats[k] * rows, start, end, hist, histOffsets[feats[k]] * HIST_STRIDE);
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
 * Partition: split the rows of block `b` of every listed node by the node's split, stably (left
 * rows first), moving gradients along, and record both children's ranges in that block.
 */
function partitionBlock(plan: BuildPlan, b: number, kern: Kernels): void {
  const { rows, blocks, idx, og, oh, sIdx, sG, sH, nodeStart, nodeEnd, splits } = plan;
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
    const w = splits[at + 6] === 0 ? kern.partitionNumbers(col, splits[at + 3], missing, s, e) : kern.partitionCategories(col, node * CAT_WORDS, s, e);
    const k = s + e - w;
    idx.set(sIdx.subarray(s, k), w);
    og.set(sG.subarray(s, k), w);
    oh.set(sH.subarray(s, k), w);
    nodeStart[left * blocks + b] = s;
    nodeEnd[left * blocks + b] = w;
    nodeStart[(left + 1) * blocks + b] = w;
    nodeEnd[(left + 1) * blocks + b] = e;
  }
}

/** Gradients: og, oh at the positions of block `b` from the margins of output args.output. */
function gradientsBlock(plan: BuildPlan, b: number, kern: Kernels): void {
  const { args } = plan;
  const task = args[ARG.task];
  const s = plan.blockStart[b];
  const e = s + plan.sampled[b];
  if (task === TASK.binary) kern.gradBinary(s, e);
  else if (task === TASK.multiclass) kern.gradMulticlass(s, e, args[ARG.outputs], args[ARG.output]);
  else kern.gradRegression(s, e, args[ARG.outputs], args[ARG.output], args[ARG.loss], plan.fargs[0]);
}

/**
 * Update: add each listed leaf's value to output args.output of its rows in block `b`; then, for
 * the first args.pending entries of plan.splits (splits whose partition was skipped), add to each
 * of the split node's rows the value of the child it goes to.
 */
function updateBlock(plan: BuildPlan, b: number, kern: Kernels): void {
  const { leaves, leafValue, nodeStart, nodeEnd, blocks, args, splits, rows } = plan;
  const K = args[ARG.outputs];
  const k = args[ARG.output];
  const count = args[ARG.count];
  for (let q = 0; q < count; q++) {
    const leaf = leaves[q];
    kern.update(nodeStart[leaf * blocks + b], nodeEnd[leaf * blocks + b], K, k, leafValue[leaf]);
  }
  const pending = args[ARG.pending];
  for (let q = 0; q < pending; q++) {
    const at = q * SPLIT_FIELDS;
    const node = splits[at];
    const s = nodeStart[node * blocks + b];
    const e = nodeEnd[node * blocks + b];
    const col = splits[at + 2] * rows;
    if (splits[at + 6] === 0) {
      const missing = splits[at + 5] === 1 ? splits[at + 4] : 256;
      kern.updateSplit(col, splits[at + 3], missing, s, e, K, k, splits[at + 1]);
    } else {
      kern.updateCategorySplit(col, node * CAT_WORDS, s, e, K, k, splits[at + 1]);
    }
  }
}

/** Probabilities: softmax of the margins of the rows of block `b`. */
function probsBlock(plan: BuildPlan, b: number, kern: Kernels): void {
  kern.softmax(plan.blockStart[b], plan.blockStart[b + 1], plan.args[ARG.outputs]);
}

/** Do this thread's share of command `cmd` (units or blocks taken from the shared counter args.next). */
export function runShare(plan: BuildPlan, kern: Kernels, cmd: number, slots: readonly Float64Array[]): void {
  if (cmd === CMD.build) {
    buildShare(plan, slots, kern);
    return;
  }
  // Row-wise commands: blocks from the shared counter, so that a thread with less of the processor does fewer.
  for (;;) {
    const b = Atomics.add(plan.args, ARG.next, 1);
    if (b >= plan.blocks) return;
    if (cmd === CMD.partition) partitionBlock(plan, b, kern);
    else if (cmd === CMD.gradients) gradientsBlock(plan, b, kern);
    else if (cmd === CMD.update) updateBlock(plan, b, kern);
    else if (cmd === CMD.probs) probsBlock(plan, b, kern);
  }
}

/** What a team worker is started with. */
export interface HistWorkerData {
  readonly ctrl: SharedArrayBuffer;
  readonly plan: PlanBuffers;
  readonly thread: number;
  readonly threads: number;
  readonly port: WorkerThreads.MessagePort;
}

/**
 * A worker's life (it runs inside the worker, from `workerSource`): block on the shared control
 * word, do this thread's share of the command straight in shared memory, count itself done. New
 * histogram slots arrive on a MessagePort drained synchronously.
 */
function workerMain(wt: typeof WorkerThreads): void {
  const data = wt.workerData as HistWorkerData;
  const ctrl = new Int32Array(data.ctrl);
  const plan = planFromBuffers(data.plan);
  const kern = makeKernels(plan);
  const slots: Float64Array[] = [];
  wt.parentPort?.postMessage('ready');
  let seq = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.seq, seq);
    seq = Atomics.load(ctrl, CTRL.seq);
    const cmd = Atomics.load(ctrl, CTRL.cmd);
    if (cmd === CMD.exit) break;
    for (let m = wt.receiveMessageOnPort(data.port); m !== undefined; m = wt.receiveMessageOnPort(data.port)) {
      const msg = m.message as { slot: number; buffer: SharedArrayBuffer };
      slots[msg.slot] = new Float64Array(msg.buffer);
    }
    runShare(plan, kern, cmd, slots);
    Atomics.add(ctrl, CTRL.done, 1);
    Atomics.notify(ctrl, CTRL.done);
  }
  data.port.close();
}

/**
 * The source of a team worker: this module's functions and constants as plain JavaScript (from
 * Function.prototype.toString), so that a worker needs no module loader, whether the code runs
 * compiled or from TypeScript sources, and starts in milliseconds with little memory.
 */
export function workerSource(): string {
  const constants = { HIST_STRIDE, MIN_HESSIAN, CAT_WORDS, SPLIT_FIELDS, JOB_FIELDS, CTRL, CMD, ARG, TASK, LOSS };
  const functions = [
    planFromBuffers,
    kernelFactory,
    makeKernels,
    buildShare,
    partitionBlock,
    gradientsBlock,
    updateBlock,
    probsBlock,
    runShare,
    workerMain,
  ];
  return [
    "'use strict';",
    ...Object.entries(constants).map(([name, value]) => `const ${name} = ${JSON.stringify(value)};`),
    ...functions.map((f) => f.toString()),
    "workerMain(require('node:worker_threads'));",
  ].join('\n');
}
