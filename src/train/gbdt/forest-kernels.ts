import type * as WorkerThreads from 'node:worker_threads';

// Prediction kernels over trees in branch-free form. This module imports nothing at run time:
// `poolSource` turns its functions back into source for the prediction worker.

/**
 * An ensemble laid out for branch-free traversal: a leaf points to itself with an infinite
 * threshold, so every row takes exactly `depth[t]` steps in tree t and the next node is
 * `next[node] + (v > threshold)`, with no data-dependent branch to mispredict.
 */
export interface CompiledForest {
  readonly nodes: number;
  readonly trees: number;
  /** The ensemble index of this form's node 0 (0 for a whole forest; see Ensemble.addMargins). */
  readonly nodeBase: number;
  /** The ensemble arrays this was built from (to notice a reload). */
  readonly source: Int32Array;
  readonly thresholds: Float64Array;
  /** True when some split is on a category (those go through the general path). */
  readonly categories: boolean;
  /** Feature of each node (0 for leaves). */
  readonly feature: Int32Array;
  /** Threshold of each node (+Infinity for leaves, so that they keep the row). */
  readonly threshold: Float64Array;
  /** Left child of each node (the node itself for leaves). */
  readonly next: Int32Array;
  /** 1 where a missing value goes right. */
  readonly missingRight: Int32Array;
  /** Levels of each tree (steps from the root to its deepest leaf). */
  readonly depth: Int32Array;
  /** The ensemble's roots and tree outputs. */
  readonly roots: Int32Array;
  readonly treeOutput: Int32Array;
  /**
   * 1 when the heap form below is there (no categories, no tree deeper than HEAP_MAX_DEPTH): each
   * tree as a complete binary tree of its depth, internal nodes in heap order (children of k at
   * 2k + 1 and 2k + 2) from heapBase[t], its 2^depth leaves from leafBase[t]. A leaf above the
   * bottom becomes a subtree that always goes left (threshold +Infinity) down to copies of it.
   * The next node is then computed, not loaded (a one-off measurement while writing this, one
   * thread, 100 depth-6 trees: 1.41 against 1.60 ns per step).
   */
  readonly heap: number;
  readonly heapBase: Int32Array;
  readonly leafBase: Int32Array;
  readonly heapFeature: Int32Array;
  readonly heapThreshold: Float64Array;
  readonly heapMissingRight: Int32Array;
  /** The ensemble node (index into the leaf values) of each heap leaf. */
  readonly heapLeaf: Int32Array;
}

/** Deepest tree given the heap form (a tree of depth d takes 2^(d+1) - 1 entries). */
export const HEAP_MAX_DEPTH = 12;

/** The arrays the branch-free kernels read. */
export type ForestArrays = Pick<
  CompiledForest,
  | 'feature'
  | 'threshold'
  | 'next'
  | 'missingRight'
  | 'depth'
  | 'roots'
  | 'treeOutput'
  | 'heap'
  | 'heapBase'
  | 'leafBase'
  | 'heapFeature'
  | 'heapThreshold'
  | 'heapMissingRight'
  | 'heapLeaf'
>;

