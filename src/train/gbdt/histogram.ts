/** Float64 values per histogram bin: gradient sum, hessian sum, row count. */
export const HIST_STRIDE = 3;

/**
 * Accumulate the rows idx[start, end) into the histogram of one feature. The feature's bins are
 * bins[colOffset + row]; gradients were gathered in position order (og[i] belongs to idx[i]) so
 * that only the bin lookup is a scattered read. The histogram region must be cleared first.
 */
export function accumulateFeature(
  bins: Uint8Array,
  colOffset: number,
  idx: Int32Array,
  start: number,
  end: number,
  og: Float32Array,
  oh: Float32Array,
  hist: Float64Array,
  histOffset: number,
): void {
  for (let i = start; i < end; i++) {
    const o = histOffset + bins[colOffset + idx[i]] * 3;
    hist[o] += og[i];
    hist[o + 1] += oh[i];
    hist[o + 2] += 1;
  }
}

/** Shared layout of one histogram build: the jobs (start, end, slot triples) and the features to build. */
export interface BuildPlan {
  /** Column-major bins of all features (rows per column = `rows`). */
  readonly bins: Uint8Array;
  readonly rows: number;
  /** Row indices, grouped into contiguous ranges per node. */
  readonly idx: Int32Array;
  /** Gradients and hessians gathered per position of `idx`. */
  readonly og: Float32Array;
  readonly oh: Float32Array;
  /** Bin offset of each feature in a histogram (feature f spans histOffsets[f] .. histOffsets[f + 1]). */
  readonly histOffsets: Int32Array;
  /** Triples (start, end, slot). */
  readonly jobs: Int32Array;
  /** Features to build. */
  readonly feats: Int32Array;
}

/**
 * Accumulate rows idx[start, end) into the histograms of four features at once, so the row index
 * and its gradient are loaded once for the four (the four regions must be cleared first).
 */
export function accumulateFour(
  bins: Uint8Array,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  idx: Int32Array,
  start: number,
  end: number,
  og: Float32Array,
  oh: Float32Array,
  hist: Float64Array,
  h0: number,
  h1: number,
  h2: number,
  h3: number,
): void {
  for (let i = start; i < end; i++) {
    const r = idx[i];
    const g = og[i];
    const h = oh[i];
    const o0 = h0 + bins[c0 + r] * 3;
    const o1 = h1 + bins[c1 + r] * 3;
    const o2 = h2 + bins[c2 + r] * 3;
    const o3 = h3 + bins[c3 + r] * 3;
    hist[o0] += g;
    hist[o0 + 1] += h;
    hist[o0 + 2] += 1;
    hist[o1] += g;
    hist[o1 + 1] += h;
    hist[o1 + 2] += 1;
    hist[o2] += g;
    hist[o2 + 1] += h;
    hist[o2 + 2] += 1;
    hist[o3] += g;
    hist[o3 + 1] += h;
    hist[o3 + 2] += 1;
  }
}

/** Features per unit of work: four share one pass over the rows. */
const GROUP = 4;

/**
 * Build the share of thread `thread` of `threads`: units (job j, group of four features q) with
 * (j * groups + q) % threads === thread, each into histogram slot `slots[jobs[3j + 2]]`.
 */
export function buildShare(plan: BuildPlan, nJobs: number, nFeats: number, slots: readonly Float64Array[], thread: number, threads: number): void {
  const { bins, rows, idx, og, oh, histOffsets, jobs, feats } = plan;
  const groups = Math.ceil(nFeats / GROUP);
  for (let j = 0; j < nJobs; j++) {
    const start = jobs[3 * j];
    const end = jobs[3 * j + 1];
    const hist = slots[jobs[3 * j + 2]];
    for (let q = 0; q < groups; q++) {
      if ((j * groups + q) % threads !== thread) continue;
      const first = q * GROUP;
      const last = Math.min(nFeats, first + GROUP);
      for (let k = first; k < last; k++) hist.fill(0, histOffsets[feats[k]] * 3, histOffsets[feats[k] + 1] * 3);
      if (last - first === GROUP) {
        const f0 = feats[first];
        const f1 = feats[first + 1];
        const f2 = feats[first + 2];
        const f3 = feats[first + 3];
        accumulateFour(bins, f0 * rows, f1 * rows, f2 * rows, f3 * rows, idx, start, end, og, oh, hist, histOffsets[f0] * 3, histOffsets[f1] * 3, histOffsets[f2] * 3, histOffsets[f3] * 3);
      } else {
        for (let k = first; k < last; k++) {
          const f = feats[k];
          accumulateFeature(bins, f * rows, idx, start, end, og, oh, hist, histOffsets[f] * 3);
        }
      }
    }
  }
}
