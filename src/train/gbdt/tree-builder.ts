import type { RandomSource } from '../../data/random.js';
import type { FeatureBins } from './binning.js';
import type { Ensemble } from './ensemble.js';
import { ARG, CAT_WORDS, FARG, featureGroup, HIST_STRIDE, JOB_FIELDS, MAX_SEGMENTS, makeScratch, searchSplit, SPLIT_FIELDS, sumPacked, sumPairs } from './histogram.js';
import type { HistTeam } from './hist-team.js';

/**
 * Histograms of the nodes built together (one level, or one split) are cut into units that the
 * threads take from a shared counter: (node, row segment, group of up to seven features). A big
 * node is built as up to MAX_SEGMENTS row segments, each its own histogram, so that the threads
 * share the few big histograms at the top of a tree evenly (with whole nodes as units, one thread
 * waited on the other's last unit: about a tenth of training on 800,000 rows); segments are added
 * up in order after the build. How a node is cut depends on its rows, the features and the number
 * of nodes built with it, never on the number of threads, so neither do the sums.
 */
/** Units (segments x feature groups) a build aims for, so that two threads even out. */
const BUILD_UNITS = 8;
/** Fewest rows in a segment (adding up segments costs a histogram's worth per segment). */
const SEGMENT_MIN_ROWS = 4_096;
/** Rows per segment of a big node whatever the units (so that no unit is a big share of a level). */
const SEGMENT_ROWS = 65_536;

/**
 * A node is swept (built in one pass over all rows with the other swept nodes, in row order: see
 * sweepShare in histogram.ts) rather than built by its positions when the plan has sweeps (row
 * data beyond the processor's cache: see sweepPolicy), gradients are packed, and it holds less
 * than this share of the tree's rows: its rows are then too thin a scatter for a build by
 * positions to find more than one of them per cache line. Not tuned finely: 1/4 and 1/16 gave no
 * difference that single fits on 800,000 x 28 rows could tell from the machine's noise.
 */
const SWEEP_NODE_SHARE = 1 / 8;
/** ... and when the nodes to sweep hold at least this share of the rows together (a sweep reads every row's mark). */
const SWEEP_MIN_SHARE = 1 / 32;

/** A node whose histogram was built in segments: its slots in segment order, and the sibling to derive. */
interface SegmentMerge {
  readonly slots: number[];
  readonly into: number;
}

/** Gradient and hessian sums of histogram entries [from, end) (one feature's bins) into out*[0]. */
function histSums(hist: Float64Array, from: number, end: number, outG: Float64Array, outH: Float64Array): void {
  let G = 0;
  let H = 0;
  for (let o = from; o < end; o += HIST_STRIDE) {
    G += hist[o];
    H += hist[o + 1];
  }
  outG[0] = G;
  outH[0] = H;
}

/** Limits and penalties of one tree. */
export interface TreeConfig {
  /** 'depthwise' splits all open leaves of a level at once; 'leafwise' the best one. */
  readonly leafwise: boolean;
  /** Deepest level (Infinity for none). */
  readonly maxDepth: number;
  /** Most leaves. */
  readonly leafCap: number;
  readonly minChildWeight: number;
  readonly minSamplesLeaf: number;
  readonly minSplitGain: number;
  readonly l2: number;
  /** Fraction of the tree's features each split considers. */
  readonly colsampleByNode: number;
  /** True when the caller needs every leaf's rows (absolute loss: leaf medians). */
  readonly leafRows: boolean;
}

/**
 * Grows one histogram tree at a time over the binned rows of a HistTeam. A node's rows are, in
 * each row block, a contiguous range of positions (plan.nodeStart / nodeEnd) in one of the plan's
 * two position buffers (plan.nodeBuf; see BuildPlan). Only the smaller child of a split gets its
 * histogram built; the larger one is the parent minus it. Gradients were written by row (plan.gh)
 * and stay there.
 */
