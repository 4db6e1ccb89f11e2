import { addMarginsAny, hasMissing, HEAP_MAX_DEPTH, type CompiledForest } from './forest-kernels.js';

/**
 * The trees of a model in flat typed arrays. Node `i` is a leaf when feature[i] < 0; otherwise its
 * children are left[i] and left[i] + 1. Number splits send v <= threshold left; category splits
 * send a level code left when its bit is set in catBits from catOffset (codes >= catCount are
 * levels the tree never saw); missing values (NaN, code -1) follow defaultLeft.
 */
export class Ensemble {
  nodes = 0;
  trees = 0;
  catWords = 0;
  feature = new Int32Array(1024);
  threshold = new Float64Array(1024);
  left = new Int32Array(1024);
  defaultLeft = new Uint8Array(1024);
  catOffset = new Int32Array(1024);
  catCount = new Int32Array(1024);
  value = new Float64Array(1024);
  catBits = new Uint32Array(64);
  roots = new Int32Array(64);
  /** Output (class) each tree adds to. */
  treeOutput = new Int32Array(64);

  /** Make room for `count` more nodes; returns the index of the first. */
  addNodes(count: number): number {
    const need = this.nodes + count;
    if (need > this.feature.length) {
      const cap = Math.max(need, this.feature.length * 2, 64);
      this.feature = grow(this.feature, cap);
      this.threshold = grow(this.threshold, cap);
      this.left = grow(this.left, cap);
      this.defaultLeft = grow(this.defaultLeft, cap);
      this.catOffset = grow(this.catOffset, cap);
      this.catCount = grow(this.catCount, cap);
      this.value = grow(this.value, cap);
    }
    const first = this.nodes;
    this.nodes = need;
    return first;
  }

  /** Make room for `words` more category words; returns the offset of the first. */
  addCatWords(words: number): number {
    const need = this.catWords + words;
    if (need > this.catBits.length) this.catBits = grow(this.catBits, Math.max(need, this.catBits.length * 2, 64));
    const first = this.catWords;
    this.catWords = need;
    return first;
  }

  /** Register a tree rooted at `root` adding to output `output`. */
  addTree(root: number, output: number): void {
    if (this.trees === this.roots.length) {
      this.roots = grow(this.roots, Math.max(8, this.trees * 2));
      this.treeOutput = grow(this.treeOutput, Math.max(8, this.trees * 2));
    }
    this.roots[this.trees] = root;
    this.treeOutput[this.trees] = output;
    this.trees++;
  }

  /** Keep only the first `trees` trees (trees are stored in order, so their nodes are a prefix). */
  truncate(trees: number): void {
    if (trees >= this.trees) return;
    this.trees = trees;
    this.nodes = this.roots[trees];
    let words = 0;
    for (let i = 0; i < this.nodes; i++) {
      if (this.catOffset[i] >= 0) words = Math.max(words, this.catOffset[i] + ((this.catCount[i] + 31) >>> 5));
    }
    this.catWords = words;
  }

  /** Leaf reached by row `r` of the row-major matrix x (width features). */
  leaf(tree: number, x: Float64Array, base: number): number {
    const feature = this.feature;
    const threshold = this.threshold;
    const left = this.left;
    const catOffset = this.catOffset;
    let node = this.roots[tree];
    let f = feature[node];
    while (f >= 0) {
      const v = x[base + f];
      const co = catOffset[node];
      let goLeft: boolean;
      if (co < 0) {
        goLeft = v <= threshold[node] || (v !== v && this.defaultLeft[node] === 1);
      } else if (v >= 0 && v < this.catCount[node]) {
        goLeft = ((this.catBits[co + (v >>> 5)] >>> (v & 31)) & 1) === 1;
      } else {
        goLeft = this.defaultLeft[node] === 1;
      }
      node = goLeft ? left[node] : left[node] + 1;
      f = feature[node];
    }
    return node;
  }

  /**
   * Add trees [from, to) to the raw margins (row-major, `outputs` per row) of `rows` rows of the
   * row-major matrix x with `width` features. Tree-outer so that one tree's nodes stay in cache;
   * callers pass blocks of a few hundred rows so that the block stays in cache too. Each margin
   * gets its trees' values in tree order, so results equal `leaf` row by row. `missing`: whether x
   * holds a NaN, when the caller knows (early stopping passes the same rows after every tree: a
   * scan of them each time took a seventh of its pass); default: x is scanned.
   */
  addMargins(x: Float64Array, width: number, rows: number, from: number, to: number, margins: Float64Array, outputs: number, missing?: boolean): void {
    // A few trees of a forest that has grown since it was compiled (early stopping adds each new
    // tree's margins while the forest grows): compile just those, so a fit does not compile its
    // whole forest once per tree.
    const part = !this.cacheFresh() && (to - from) * 4 < this.trees;
    const c = part ? compileForest(this, from, to) : this.compiled();
    if (c.categories) {
      this.addMarginsGeneral(x, width, rows, from, to, margins, outputs);
      return;
    }
    // A compile of trees [from, to) alone numbers them, and their nodes, from 0.
    const anyMissing = missing ?? hasMissing(x, rows * width);
    if (part) addMarginsAny(c, this.value.subarray(c.nodeBase), x, width, rows, 0, to - from, margins, outputs, anyMissing);
    else addMarginsAny(c, this.value, x, width, rows, from, to, margins, outputs, anyMissing);
  }

  /** The trees in branch-free form, rebuilt when trees were added, removed or loaded. */
  compiled(): CompiledForest {
    if (!this.cacheFresh()) this.cache = compileForest(this);
    return this.cache as CompiledForest;
  }

