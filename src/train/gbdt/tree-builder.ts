import type { RandomSource } from '../../data/random.js';
import type { FeatureBins } from './binning.js';
import type { Ensemble } from './ensemble.js';
import { CAT_WORDS, HIST_STRIDE, JOB_FIELDS, MAX_SEGMENTS, SPLIT_FIELDS } from './histogram.js';
import type { HistTeam } from './hist-team.js';

/**
 * Rows per segment of a big node's histogram: a node of C rows is built as
 * min(MAX_SEGMENTS, floor(C / SEGMENT_ROWS)) row segments, each its own job, so that the threads
 * share the few big histograms at the top of a tree evenly (with whole nodes as units, one thread
 * waited on the other's last unit: about a tenth of training on 800,000 rows). Segments are merged
 * in order after the build, so the sums depend on the rows only, not on the threads.
 */
const SEGMENT_ROWS = 65_536;

/** A node whose histogram was built in segments: its slots in segment order, and the sibling to derive. */
interface SegmentMerge {
  readonly slots: number[];
  readonly into: number;
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
 * each row block, a contiguous range of team.plan.idx (plan.nodeStart / nodeEnd; stable partitions
 * keep them ascending). Only the smaller child of a split gets its histogram built; the larger one
 * is the parent minus it. Gradients were written by position (plan.og, plan.oh) and move with the rows.
 */
export class TreeBuilder {
  /** Nodes of the last grown tree (children of node i are child[i], child[i] + 1; -1 for a leaf). */
  nodeCount = 0;
  readonly child: Int32Array;
  readonly sumG: Float64Array;
  readonly sumH: Float64Array;
  private readonly depth: Int32Array;
  private readonly count: Float64Array;
  private readonly slot: Int32Array;
  private readonly bGain: Float64Array;
  private readonly bFeat: Int32Array;
  private readonly bBin: Int32Array;
  private readonly bDefLeft: Uint8Array;
  private readonly bGL: Float64Array;
  private readonly bHL: Float64Array;
  private readonly bCL: Float64Array;
  private readonly bCat: Uint32Array;
  private readonly catOrder = new Int32Array(257);
  private readonly catKey = new Float64Array(257);
  private readonly nodeFeats: Int32Array;
  private readonly open: number[] = [];
  /**
   * Splits of the last level whose rows were not partitioned (entries [0, pending) of
   * plan.splits): the margin update sends their rows to the children itself. Their children are
   * marked in `unranged` (no row ranges; counts are estimates).
   */
  pending = 0;
  readonly unranged: Uint8Array;
  /** Jobs queued for the next build, and the segmented nodes to merge after it. */
  private nJobs = 0;
  private readonly merges: SegmentMerge[] = [];
  private readonly catFeature: Uint8Array;

  constructor(
    private readonly team: HistTeam,
    private readonly featureBins: readonly FeatureBins[],
    private readonly cfg: TreeConfig,
  ) {
    const cap = 2 * cfg.leafCap + 1;
    this.child = new Int32Array(cap);
    this.sumG = new Float64Array(cap);
    this.sumH = new Float64Array(cap);
    this.depth = new Int32Array(cap);
    this.count = new Float64Array(cap);
    this.slot = new Int32Array(cap);
    this.bGain = new Float64Array(cap);
    this.bFeat = new Int32Array(cap);
    this.bBin = new Int32Array(cap);
    this.bDefLeft = new Uint8Array(cap);
    this.bGL = new Float64Array(cap);
    this.bHL = new Float64Array(cap);
    this.bCL = new Float64Array(cap);
    this.bCat = team.plan.catBits;
    this.nodeFeats = new Int32Array(featureBins.length);
    this.catFeature = Uint8Array.from(featureBins, (b) => (b.kind === 'category' ? 1 : 0));
    this.unranged = new Uint8Array(cap);
  }