export class TreeBuilder {
  /** Nodes of the last grown tree (children of node i are child[i], child[i] + 1; -1 for a leaf). */
  nodeCount = 0;
  readonly child: Int32Array;
  /** Gradient and hessian sums per node (plan.nodeG, plan.nodeH). */
  readonly sumG: Float64Array;
  readonly sumH: Float64Array;
  private readonly depth: Int32Array;
  // Views of the plan's per-node arrays (rows, histogram slot, best split), which the threads'
  // split search reads and writes.
  private readonly count: Float64Array;
  private readonly slot: Int32Array;
  private readonly bGain: Float64Array;
  private readonly bFeat: Int32Array;
  private readonly bBin: Int32Array;
  private readonly bDefLeft: Int32Array;
  private readonly bGL: Float64Array;
  private readonly bHL: Float64Array;
  private readonly bCL: Float64Array;
  private readonly bCat: Uint32Array;
  /** This thread's scratch, and the features of one split when each split samples its own. */
  private readonly scratch = makeScratch();
  private readonly scratchSums = new Float64Array(2);
  private readonly nodeFeats: Int32Array;
  private readonly open: number[] = [];
  /** Nodes whose best split to search next, in ascending order. */
  private readonly needSplits: number[] = [];
  /**
   * Splits of the last level whose rows were not partitioned (entries [0, pending) of
   * plan.splits): the margin update sends their rows to the children itself. Their children are
   * marked in `unranged` (no row ranges; counts are estimates).
   */
  pending = 0;
  readonly unranged: Uint8Array;
  /** Jobs queued for the next build, and the segmented nodes to merge after it. */
  private nJobs = 0;
  /** Histograms to build next (node, slot, slot to derive or -1), before they are cut into jobs. */
  private readonly wanted: Int32Array;
  private readonly wantedOrder: Int32Array;
  private nWanted = 0;
  private readonly merges: SegmentMerge[] = [];
  private readonly catFeature: Uint8Array;
  /** Wanted histograms to sweep (node, slot, slot to derive or -1), and how many a sweep takes (0: no sweeps). */
  private readonly swept: Int32Array;
  private readonly sweepCap: number;

  constructor(
    private readonly team: HistTeam,
    private readonly featureBins: readonly FeatureBins[],
    private readonly cfg: TreeConfig,
  ) {
    const cap = 2 * cfg.leafCap + 1;
    const plan = team.plan;
    this.child = new Int32Array(cap);
    this.sumG = plan.nodeG;
    this.sumH = plan.nodeH;
    this.depth = new Int32Array(cap);
    this.count = plan.nodeC;
    this.slot = plan.nodeSlot;
    this.bGain = plan.bestGain;
    this.bFeat = plan.bestFeat;
    this.bBin = plan.bestBin;
    this.bDefLeft = plan.bestDefaultLeft;
    this.bGL = plan.bestGL;
    this.bHL = plan.bestHL;
    this.bCL = plan.bestCL;
    this.bCat = plan.catBits;
    for (let f = 0; f < featureBins.length; f++) {
      plan.nBins[f] = featureBins[f].nBins;
      plan.isCategory[f] = featureBins[f].kind === 'category' ? 1 : 0;
    }
    plan.fargs[FARG.l2] = cfg.l2;
    plan.fargs[FARG.minSamplesLeaf] = cfg.minSamplesLeaf;
    plan.fargs[FARG.minChildWeight] = cfg.minChildWeight;
    plan.fargs[FARG.minSplitGain] = cfg.minSplitGain;
    this.nodeFeats = new Int32Array(featureBins.length);
    this.catFeature = Uint8Array.from(featureBins, (b) => (b.kind === 'category' ? 1 : 0));
    this.unranged = new Uint8Array(cap);
    this.wanted = new Int32Array(3 * cap);
    this.wantedOrder = new Int32Array(cap);
    this.swept = new Int32Array(3 * cap);
    this.sweepCap = team.sweepCapacity;
  }

