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
 * Build the share of thread `thread` of `threads`: units (job j, feature k) with
 * (j * nFeats + k) % threads === thread, each into histogram slot `slots[jobs[3j + 2]]`.
 */
export function buildShare(plan: BuildPlan, nJobs: number, nFeats: number, slots: readonly Float64Array[], thread: number, threads: number): void {
  const { bins, rows, idx, og, oh, histOffsets, jobs, feats } = plan;
  for (let j = 0; j < nJobs; j++) {
    const start = jobs[3 * j];
    const end = jobs[3 * j + 1];
    const hist = slots[jobs[3 * j + 2]];
    for (let k = 0; k < nFeats; k++) {
      if ((j * nFeats + k) % threads !== thread) continue;
      const f = feats[k];
      const from = histOffsets[f] * 3;
      hist.fill(0, from, histOffsets[f + 1] * 3);
      accumulateFeature(bins, f * rows, idx, start, end, og, oh, hist, from);
    }
  }
}
