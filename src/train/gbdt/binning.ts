import type { FeatureMatrix } from '../../data/dataset.js';

/** How one feature maps onto histogram bins. The missing bin is always `nBins`. */
export interface FeatureBins {
  /** 'ignored' for text features, which trees do not use. */
  readonly kind: 'number' | 'category' | 'ignored';
  /** Number features: ascending upper edges; a value v falls in the first bin b with v <= edges[b], else the last. */
  readonly edges: Float64Array;
  /** Value bins (the missing bin comes after them). */
  readonly nBins: number;
  /** Category features: bin of each level code (rare levels beyond maxBins share the missing bin). */
  readonly levelBin: Int32Array;
}

/** Rows sampled (evenly spaced) to place the quantile edges, as scikit-learn does. */
const EDGE_SAMPLE = 200_000;

function numberBins(values: Float64Array, maxBins: number): FeatureBins {
  const n = values.length;
  const step = n > EDGE_SAMPLE ? n / EDGE_SAMPLE : 1;
  const sample = new Float64Array(Math.min(n, EDGE_SAMPLE));
  let m = 0;
  for (let k = 0; k < sample.length; k++) {
    const v = values[Math.floor(k * step)];
    if (v === v) sample[m++] = v;
  }
  const s = sample.subarray(0, m).sort();
  let distinct = 0;
  for (let i = 0; i < m; i++) if (i === 0 || s[i] !== s[i - 1]) distinct++;
  const edges: number[] = [];
  if (distinct <= maxBins) {
    // Few distinct values: one bin each, cut half way between neighbours.
    let prev = s[0];
    for (let i = 1; i < m; i++) {
      if (s[i] !== prev) {
        edges.push(prev + (s[i] - prev) / 2);
        prev = s[i];
      }
    }
  } else {
    // Quantiles of the rows, cut half way between the neighbouring sorted values.
    const max = s[m - 1];
    for (let k = 1; k < maxBins; k++) {
      const pos = Math.floor((k * m) / maxBins);
      const lo = s[pos - 1];
      const hi = s[pos];
      const edge = lo === hi ? lo : lo + (hi - lo) / 2;
      if (edge >= max) break;
      if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
    }
  }
  return { kind: 'number', edges: Float64Array.from(edges), nBins: edges.length + 1, levelBin: new Int32Array(0) };
}

function categoryBins(codes: Int32Array, levels: number, maxBins: number): FeatureBins {
  const levelBin = new Int32Array(levels);
  if (levels <= maxBins) {
    for (let c = 0; c < levels; c++) levelBin[c] = c;
    return { kind: 'category', edges: new Float64Array(0), nBins: Math.max(levels, 1), levelBin };
  }
  // Too many levels: the most frequent keep a bin of their own, the rest go with missing values.
  const counts = new Float64Array(levels);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) counts[codes[i]]++;
  const order = Array.from({ length: levels }, (_, c) => c).sort((a, b) => counts[b] - counts[a] || a - b);
  levelBin.fill(maxBins);
  for (let k = 0; k < maxBins; k++) levelBin[order[k]] = k;
  return { kind: 'category', edges: new Float64Array(0), nBins: maxBins, levelBin };
}

/** Learn the bins of every feature of `x`: quantiles for numbers, one bin per level for categories. */
export function fitBins(x: FeatureMatrix, maxBins: number): FeatureBins[] {
  return x.columns.map((c): FeatureBins => {
    if (c.kind === 'number') return numberBins(c.values, maxBins);
    if (c.kind === 'category') return categoryBins(c.codes, c.levels.length, maxBins);
    return { kind: 'ignored', edges: new Float64Array(0), nBins: 1, levelBin: new Int32Array(0) };
  });
}

/** Bin of a number under `edges` (binary search for the first edge >= v); NaN → missing bin. */
export function numberBin(v: number, edges: Float64Array): number {
  if (v !== v) return edges.length + 1;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function binNumbers(values: Float64Array, edges: Float64Array, out: Uint8Array, offset: number): void {
  const n = values.length;
  const missing = edges.length + 1;
  const e = edges.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== v) {
      out[offset + i] = missing;
      continue;
    }
    let lo = 0;
    let hi = e;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= edges[mid]) hi = mid;
      else lo = mid + 1;
    }
    out[offset + i] = lo;
  }
}

/**
 * Bin every feature of `x` into `out`, column-major (feature f at [f * rows, (f + 1) * rows));
 * `out` may live on a SharedArrayBuffer that histogram workers read.
 */
export function binMatrix(x: FeatureMatrix, bins: readonly FeatureBins[], out: Uint8Array): void {
  const n = x.rows;
  x.columns.forEach((c, f) => {
    const b = bins[f];
    const offset = f * n;
    if (c.kind === 'number') binNumbers(c.values, b.edges, out, offset);
    else if (c.kind === 'category') {
      const missing = b.nBins;
      const levelBin = b.levelBin;
      for (let i = 0; i < n; i++) {
        const code = c.codes[i];
        out[offset + i] = code >= 0 && code < levelBin.length ? levelBin[code] : missing;
      }
    }
  });
}