/** Heap-form trees, no missing value in x: eight rows at a time (see CompiledForest.heap). */
function addMarginsHeapDense(
  c: ForestArrays,
  value: Float64Array,
  x: Float64Array,
  width: number,
  rows: number,
  from: number,
  to: number,
  margins: Float64Array,
  outputs: number,
): void {
  const feature = c.heapFeature;
  const threshold = c.heapThreshold;
  const heapLeaf = c.heapLeaf;
  const depth = c.depth;
  const octets = rows & ~7;
  for (let t = from; t < to; t++) {
    const levels = depth[t];
    // Node k of the tree is at hb + k; its children at 2(hb + k) - hb + 1 (+ 1).
    const hb = c.heapBase[t];
    const step = 1 - hb;
    // Leaf slot of the node reached at the bottom: lb + node.
    const lb = c.leafBase[t] - hb - ((1 << levels) - 1);
    const output = c.treeOutput[t];
    let r = 0;
    for (; r < octets; r += 8) {
      const b0 = r * width;
      const b1 = b0 + width;
      const b2 = b1 + width;
      const b3 = b2 + width;
      const b4 = b3 + width;
      const b5 = b4 + width;
      const b6 = b5 + width;
      const b7 = b6 + width;
      let n0 = hb;
      let n1 = hb;
      let n2 = hb;
      let n3 = hb;
      let n4 = hb;
      let n5 = hb;
      let n6 = hb;
      let n7 = hb;
      for (let d = 0; d < levels; d++) {
        n0 = 2 * n0 + step + +(x[b0 + feature[n0]] > threshold[n0]);
        n1 = 2 * n1 + step + +(x[b1 + feature[n1]] > threshold[n1]);
        n2 = 2 * n2 + step + +(x[b2 + feature[n2]] > threshold[n2]);
        n3 = 2 * n3 + step + +(x[b3 + feature[n3]] > threshold[n3]);
        n4 = 2 * n4 + step + +(x[b4 + feature[n4]] > threshold[n4]);
        n5 = 2 * n5 + step + +(x[b5 + feature[n5]] > threshold[n5]);
        n6 = 2 * n6 + step + +(x[b6 + feature[n6]] > threshold[n6]);
        n7 = 2 * n7 + step + +(x[b7 + feature[n7]] > threshold[n7]);
      }
      const o = r * outputs + output;
      margins[o] += value[heapLeaf[lb + n0]];
      margins[o + outputs] += value[heapLeaf[lb + n1]];
      margins[o + 2 * outputs] += value[heapLeaf[lb + n2]];
      margins[o + 3 * outputs] += value[heapLeaf[lb + n3]];
      margins[o + 4 * outputs] += value[heapLeaf[lb + n4]];
      margins[o + 5 * outputs] += value[heapLeaf[lb + n5]];
      margins[o + 6 * outputs] += value[heapLeaf[lb + n6]];
      margins[o + 7 * outputs] += value[heapLeaf[lb + n7]];
    }
    for (; r < rows; r++) {
      const b = r * width;
      let node = hb;
      for (let d = 0; d < levels; d++) node = 2 * node + step + +(x[b + feature[node]] > threshold[node]);
      margins[r * outputs + output] += value[heapLeaf[lb + node]];
    }
  }
}

/**
 * addMarginsHeapDense for fewer than eight rows (a request's): four trees at a time for each row,
 * so that their walks overlap. One row's walk down one tree is a chain of dependent loads (the
 * next node needs this one's feature and threshold), which is all the row-at-a-time loop can do;
 * four independent chains keep the processor busy while each waits. The values are added in tree
 * order, so the margins are exactly addMarginsHeapDense's.
 */
function addMarginsHeapDenseFew(
  c: ForestArrays,
  value: Float64Array,
  x: Float64Array,
  width: number,
  rows: number,
  from: number,
  to: number,
  margins: Float64Array,
  outputs: number,
): void {
  const feature = c.heapFeature;
  const threshold = c.heapThreshold;
  const heapLeaf = c.heapLeaf;
  const depth = c.depth;
  const heapBase = c.heapBase;
  const leafBase = c.leafBase;
  const treeOutput = c.treeOutput;
  const quads = from + ((to - from) & ~3);
  for (let r = 0; r < rows; r++) {
    const b = r * width;
    const m = r * outputs;
    let t = from;
    for (; t < quads; t += 4) {
      const h0 = heapBase[t];
      const h1 = heapBase[t + 1];
      const h2 = heapBase[t + 2];
      const h3 = heapBase[t + 3];
      const d0 = depth[t];
      const d1 = depth[t + 1];
      const d2 = depth[t + 2];
      const d3 = depth[t + 3];
      let n0 = h0;
      let n1 = h1;
      let n2 = h2;
      let n3 = h3;
      // Node k of a tree is at h + k, its children at 2(h + k) - h + 1 (+ 1); a tree shallower than
      // the deepest of the four stops stepping once it is at its bottom.
      const levels = Math.max(d0, d1, d2, d3);
      for (let d = 0; d < levels; d++) {
        if (d < d0) n0 = 2 * n0 + 1 - h0 + +(x[b + feature[n0]] > threshold[n0]);
        if (d < d1) n1 = 2 * n1 + 1 - h1 + +(x[b + feature[n1]] > threshold[n1]);
        if (d < d2) n2 = 2 * n2 + 1 - h2 + +(x[b + feature[n2]] > threshold[n2]);
        if (d < d3) n3 = 2 * n3 + 1 - h3 + +(x[b + feature[n3]] > threshold[n3]);
      }
      margins[m + treeOutput[t]] += value[heapLeaf[leafBase[t] - h0 - ((1 << d0) - 1) + n0]];
      margins[m + treeOutput[t + 1]] += value[heapLeaf[leafBase[t + 1] - h1 - ((1 << d1) - 1) + n1]];
      margins[m + treeOutput[t + 2]] += value[heapLeaf[leafBase[t + 2] - h2 - ((1 << d2) - 1) + n2]];
      margins[m + treeOutput[t + 3]] += value[heapLeaf[leafBase[t + 3] - h3 - ((1 << d3) - 1) + n3]];
    }
    for (; t < to; t++) {
      const hb = heapBase[t];
      const levels = depth[t];
      let node = hb;
      for (let d = 0; d < levels; d++) node = 2 * node + 1 - hb + +(x[b + feature[node]] > threshold[node]);
      margins[m + treeOutput[t]] += value[heapLeaf[leafBase[t] - hb - ((1 << levels) - 1) + node]];
    }
  }
}