  /**
   * Grow a tree on the rows in plan.idx (plan.sampled[b] of them from plan.blockStart[b] in each
   * block) whose gradients and hessians are in plan.gh by row, using the features
   * treeFeats[0, nTreeFeats). `random` samples features per split when colsampleByNode < 1.
   */
  grow(treeFeats: Int32Array, nTreeFeats: number, random: RandomSource): void {
    const plan = this.team.plan;
    const { blocks, blockStart, sampled, nodeStart, nodeEnd } = plan;
    const cfg = this.cfg;
    plan.feats.set(treeFeats.subarray(0, nTreeFeats));
    let m = 0;
    for (let b = 0; b < blocks; b++) {
      nodeStart[b] = blockStart[b];
      nodeEnd[b] = blockStart[b] + sampled[b];
      m += sampled[b];
    }
    this.nodeCount = 1;
    this.pending = 0;
    this.unranged[0] = 0;
    this.depth[0] = 0;
    this.count[0] = m;
    this.child[0] = -1;
    this.bFeat[0] = -1;
    plan.nodeBuf[0] = 0;
    this.open.length = 0;
    let leaves = 1;
    if (nTreeFeats === 0 || !(cfg.maxDepth > 0 && m >= 2 * cfg.minSamplesLeaf)) {
      // A leaf whatever its sums: no histogram to read them from.
      const sums = this.scratchSums;
      sums[0] = 0;
      sums[1] = 0;
      const bits = plan.args[ARG.quant];
      for (let b = 0; b < blocks; b++) {
        if (bits > 0) sumPacked(plan.q, plan.idx, blockStart[b], blockStart[b] + sampled[b], bits, plan.args[ARG.qshift], sums);
        else sumPairs(plan.gh, plan.idx, blockStart[b], blockStart[b] + sampled[b], sums);
      }
      this.sumG[0] = sums[0];
      this.sumH[0] = sums[1];
      return;
    }
    // The root's sums are those of any one feature's histogram (every row falls in one of its
    // bins, the missing one included): no pass over the rows of their own, and the same sums
    // whatever the number of threads.
    this.slot[0] = this.team.acquire();
    this.want(0, this.slot[0], -1);
    this.flush(nTreeFeats);
    histSums(this.team.slots[this.slot[0]], plan.histOffsets[treeFeats[0]] * HIST_STRIDE, plan.histOffsets[treeFeats[0] + 1] * HIST_STRIDE, this.sumG, this.sumH);
    if (!this.canSplit(0)) {
      this.team.release(this.slot[0]);
      return;
    }
    this.needSplits.push(0);
    this.findSplits(treeFeats, nTreeFeats, random);

    const batch: number[] = [];
    const needHist: number[] = [];
    const release: number[] = [];
    while (this.open.length > 0 && leaves < cfg.leafCap) {
      // Choose what to split now: the best leaf, or (depthwise) the whole level by gain.
      batch.length = 0;
      if (cfg.leafwise) {
        let best = 0;
        for (let k = 1; k < this.open.length; k++) {
          const a = this.open[k];
          const b = this.open[best];
          if (this.bGain[a] > this.bGain[b] || (this.bGain[a] === this.bGain[b] && a < b)) best = k;
        }
        batch.push(this.open[best]);
        this.open.splice(best, 1);
      } else {
        this.open.sort((a, b) => this.bGain[b] - this.bGain[a] || a - b);
        const take = Math.min(this.open.length, cfg.leafCap - leaves);
        for (let k = 0; k < take; k++) batch.push(this.open[k]);
        for (let k = take; k < this.open.length; k++) this.team.release(this.slot[this.open[k]]);
        this.open.length = 0;
        batch.sort((a, b) => a - b);
      }
      for (let q = 0; q < batch.length; q++) this.describeSplit(q, batch[q]);
      if (!cfg.leafwise && !cfg.leafRows && this.depth[batch[0]] + 1 >= cfg.maxDepth) {
        // The last level (depthwise: the whole level is in the batch and its children cannot
        // split): moving every row only for the margin update to read the leaves' ranges would
        // cost a sixth of all partitioning, so the update applies these splits itself.
        this.pending = batch.length;
        for (const node of batch) {
          this.team.release(this.slot[node]);
          this.unranged[this.child[node]] = 1;
          this.unranged[this.child[node] + 1] = 1;
        }
        leaves += batch.length;
        break;
      }
      // Partition all of the batch at once (the threads take blocks of rows).
      this.team.partition(batch.length);
      // Children's row counts, exactly, from the partition (the split only estimated them).
      for (const node of batch) {
        const left = this.child[node];
        let c = 0;
        for (let b = 0; b < blocks; b++) c += nodeEnd[left * blocks + b] - nodeStart[left * blocks + b];
        this.count[left] = c;
        this.count[left + 1] = this.count[node] - c;
      }
      needHist.length = 0;
      release.length = 0;
      for (const node of batch) {
        const left = this.child[node];
        leaves++;
        const right = left + 1;
        const parentSlot = this.slot[node];
        const needL = this.canSplit(left) && leaves < cfg.leafCap;
        const needR = this.canSplit(right) && leaves < cfg.leafCap;
        if (!needL && !needR) {
          this.team.release(parentSlot);
          continue;
        }
        const small = this.count[left] <= this.count[right] ? left : right;
        const large = small === left ? right : left;
        const smallSlot = this.team.acquire();
        this.slot[small] = smallSlot;
        const needSmall = small === left ? needL : needR;
        const needLarge = small === left ? needR : needL;
        if (needLarge) {
          // The build turns the parent's histogram into the larger child's.
          this.slot[large] = parentSlot;
          this.want(small, smallSlot, parentSlot);
          needHist.push(large);
        } else {
          this.want(small, smallSlot, -1);
          this.team.release(parentSlot);
        }
        if (needSmall) needHist.push(small);
        else release.push(smallSlot); // once the build is done
      }
      if (this.nWanted > 0) this.flush(nTreeFeats);
      for (const slot of release) this.team.release(slot);
      needHist.sort((a, b) => a - b);
      for (const node of needHist) this.needSplits.push(node);
      this.findSplits(treeFeats, nTreeFeats, random);
    }
    for (const node of this.open) this.team.release(this.slot[node]);
    this.open.length = 0;
  }