  /** Whether the compiled form is of the trees as they are now. */
  private cacheFresh(): boolean {
    const c = this.cache;
    return c !== null && c.nodes === this.nodes && c.trees === this.trees && c.source === this.feature && c.thresholds === this.threshold;
  }

  private cache: CompiledForest | null = null;

  /** Any trees, category splits included: one row at a time through `leaf`'s logic. */
  private addMarginsGeneral(x: Float64Array, width: number, rows: number, from: number, to: number, margins: Float64Array, outputs: number): void {
    const feature = this.feature;
    const threshold = this.threshold;
    const left = this.left;
    const catOffset = this.catOffset;
    const defaultLeft = this.defaultLeft;
    const value = this.value;
    for (let t = from; t < to; t++) {
      const root = this.roots[t];
      const output = this.treeOutput[t];
      for (let r = 0; r < rows; r++) {
        const base = r * width;
        let node = root;
        let f = feature[node];
        while (f >= 0) {
          const v = x[base + f];
          if (catOffset[node] < 0) {
            node = v <= threshold[node] || (v !== v && defaultLeft[node] === 1) ? left[node] : left[node] + 1;
          } else {
            node = this.categoryLeft(node, v) ? left[node] : left[node] + 1;
          }
          f = feature[node];
        }
        margins[r * outputs + output] += value[node];
      }
    }
  }

  private categoryLeft(node: number, v: number): boolean {
    if (v >= 0 && v < this.catCount[node]) return ((this.catBits[this.catOffset[node] + (v >>> 5)] >>> (v & 31)) & 1) === 1;
    return this.defaultLeft[node] === 1;
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array | Uint32Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/**
 * The trees [from, to) of `e` in branch-free form, as trees 0 … to − from − 1 of the result. Its
 * node indices count from the first of those trees' nodes (`nodeBase`: 0 for the whole forest),
 * so its arrays are the size of those trees, and leaf values are read from
 * `e.value.subarray(nodeBase)`.
 */
function compileForest(e: Ensemble, from = 0, to = e.trees): CompiledForest {
  const trees = to - from;
  const base = from < e.trees ? e.roots[from] : e.nodes;
  const m = (to < e.trees ? e.roots[to] : e.nodes) - base;
  const feature = new Int32Array(m);
  const threshold = new Float64Array(m);
  const next = new Int32Array(m);
  const missingRight = new Int32Array(m);
  const nodeDepth = new Int32Array(m);
  let categories = false;
  for (let i = 0; i < m; i++) {
    const g = base + i;
    const f = e.feature[g];
    if (f < 0) {
      threshold[i] = Infinity;
      next[i] = i;
      continue;
    }
    if (e.catOffset[g] >= 0) categories = true;
    feature[i] = f;
    threshold[i] = e.threshold[g];
    next[i] = e.left[g] - base;
    missingRight[i] = e.defaultLeft[g] === 1 ? 0 : 1;
  }
  const roots = new Int32Array(trees);
  for (let t = 0; t < trees; t++) roots[t] = e.roots[from + t] - base;
  // Children always come after their parent, so one forward pass gives every node's level.
  const depth = new Int32Array(trees);
  for (let t = 0; t < trees; t++) {
    const root = roots[t];
    const end = t + 1 < trees ? roots[t + 1] : m;
    nodeDepth[root] = 0;
    let deepest = 0;
    for (let i = root; i < end; i++) {
      if (next[i] === i) continue;
      const d = nodeDepth[i] + 1;
      nodeDepth[next[i]] = d;
      nodeDepth[next[i] + 1] = d;
      if (d > deepest) deepest = d;
    }
    depth[t] = deepest;
  }
  const heapBase = new Int32Array(trees);
  const leafBase = new Int32Array(trees);
  let internal = 0;
  let leaves = 0;
  let heap = categories ? 0 : 1;
  for (let t = 0; t < trees && heap === 1; t++) {
    if (depth[t] > HEAP_MAX_DEPTH) heap = 0;
    heapBase[t] = internal;
    leafBase[t] = leaves;
    internal += (1 << depth[t]) - 1;
    leaves += 1 << depth[t];
  }
  const size = heap === 1 ? internal : 0;
  const heapFeature = new Int32Array(size);
  const heapThreshold = new Float64Array(size);
  const heapMissingRight = new Int32Array(size);
  const heapLeaf = new Int32Array(heap === 1 ? leaves : 0);
  if (heap === 1) {
    // Lay node `node` at heap position k of tree t (depth d); padding under early leaves goes left.
    const place = (t: number, node: number, k: number, d: number): void => {
      if (d === depth[t]) {
        heapLeaf[leafBase[t] + k - ((1 << d) - 1)] = node;
        return;
      }
      const at = heapBase[t] + k;
      if (next[node] === node) {
        heapThreshold[at] = Infinity;
        place(t, node, 2 * k + 1, d + 1);
        place(t, node, 2 * k + 2, d + 1);
        return;
      }
      heapFeature[at] = feature[node];
      heapThreshold[at] = threshold[node];
      heapMissingRight[at] = missingRight[node];
      place(t, next[node], 2 * k + 1, d + 1);
      place(t, next[node] + 1, 2 * k + 2, d + 1);
    };
    for (let t = 0; t < trees; t++) place(t, roots[t], 0, 0);
  }
  return {
    nodes: e.nodes,
    trees,
    nodeBase: base,
    source: e.feature,
    thresholds: e.threshold,
    categories,
    feature,
    threshold,
    next,
    missingRight,
    depth,
    roots,
    treeOutput: from === 0 ? e.treeOutput : e.treeOutput.subarray(from, to),
    heap,
    heapBase,
    leafBase,
    heapFeature,
    heapThreshold,
    heapMissingRight,
    heapLeaf,
  };
}