/** Heap-form trees with missing values in x: a missing value goes right where heapMissingRight says so. */
function addMarginsHeapMissing(
  c: ForestArrays,
  value: Float64Array,
  x: Float64Array,
  width: number,
  rows: number,
  from: number,
  to: number,
  margins: Float64Array,
  outputs: number,
): void {
  const feature = c.heapFeature;
  const threshold = c.heapThreshold;
  const missingRight = c.heapMissingRight;
  const heapLeaf = c.heapLeaf;
  const depth = c.depth;
  for (let t = from; t < to; t++) {
    const levels = depth[t];
    const hb = c.heapBase[t];
    const step = 1 - hb;
    const lb = c.leafBase[t] - hb - ((1 << levels) - 1);
    const output = c.treeOutput[t];
    for (let r = 0; r < rows; r++) {
      const b = r * width;
      let node = hb;
      for (let d = 0; d < levels; d++) {
        const v = x[b + feature[node]];
        node = 2 * node + step + (+(v > threshold[node]) | (+(v !== v) & missingRight[node]));
      }
      margins[r * outputs + output] += value[heapLeaf[lb + node]];
    }
  }
}

/** The dense or missing-value kernel of the heap or linked form, whichever `c` has. */
export function addMarginsAny(
  c: ForestArrays,
  value: Float64Array,
  x: Float64Array,
  width: number,
  rows: number,
  from: number,
  to: number,
  margins: Float64Array,
  outputs: number,
  missing: boolean,
): void {
  if (c.heap === 1) {
    if (missing) addMarginsHeapMissing(c, value, x, width, rows, from, to, margins, outputs);
    else if (rows < 8) addMarginsHeapDenseFew(c, value, x, width, rows, from, to, margins, outputs);
    else addMarginsHeapDense(c, value, x, width, rows, from, to, margins, outputs);
  } else if (missing) addMarginsMissing(c, value, x, width, rows, from, to, margins, outputs);
  else addMarginsDense(c, value, x, width, rows, from, to, margins, outputs);
}

/** Numeric trees, no missing value in x: eight rows at a time so that their steps overlap. */
function addMarginsDense(
  c: ForestArrays,
  value: Float64Array,
  x: Float64Array,
  width: number,
  rows: number,
  from: number,
  to: number,
  margins: Float64Array,
  outputs: number,
): void {
  const feature = c.feature;
  const threshold = c.threshold;
  const next = c.next;
  const depth = c.depth;
  const roots = c.roots;
  const treeOutput = c.treeOutput;
  const octets = rows & ~7;
  for (let t = from; t < to; t++) {
    const root = roots[t];
    const levels = depth[t];
    const output = treeOutput[t];
    let r = 0;
    for (; r < octets; r += 8) {
      const b0 = r * width;
      const b1 = b0 + width;
      const b2 = b1 + width;
      const b3 = b2 + width;
      const b4 = b3 + width;
      const b5 = b4 + width;
      const b6 = b5 + width;
      const b7 = b6 + width;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let n4 = root;
      let n5 = root;
      let n6 = root;
      let n7 = root;
      for (let d = 0; d < levels; d++) {
        n0 = next[n0] + +(x[b0 + feature[n0]] > threshold[n0]);
        n1 = next[n1] + +(x[b1 + feature[n1]] > threshold[n1]);
        n2 = next[n2] + +(x[b2 + feature[n2]] > threshold[n2]);
        n3 = next[n3] + +(x[b3 + feature[n3]] > threshold[n3]);
        n4 = next[n4] + +(x[b4 + feature[n4]] > threshold[n4]);
        n5 = next[n5] + +(x[b5 + feature[n5]] > threshold[n5]);
        n6 = next[n6] + +(x[b6 + feature[n6]] > threshold[n6]);
        n7 = next[n7] + +(x[b7 + feature[n7]] > threshold[n7]);
      }
      const o = r * outputs + output;
      margins[o] += value[n0];
      margins[o + outputs] += value[n1];
      margins[o + 2 * outputs] += value[n2];
      margins[o + 3 * outputs] += value[n3];
      margins[o + 4 * outputs] += value[n4];
      margins[o + 5 * outputs] += value[n5];
      margins[o + 6 * outputs] += value[n6];
      margins[o + 7 * outputs] += value[n7];
    }
    for (; r < rows; r++) {
      const b = r * width;
      let node = root;
      for (let d = 0; d < levels; d++) node = next[node] + +(x[b + feature[node]] > threshold[node]);
      margins[r * outputs + output] += value[node];
    }
  }
}