  /** Build the histogram of `node` into `slot` with the next flush; `into` >= 0: then turn slot `into` (the parent's) into parent minus it. */
  private want(node: number, slot: number, into: number): void {
    const at = 3 * this.nWanted++;
    this.wanted[at] = node;
    this.wanted[at + 1] = slot;
    this.wanted[at + 2] = into;
  }

  /** Cut the wanted histograms into jobs (row segments; see BUILD_UNITS). */
  private queueWanted(nFeats: number): void {
    const groups = Math.ceil(nFeats / featureGroup(nFeats, this.team.plan.args[ARG.quant] > 0));
    const perNode = Math.ceil(BUILD_UNITS / (this.nWanted * groups));
    // Biggest first, so that the threads end together (the order of the jobs changes no sum).
    const order = this.wantedOrder;
    for (let q = 0; q < this.nWanted; q++) order[q] = q;
    order.subarray(0, this.nWanted).sort((a, b) => this.count[this.wanted[3 * b]] - this.count[this.wanted[3 * a]] || a - b);
    for (let o = 0; o < this.nWanted; o++) {
      const q = order[o];
      const node = this.wanted[3 * q];
      const slot = this.wanted[3 * q + 1];
      const into = this.wanted[3 * q + 2];
      const rows = this.count[node];
      const wanted = Math.max(perNode, Math.floor(rows / SEGMENT_ROWS));
      const segments = Math.max(1, Math.min(MAX_SEGMENTS, wanted, Math.floor(rows / SEGMENT_MIN_ROWS)));
      if (segments === 1) {
        this.job(node, slot, into, 0, rows);
        continue;
      }
      const slots = [slot];
      for (let k = 0; k < segments; k++) {
        const s = k === 0 ? slot : this.team.acquire();
        if (k > 0) slots.push(s);
        this.job(node, s, -1, Math.floor((k * rows) / segments), Math.floor(((k + 1) * rows) / segments));
      }
      this.merges.push({ slots, into });
    }
    this.nWanted = 0;
  }

  private job(node: number, slot: number, into: number, from: number, to: number): void {
    const at = this.nJobs++ * JOB_FIELDS;
    const jobs = this.team.plan.jobs;
    jobs[at] = node;
    jobs[at + 1] = slot;
    jobs[at + 2] = into;
    jobs[at + 3] = from;
    jobs[at + 4] = to;
  }

  /**
   * Move the wanted histograms to sweep (see SWEEP_NODE_SHARE) into `swept`; returns how many.
   * The choice depends on the rows of the nodes alone, and a swept histogram holds the sums a
   * build gives (packed sums are exact integers), so neither the threads nor this choice change
   * the model.
   */
  private takeSweep(): number {
    if (this.sweepCap < 2 || this.nWanted < 2 || this.team.plan.args[ARG.quant] <= 0) return 0;
    const m = this.count[0];
    let n = 0;
    let rows = 0;
    for (let q = 0; q < this.nWanted; q++) {
      const c = this.count[this.wanted[3 * q]];
      if (c < m * SWEEP_NODE_SHARE) {
        n++;
        rows += c;
      }
    }
    if (n < 2 || rows < m * SWEEP_MIN_SHARE) return 0;
    const wanted = this.wanted;
    let kept = 0;
    let taken = 0;
    for (let q = 0; q < this.nWanted; q++) {
      const at = 3 * q;
      const to = this.count[wanted[at]] < m * SWEEP_NODE_SHARE ? this.swept : wanted;
      const k = to === wanted ? 3 * kept++ : 3 * taken++;
      to[k] = wanted[at];
      to[k + 1] = wanted[at + 1];
      to[k + 2] = wanted[at + 2];
    }
    this.nWanted = kept;
    return taken;
  }