  /**
   * Grow a tree on the rows in plan.idx (plan.sampled[b] of them from plan.blockStart[b] in each
   * block) whose gradients and hessians are in plan.og / plan.oh by position, using the features
   * treeFeats[0, nTreeFeats). `random` samples features per split when colsampleByNode < 1.
   */
  grow(treeFeats: Int32Array, nTreeFeats: number, random: RandomSource): void {
    const plan = this.team.plan;
    const { og, oh, blocks, blockStart, sampled, nodeStart, nodeEnd } = plan;
    const cfg = this.cfg;
    plan.feats.set(treeFeats.subarray(0, nTreeFeats));
    // Root sums over the rows in order (blocks in order), the same whatever the number of blocks
    // or threads: four running sums a row apart (a single one waits for each addition to finish
    // before the next), added at the end.
    let G0 = 0;
    let G1 = 0;
    let G2 = 0;
    let G3 = 0;
    let H0 = 0;
    let H1 = 0;
    let H2 = 0;
    let H3 = 0;
    let m = 0;
    for (let b = 0; b < blocks; b++) {
      const s = blockStart[b];
      const e = s + sampled[b];
      let i = s;
      for (; i + 3 < e; i += 4) {
        G0 += og[i];
        H0 += oh[i];
        G1 += og[i + 1];
        H1 += oh[i + 1];
        G2 += og[i + 2];
        H2 += oh[i + 2];
        G3 += og[i + 3];
        H3 += oh[i + 3];
      }
      for (; i < e; i++) {
        G0 += og[i];
        H0 += oh[i];
      }
      nodeStart[b] = s;
      nodeEnd[b] = e;
      m += e - s;
    }
    const G = G0 + G1 + (G2 + G3);
    const H = H0 + H1 + (H2 + H3);
    this.nodeCount = 1;
    this.pending = 0;
    this.unranged[0] = 0;
    this.depth[0] = 0;
    this.sumG[0] = G;
    this.sumH[0] = H;
    this.count[0] = m;
    this.child[0] = -1;
    this.bFeat[0] = -1;
    this.open.length = 0;
    let leaves = 1;
    if (!this.canSplit(0)) return;
    this.slot[0] = this.team.acquire();
    this.queue(0, this.slot[0], -1);
    this.flush(nTreeFeats);
    this.findSplit(0, treeFeats, nTreeFeats, random);
    if (this.bFeat[0] >= 0) this.open.push(0);
    else this.team.release(this.slot[0]);

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
          this.queue(small, smallSlot, parentSlot);
          needHist.push(large);
        } else {
          this.queue(small, smallSlot, -1);
          this.team.release(parentSlot);
        }
        if (needSmall) needHist.push(small);
        else release.push(smallSlot); // once the build is done
      }
      if (this.nJobs > 0) this.flush(nTreeFeats);
      for (const slot of release) this.team.release(slot);
      needHist.sort((a, b) => a - b);
      for (const node of needHist) {
        this.findSplit(node, treeFeats, nTreeFeats, random);
        if (this.bFeat[node] >= 0) this.open.push(node);
        else this.team.release(this.slot[node]);
      }
    }
    for (const node of this.open) this.team.release(this.slot[node]);
    this.open.length = 0;
  }

  /** Queue the histogram of `node` into `slot`; `into` >= 0: then turn slot `into` (the parent's) into parent minus it. */
  private queue(node: number, slot: number, into: number): void {
    const rows = this.count[node];
    const segments = Math.max(1, Math.min(MAX_SEGMENTS, Math.floor(rows / SEGMENT_ROWS)));
    if (segments === 1) {
      this.job(node, slot, into, 0, rows);
      return;
    }
    const slots = [slot];
    for (let k = 0; k < segments; k++) {
      const s = k === 0 ? slot : this.team.acquire();
      if (k > 0) slots.push(s);
      this.job(node, s, -1, Math.floor((k * rows) / segments), Math.floor(((k + 1) * rows) / segments));
    }
    this.merges.push({ slots, into });
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

  /** Build the queued jobs, then add up segmented histograms in segment order (and derive their siblings). */
  private flush(nFeats: number): void {
    this.team.build(this.nJobs, nFeats);
    this.nJobs = 0;
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

  /** Find the best split of `node` from its histogram; bFeat[node] = -1 when none is worth it. */
  private findSplit(node: number, treeFeats: Int32Array, nTreeFeats: number, random: RandomSource): void {
    const cfg = this.cfg;
    const hist = this.team.slots[this.slot[node]];
    const offsets = this.team.plan.histOffsets;
    const G = this.sumG[node];
    const H = this.sumH[node];
    const C = this.count[node];
    const l2 = cfg.l2;
    // Histograms keep no row counts: a side's rows are estimated from its hessian as
    // hessian * rows / hessian of the node (LightGBM's way; exact for squared loss, where every
    // hessian is 1), rounded, so minSamplesLeaf is held approximately for other losses. The child's
    // real count is known after the partition.
    const perHessian = H > 0 ? C / H : 0;
    const msl = cfg.minSamplesLeaf - 0.5;
    // A bin's hessian sum below this is a rounding residue of histogram subtraction, not rows.
    const present = H * 1e-12;
    const mcw = cfg.minChildWeight;
    const parent = (G * G) / (H + l2);
    let bestGain = cfg.minSplitGain;
    let bestFeat = -1;
    let nFeats = nTreeFeats;
    const feats = this.nodeFeats;
    feats.set(treeFeats.subarray(0, nTreeFeats));
    if (cfg.colsampleByNode < 1) {
      const k = Math.max(1, Math.round(cfg.colsampleByNode * nTreeFeats));
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(random() * (nTreeFeats - i));
        const t = feats[i];
        feats[i] = feats[j];
        feats[j] = t;
      }
      nFeats = k;
    }
    const catBase = node * CAT_WORDS;
    for (let q = 0; q < nFeats; q++) {
      const f = feats[q];
      const nb = this.featureBins[f].nBins;
      const off = offsets[f] * HIST_STRIDE;
      const mo = off + nb * HIST_STRIDE;
      const Gm = hist[mo];
      const Hm = hist[mo + 1];
      const Cm = Hm > present ? Hm * perHessian : 0;
      if (this.catFeature[f] === 0) {
        let GL = 0;
        let HL = 0;
        let CL = 0;
        for (let b = 0; b < nb; b++) {
          const o = off + b * HIST_STRIDE;
          GL += hist[o];
          HL += hist[o + 1];
          CL = HL * perHessian;
          if (b < nb - 1 || Cm > 0) {
            // Missing values to the right.
            const gain = splitGain(GL, HL, CL, G, H, C, l2, msl, mcw, parent);
            if (gain > bestGain) {
              bestGain = gain;
              bestFeat = f;
              this.keep(node, b, Cm > 0 ? 0 : HL >= H - HL ? 1 : 0, GL, HL, CL);
            }
          }
          if (Cm > 0 && b < nb - 1) {
            // Missing values to the left.
            const gain = splitGain(GL + Gm, HL + Hm, CL + Cm, G, H, C, l2, msl, mcw, parent);
            if (gain > bestGain) {
              bestGain = gain;
              bestFeat = f;
              this.keep(node, b, 1, GL + Gm, HL + Hm, CL + Cm);
            }
          }
        }
      } else {
        // Categories (with missing as one more) sorted by gradient / hessian; the best prefix goes left.
        const order = this.catOrder;
        const key = this.catKey;
        let cnt = 0;
        for (let b = 0; b <= nb; b++) {
          const o = off + b * HIST_STRIDE;
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
          const o = off + order[k] * HIST_STRIDE;
          GL += hist[o];
          HL += hist[o + 1];
          CL = HL * perHessian;
          const gain = splitGain(GL, HL, CL, G, H, C, l2, msl, mcw, parent);
          if (gain > bestGain) {
            bestGain = gain;
            bestFeat = f;
            const bits = this.bCat;
            bits.fill(0, catBase, catBase + CAT_WORDS);
            for (let j = 0; j <= k; j++) bits[catBase + (order[j] >>> 5)] |= 1 << (order[j] & 31);
            // No missing rows here: send missing values (and unseen levels) to the larger side.
            if (Cm === 0 && HL >= H - HL) bits[catBase + (nb >>> 5)] |= 1 << (nb & 31);
            this.keep(node, k + 1, (bits[catBase + (nb >>> 5)] >>> (nb & 31)) & 1, GL, HL, CL);
          }
        }
      }
    }
    this.bFeat[node] = bestFeat;
    this.bGain[node] = bestGain;
  }

  /** Record the best split of `node` so far (its children's sums and estimated left rows). */
  private keep(node: number, bin: number, defaultLeft: number, GL: number, HL: number, CL: number): void {
    this.bBin[node] = bin;
    this.bDefLeft[node] = defaultLeft;
    this.bGL[node] = GL;
    this.bHL[node] = HL;
    this.bCL[node] = CL;
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