/** Numeric trees with missing values in x: a missing value goes right where missingRight says so. */
function addMarginsMissing(
  c: ForestArrays,
  value: Float64Array,
  x: Float64Array,
  width: number,
  rows: number,
  from: number,
  to: number,
  margins: Float64Array,
  outputs: number,
): void {
  const feature = c.feature;
  const threshold = c.threshold;
  const next = c.next;
  const missingRight = c.missingRight;
  const depth = c.depth;
  const roots = c.roots;
  const treeOutput = c.treeOutput;
  for (let t = from; t < to; t++) {
    const root = roots[t];
    const levels = depth[t];
    const output = treeOutput[t];
    for (let r = 0; r < rows; r++) {
      const b = r * width;
      let node = root;
      for (let d = 0; d < levels; d++) {
        const v = x[b + feature[node]];
        node = next[node] + (+(v > threshold[node]) | (+(v !== v) & missingRight[node]));
      }
      margins[r * outputs + output] += value[node];
    }
  }
}

/** True when one of x[0, cells) is NaN. */
export function hasMissing(x: Float64Array, cells: number): boolean {
  for (let i = 0; i < cells; i++) {
    const v = x[i];
    if (v !== v) return true;
  }
  return false;
}

/** Indices into the prediction pool's shared control words. */
export const PCTRL = { seq: 0, done: 1, ready: 2, next: 3, rows: 4, columns: 5, outputs: 6, trees: 7, stride: 8, buffer: 9, link: 10 } as const;
/** What margins go through after the trees: nothing, the sigmoid (binary) or the softmax of each row (multiclass). */
export const LINK = { none: 0, sigmoid: 1, softmax: 2 } as const;
/** Rows per cache block: the trees are applied to a block one after the other. */
export const BLOCK_ROWS = 256;

/** Shared copies of a CompiledForest's arrays and the leaf values, as the prediction worker reads them. */
export interface ForestBuffers extends ForestArrays {
  readonly value: Float64Array;
  /** The model's base score of each output. */
  readonly base: Float64Array;
}

/** What the pool sends its worker: a forest to predict with, and new chunk buffers. */
export interface PoolMessage {
  forest?: ForestBuffers;
  x?: Float64Array[];
  margins?: Float64Array[];
}

/** What the prediction worker is started with. */
export interface PoolWorkerData {
  readonly ctrl: SharedArrayBuffer;
  readonly port: WorkerThreads.MessagePort;
}

/** Softmax of a[offset, offset + K), in place (the single-row path uses it too, so both agree to the bit). */
export function softmaxInPlace(a: Float64Array, offset: number, K: number): void {
  let max = -Infinity;
  for (let k = 0; k < K; k++) if (a[offset + k] > max) max = a[offset + k];
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(a[offset + k] - max);
    a[offset + k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) a[offset + k] /= sum;
}

/**
 * True when one of `rows` rows from `from` of the column-major chunk x (`columns` columns, `stride`
 * apart) may be missing. It sums each column instead of testing every value (a NaN or an infinite
 * value makes the sum's difference with itself NaN): four sums per column, no branch per value.
 * Infinities and overflowing sums also say yes; the missing-value kernels handle those rows exactly
 * like the dense ones, only more slowly.
 */