  /** Build the wanted histograms (some by sweeps), then add up segmented histograms in segment order (and derive their siblings). */
  private flush(nFeats: number): void {
    const nSweep = this.takeSweep();
    if (this.nWanted > 0) {
      this.queueWanted(nFeats);
      this.team.build(this.nJobs, nFeats);
      this.nJobs = 0;
    }
    const plan = this.team.plan;
    for (let at = 0; at < nSweep; at += this.sweepCap) {
      const count = Math.min(this.sweepCap, nSweep - at);
      plan.sweepNodes.set(this.swept.subarray(3 * at, 3 * (at + count)));
      this.team.sweep(count, nFeats);
    }
    if (this.merges.length === 0) return;
    const { feats, histOffsets } = this.team.plan;
    const slots = this.team.slots;
    for (const m of this.merges) {
      const hist = slots[m.slots[0]];
      const sibling = m.into >= 0 ? slots[m.into] : null;
      for (let q = 0; q < nFeats; q++) {
        const f = feats[q];
        const end = histOffsets[f + 1] * HIST_STRIDE;
        for (let k = 1; k < m.slots.length; k++) {
          const part = slots[m.slots[k]];
          for (let i = histOffsets[f] * HIST_STRIDE; i < end; i++) hist[i] += part[i];
        }
        if (sibling !== null) for (let i = histOffsets[f] * HIST_STRIDE; i < end; i++) sibling[i] -= hist[i];
      }
      for (let k = 1; k < m.slots.length; k++) this.team.release(m.slots[k]);
    }
    this.merges.length = 0;
  }

  /** Rows of `node` (over all blocks). */
  rowsOf(node: number): number {
    return this.count[node];
  }

  private canSplit(node: number): boolean {
    const cfg = this.cfg;
    return this.depth[node] < cfg.maxDepth && this.count[node] >= 2 * cfg.minSamplesLeaf && this.sumH[node] >= 2 * cfg.minChildWeight;
  }

  /**
   * Find the best split of each node of needSplits from its histogram (bFeat[node] = -1 when none
   * is worth it); nodes with one go on the open list, the others give their histogram back.
   * The threads share the search, a node each, unless each split samples its own features (drawn
   * here, in node order, so that a seed gives the same model whatever the threads).
   */
  private findSplits(treeFeats: Int32Array, nTreeFeats: number, random: RandomSource): void {
    const cfg = this.cfg;
    const plan = this.team.plan;
    const nodes = this.needSplits;
    if (cfg.colsampleByNode < 1) {
      const feats = this.nodeFeats;
      const k = Math.max(1, Math.round(cfg.colsampleByNode * nTreeFeats));
      for (const node of nodes) {
        feats.set(treeFeats.subarray(0, nTreeFeats));
        for (let i = 0; i < k; i++) {
          const j = i + Math.floor(random() * (nTreeFeats - i));
          const t = feats[i];
          feats[i] = feats[j];
          feats[j] = t;
        }
        searchSplit(plan, this.team.slots, node, feats, 0, k, this.scratch);
      }
    } else if (nodes.length === 1) {
      searchSplit(plan, this.team.slots, nodes[0], plan.feats, 0, nTreeFeats, this.scratch);
    } else {
      for (let q = 0; q < nodes.length; q++) plan.todo[q] = nodes[q];
      this.team.split(nodes.length, nTreeFeats);
    }
    for (const node of nodes) {
      if (this.bFeat[node] >= 0) this.open.push(node);
      else this.team.release(this.slot[node]);
    }
    nodes.length = 0;
  }