function blockMissing(x: Float64Array, from: number, rows: number, columns: number, stride: number): boolean {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  for (let f = 0; f < columns; f++) {
    const o = f * stride + from;
    const end = o + rows;
    let i = o;
    for (; i + 3 < end; i += 4) {
      a += x[i];
      b += x[i + 1];
      c += x[i + 2];
      d += x[i + 3];
    }
    for (; i < end; i++) a += x[i];
  }
  return a - a + (b - b) + (c - c) + (d - d) !== 0;
}

/**
 * Rows [from, to) of the column-major chunk x (feature f of row r at f * stride + r; the forest's
 * features are pre-multiplied by stride), block by block: each block's margins start at the base
 * scores, get trees [0, trees), then go through the link (LINK), so that the threads share that
 * work too. A block with a missing value takes the missing-value kernels.
 */
function predictRange(
  c: ForestBuffers,
  x: Float64Array,
  columns: number,
  stride: number,
  from: number,
  to: number,
  trees: number,
  margins: Float64Array,
  outputs: number,
  link: number,
): void {
  const base = c.base;
  for (let start = from; start < to; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, to - start);
    const mb = margins.subarray(start * outputs, (start + rows) * outputs);
    for (let o = 0; o < mb.length; o += outputs) for (let k = 0; k < outputs; k++) mb[o + k] = base[k];
    const missing = blockMissing(x, start, rows, columns, stride);
    addMarginsAny(c, c.value, x.subarray(start), 1, rows, 0, trees, mb, outputs, missing);
    if (link === LINK.sigmoid) for (let i = 0; i < mb.length; i++) mb[i] = 1 / (1 + Math.exp(-mb[i]));
    else if (link === LINK.softmax) for (let o = 0; o < mb.length; o += outputs) softmaxInPlace(mb, o, outputs);
  }
}

/**
 * Take blocks of BLOCK_ROWS rows of the chunk from the shared counter ctrl[PCTRL.next] until none
 * is left, so that a thread that gets less of the processor simply does fewer blocks. Each row's
 * margins come out the same whichever thread computes them.
 */
export function predictShared(
  c: ForestBuffers,
  x: Float64Array,
  columns: number,
  stride: number,
  rows: number,
  trees: number,
  margins: Float64Array,
  outputs: number,
  link: number,
  ctrl: Int32Array,
): void {
  for (;;) {
    const start = Atomics.add(ctrl, PCTRL.next, 1) * BLOCK_ROWS;
    if (start >= rows) return;
    predictRange(c, x, columns, stride, start, Math.min(rows, start + BLOCK_ROWS), trees, margins, outputs, link);
  }
}

/**
 * Run the kernels once on a small made-up forest, so that the first real batch does not pay for
 * their compilation (a one-off prediction is what a benchmark or a scoring request measures).
 */
export function warmUp(): void {
  const columns = 4;
  const rows = 2048;
  const nodes = 127;
  const trees = 4;
  const forest: ForestBuffers = {
    feature: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    next: new Int32Array(nodes),
    missingRight: new Int32Array(nodes),
    depth: new Int32Array(trees).fill(6),
    roots: new Int32Array(trees),
    treeOutput: new Int32Array(trees),
    value: new Float64Array(nodes),
    base: new Float64Array([0.5]),
    heap: 1,
    heapBase: new Int32Array(trees),
    leafBase: new Int32Array(trees),
    heapFeature: new Int32Array(63),
    heapThreshold: new Float64Array(63),
    heapMissingRight: new Int32Array(63),
    heapLeaf: new Int32Array(64),
  };
  // Column-major, like the pool's chunks: feature f of row r at f * rows + r.
  for (let i = 0; i < nodes; i++) {
    const leaf = i >= 63;
    forest.feature[i] = (i % columns) * rows;
    forest.threshold[i] = leaf ? Infinity : ((i * 37) % 11) / 11;
    forest.next[i] = leaf ? i : 2 * i + 1;
    forest.missingRight[i] = i & 1;
    forest.value[i] = i / nodes;
    if (leaf) forest.heapLeaf[i - 63] = i;
    else {
      forest.heapFeature[i] = forest.feature[i];
      forest.heapThreshold[i] = forest.threshold[i];
      forest.heapMissingRight[i] = i & 1;
    }
  }
  const dense = new Float64Array(rows * columns);
  for (let i = 0; i < dense.length; i++) dense[i] = ((i * 7919) % 1000) / 1000;
  const holes = dense.slice();
  for (let i = 0; i < holes.length; i += 97) holes[i] = NaN;
  const margins = new Float64Array(rows * 2);
  const ctrl = new Int32Array(16);
  const linked = sameShape({ ...forest, heap: 0 });
  // Two outputs (trees alternate between them), for the softmax.
  const pair = sameShape({ ...forest, treeOutput: Int32Array.from({ length: trees }, (_, t) => t & 1), base: new Float64Array([0.25, -0.25]) });
  for (let rep = 0; rep < 64; rep++) {
    ctrl[PCTRL.next] = 0;
    const x = rep % 2 === 1 ? holes : dense;
    if (rep % 8 === 6) predictShared(pair, x, columns, rows, rows, trees, margins, 2, LINK.softmax, ctrl);
    else predictShared(rep % 4 < 2 ? sameShape(forest) : linked, x, columns, rows, rows, trees, margins, 1, rep % 8 < 4 ? LINK.sigmoid : LINK.none, ctrl);
  }
}

/**
 * The forest as an object built like warmUp's (a structured clone from another thread has another
 * hidden class, which would send the warmed-up kernels back to the compiler).
 */
export function sameShape(f: ForestBuffers): ForestBuffers {
  return {
    feature: f.feature,
    threshold: f.threshold,
    next: f.next,
    missingRight: f.missingRight,
    depth: f.depth,
    roots: f.roots,
    treeOutput: f.treeOutput,
    value: f.value,
    heap: f.heap,
    heapBase: f.heapBase,
    leafBase: f.leafBase,
    heapFeature: f.heapFeature,
    heapThreshold: f.heapThreshold,
    heapMissingRight: f.heapMissingRight,
    heapLeaf: f.heapLeaf,
    base: f.base,
  };
}

/** The pool worker's life (it runs inside the worker, from `poolSource`). */
function poolWorkerMain(wt: typeof WorkerThreads): void {
  const data = wt.workerData as PoolWorkerData;
  const ctrl = new Int32Array(data.ctrl);
  let forest: ForestBuffers | null = null;
  let x: Float64Array[] = [];
  let margins: Float64Array[] = [];
  warmUp();
  Atomics.store(ctrl, PCTRL.ready, 1);
  wt.parentPort?.postMessage('ready');
  let seq = 0;
  for (;;) {
    Atomics.wait(ctrl, PCTRL.seq, seq);
    seq = Atomics.load(ctrl, PCTRL.seq);
    for (let m = wt.receiveMessageOnPort(data.port); m !== undefined; m = wt.receiveMessageOnPort(data.port)) {
      const msg = m.message as PoolMessage;
      if (msg.forest !== undefined) forest = sameShape(msg.forest);
      if (msg.x !== undefined) x = msg.x;
      if (msg.margins !== undefined) margins = msg.margins;
    }
    if (forest !== null) {
      const b = ctrl[PCTRL.buffer];
      predictShared(forest, x[b], ctrl[PCTRL.columns], ctrl[PCTRL.stride], ctrl[PCTRL.rows], ctrl[PCTRL.trees], margins[b], ctrl[PCTRL.outputs], ctrl[PCTRL.link], ctrl);
    }
    Atomics.add(ctrl, PCTRL.done, 1);
    Atomics.notify(ctrl, PCTRL.done);
  }
}

/** The prediction worker's source: this module's kernels as plain JavaScript. */
export function poolSource(): string {
  return [
    "'use strict';",
    `const PCTRL = ${JSON.stringify(PCTRL)};`,
    `const BLOCK_ROWS = ${BLOCK_ROWS};`,
    `const LINK = ${JSON.stringify(LINK)};`,
    addMarginsDense.toString(),
    addMarginsMissing.toString(),
    addMarginsHeapDense.toString(),
    addMarginsHeapDenseFew.toString(),
    addMarginsHeapMissing.toString(),
    addMarginsAny.toString(),
    softmaxInPlace.toString(),
    blockMissing.toString(),
    predictRange.toString(),
    predictShared.toString(),
    warmUp.toString(),
    sameShape.toString(),
    poolWorkerMain.toString(),
    "poolWorkerMain(require('node:worker_threads'));",
  ].join('\n');
}