  /**
   * Entry q of plan.splits: `node`'s best split, with its children allocated (left, then right);
   * the children's sums come from the split, their row ranges from the partition.
   */
  private describeSplit(q: number, node: number): void {
    const plan = this.team.plan;
    const f = this.bFeat[node];
    const left = this.nodeCount;
    this.nodeCount += 2;
    this.child[node] = left;
    const at = q * SPLIT_FIELDS;
    plan.splits[at] = node;
    plan.splits[at + 1] = left;
    plan.splits[at + 2] = f;
    plan.splits[at + 3] = this.bBin[node];
    plan.splits[at + 4] = this.featureBins[f].nBins;
    plan.splits[at + 5] = this.bDefLeft[node];
    plan.splits[at + 6] = this.catFeature[f];
    // The left child's rows stay in the node's position buffer, the right child's go to the other.
    plan.nodeBuf[left] = plan.nodeBuf[node];
    plan.nodeBuf[left + 1] = 1 - plan.nodeBuf[node];
    const d = this.depth[node] + 1;
    const CL = this.bCL[node];
    this.init(left, CL, d, this.bGL[node], this.bHL[node]);
    this.init(left + 1, this.count[node] - CL, d, this.sumG[node] - this.bGL[node], this.sumH[node] - this.bHL[node]);
  }

  private init(node: number, count: number, depth: number, G: number, H: number): void {
    this.unranged[node] = 0;
    this.count[node] = count;
    this.depth[node] = depth;
    this.sumG[node] = G;
    this.sumH[node] = H;
    this.child[node] = -1;
    this.bFeat[node] = -1;
  }

  /** Leaf of the last tree reached by training row `r` (through the bins). */
  binnedLeaf(r: number): number {
    const bins = this.team.plan.bins;
    const rows = this.team.plan.rows;
    let node = 0;
    while (this.child[node] >= 0) {
      const f = this.bFeat[node];
      const b = bins[f * rows + r];
      let goLeft: boolean;
      if (this.catFeature[f] === 0) {
        goLeft = b <= this.bBin[node] || (this.bDefLeft[node] === 1 && b === this.featureBins[f].nBins);
      } else {
        goLeft = ((this.bCat[node * CAT_WORDS + (b >>> 5)] >>> (b & 31)) & 1) === 1;
      }
      node = goLeft ? this.child[node] : this.child[node] + 1;
    }
    return node;
  }

  /**
   * Append the last tree to `ensemble` with leaf values `values` (by node), adding to `output`;
   * its splits' gains and counts are added to `gain` and `splits` by feature.
   */
  commit(ensemble: Ensemble, values: Float64Array, output: number, gain: Float64Array, splits: Float64Array): void {
    const n = this.nodeCount;
    const base = ensemble.addNodes(n);
    for (let i = 0; i < n; i++) {
      const at = base + i;
      const c = this.child[i];
      ensemble.catOffset[at] = -1;
      ensemble.catCount[at] = 0;
      ensemble.defaultLeft[at] = 0;
      ensemble.threshold[at] = 0;
      if (c < 0) {
        ensemble.feature[at] = -1;
        ensemble.left[at] = -1;
        ensemble.value[at] = values[i];
        continue;
      }
      const f = this.bFeat[i];
      const fb = this.featureBins[f];
      ensemble.feature[at] = f;
      ensemble.left[at] = base + c;
      ensemble.value[at] = 0;
      ensemble.defaultLeft[at] = this.bDefLeft[i];
      gain[f] += this.bGain[i];
      splits[f] += 1;
      if (fb.kind === 'category') {
        // Bins → level codes: a level goes where its bin goes (rare levels share the missing bin).
        const levels = fb.levelBin.length;
        const off = ensemble.addCatWords((levels + 31) >>> 5);
        ensemble.catOffset[at] = off;
        ensemble.catCount[at] = levels;
        for (let w = 0; w < (levels + 31) >>> 5; w++) ensemble.catBits[off + w] = 0;
        for (let code = 0; code < levels; code++) {
          const b = fb.levelBin[code];
          if (((this.bCat[i * CAT_WORDS + (b >>> 5)] >>> (b & 31)) & 1) === 1) ensemble.catBits[off + (code >>> 5)] |= 1 << (code & 31);
        }
      } else {
        const b = this.bBin[i];
        ensemble.threshold[at] = b < fb.edges.length ? fb.edges[b] : Infinity;
      }
    }
    ensemble.addTree(base, output);
  }
}
