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

/** True when `s[0, m)` holds at most `limit` distinct values (stops counting past the limit). */
function fewDistinct(s: Float64Array, m: number, limit: number): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < m; i++) {
    seen.add(s[i]);
    if (seen.size > limit) return false;
  }
  return true;
}

/** Buckets for order statistics: the sample is spread over this many equal-width value ranges. */
const BUCKETS = 4096;

/**
 * Values by bucket, for order statistics without sorting the whole sample: values are scattered
 * into equal-width buckets (a monotone map, so bucket order is value order) and only the buckets
 * holding a requested rank get sorted (`valueAt`). A sorted array is the one-bucket case.
 */
interface Ranked {
  readonly buckets: number;
  /** Bucket b holds byBucket[start[b], start[b + 1]). */
  readonly start: Int32Array;
  readonly byBucket: Float64Array;
  /** 1 once a bucket is sorted. */
  readonly sorted: Uint8Array;
}

/** `s[0, m)` (finite values between min and max) scattered into BUCKETS buckets. */
function orderStatistics(s: Float64Array, m: number, min: number, max: number): Ranked {
  const scale = BUCKETS / (max - min);
  const start = new Int32Array(BUCKETS + 1);
  countBuckets(s, m, min, scale, start);
  const byBucket = new Float64Array(m);
  scatter(s, m, min, scale, start.slice(0, BUCKETS), byBucket);
  return { buckets: BUCKETS, start, byBucket, sorted: new Uint8Array(BUCKETS) };
}

/** start[b + 1] = values of s[0, m) in buckets up to b. */
function countBuckets(s: Float64Array, m: number, min: number, scale: number, start: Int32Array): void {
  const last = BUCKETS - 1;
  for (let i = 0; i < m; i++) start[Math.min(last, Math.floor((s[i] - min) * scale)) + 1]++;
  for (let b = 0; b < BUCKETS; b++) start[b + 1] += start[b];
}

/** Each value of s[0, m) into the next free slot of its bucket. */
function scatter(s: Float64Array, m: number, min: number, scale: number, fill: Int32Array, byBucket: Float64Array): void {
  const last = BUCKETS - 1;
  for (let i = 0; i < m; i++) {
    const v = s[i];
    byBucket[fill[Math.min(last, Math.floor((v - min) * scale))]++] = v;
  }
}

/** The value a full sort would put at `rank`. */
function valueAt(r: Ranked, rank: number): number {
  // The bucket b with start[b] <= rank < start[b + 1].
  const start = r.start;
  let lo = 0;
  let hi = r.buckets - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (start[mid] <= rank) lo = mid;
    else hi = mid - 1;
  }
  if (r.sorted[lo] === 0) {
    r.byBucket.subarray(start[lo], start[lo + 1]).sort();
    r.sorted[lo] = 1;
  }
  return r.byBucket[rank];
}

/**
 * Evenly spaced rows of `values` (every value when there are at most EDGE_SAMPLE) without the
 * missing ones into `sample`; returns how many, and their range in range[0], range[1].
 * (Its own function, like the loops below, so that V8 optimises each loop once rather than
 * entering numberBins' loop half-way for every feature and throwing that code away at its first
 * untried call: a one-off measurement while writing this put fitting the bins of 160,000 rows x
 * 28 features at 140-190 ms that way.)
 */
function sampleValues(values: Float64Array, sample: Float64Array, range: Float64Array): number {
  const n = values.length;
  const step = n > EDGE_SAMPLE ? n / EDGE_SAMPLE : 1;
  let m = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < sample.length; k++) {
    const v = values[Math.floor(k * step)];
    if (v === v) {
      sample[m++] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  range[0] = min;
  range[1] = max;
  return m;
}

/** Cuts half way between the neighbouring distinct values of the sorted s[0, m). */
function midpointEdges(s: Float64Array, m: number, edges: number[]): void {
  let prev = s[0];
  for (let i = 1; i < m; i++) {
    if (s[i] !== prev) {
      edges.push(prev + (s[i] - prev) / 2);
      prev = s[i];
    }
  }
}

function numberBins(values: Float64Array, maxBins: number): FeatureBins {
  const sample = new Float64Array(Math.min(values.length, EDGE_SAMPLE));
  const range = new Float64Array(2);
  const m = sampleValues(values, sample, range);
  const min = range[0];
  const max = range[1];
  const edges: number[] = [];
  if (fewDistinct(sample, m, maxBins) || !(Number.isFinite(min) && Number.isFinite(max))) {
    const s = sample.subarray(0, m).sort();
    let distinct = 0;
    for (let i = 0; i < m; i++) if (i === 0 || s[i] !== s[i - 1]) distinct++;
    // Few distinct values: one bin each, cut half way between neighbours.
    if (distinct <= maxBins) midpointEdges(s, m, edges);
    else quantileEdges({ buckets: 1, start: Int32Array.of(0, m), byBucket: s, sorted: Uint8Array.of(1) }, m, maxBins, edges);
  } else {
    quantileEdges(orderStatistics(sample, m, min, max), m, maxBins, edges);
  }
  return { kind: 'number', edges: Float64Array.from(edges), nBins: edges.length + 1, levelBin: new Int32Array(0) };
}

/** Quantiles of the rows, cut half way between the neighbouring sorted values (of m ranked in r). */
function quantileEdges(r: Ranked, m: number, maxBins: number, edges: number[]): void {
  const max = valueAt(r, m - 1);
  for (let k = 1; k < maxBins; k++) {
    const pos = Math.floor((k * m) / maxBins);
    const lo = valueAt(r, pos - 1);
    const hi = valueAt(r, pos);
    const edge = lo === hi ? lo : lo + (hi - lo) / 2;
    if (edge >= max) break;
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
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

/** Edges padded with +Infinity to 256 entries, so that a search always takes eight equal steps. */
const PADDED = 256;

/** Buckets of binNumbers' lookup table. */
const LOOKUP_BUCKETS = 2048;
/** Most edges in one bucket for the lookup to be used (else the binary search). */
const LOOKUP_MAX_SCAN = 8;

/**
 * Bin every value of a number column: the number of edges below each value (the missing bin for
 * NaN). A lookup table over equal-width buckets between the first and last edge gives, for a
 * value's bucket, the edges of all lower buckets, all below the value (the bucket of x never
 * decreases as x grows), and a short scan counts the rest: 4 to 5 ns a value against 8.5 to 9.6
 * for the binary search below, the same bins (a scratch measurement while writing this, 800,000
 * values, 254 quantile edges). Edges crowded into a few buckets (a far outlier among them) would
 * make long scans: then the binary search.
 */
function binNumbers(values: Float64Array, edges: Float64Array, out: Uint8Array, offset: number): void {
  const m = edges.length;
  if (m < 2 || !(edges[m - 1] > edges[0]) || m >= PADDED) {
    binNumbersSearch(values, edges, out, offset);
    return;
  }
  const lo = edges[0];
  const last = LOOKUP_BUCKETS - 1;
  const scale = last / (edges[m - 1] - lo);
  const start = new Int32Array(LOOKUP_BUCKETS + 1);
  for (let k = 0; k < m; k++) {
    const x = (edges[k] - lo) * scale;
    start[(x > 0 ? (x < last ? Math.floor(x) : last) : 0) + 1]++;
  }
  let crowded = 0;
  for (let b = 0; b < LOOKUP_BUCKETS; b++) {
    if (start[b + 1] > crowded) crowded = start[b + 1];
    start[b + 1] += start[b];
  }
  if (crowded > LOOKUP_MAX_SCAN) {
    binNumbersSearch(values, edges, out, offset);
    return;
  }
  const padded = new Float64Array(PADDED).fill(Infinity);
  padded.set(edges);
  lookupBins(values, padded, start, lo, scale, last, m + 1, out, offset);
}

/** binNumbers' loop: `padded` holds the edges then +Infinity; NaN lands in bucket 0 and then in `missing`. */
function lookupBins(values: Float64Array, padded: Float64Array, start: Int32Array, lo: number, scale: number, last: number, missing: number, out: Uint8Array, offset: number): void {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const x = (v - lo) * scale;
    let pos = start[x > 0 ? (x < last ? Math.floor(x) : last) : 0];
    while (padded[pos] < v) pos++;
    out[offset + i] = v === v ? pos : missing;
  }
}

/** Bins by a branch-free binary search over the edges padded to 256 (see binNumbers). */
function binNumbersSearch(values: Float64Array, edges: Float64Array, out: Uint8Array, offset: number): void {
  const n = values.length;
  const missing = edges.length + 1;
  const padded = new Float64Array(PADDED).fill(Infinity);
  padded.set(edges);
  // The bin of v is the number of edges below it; counted by a branch-free binary search
  // (a data-dependent branch per step would be mispredicted half of the time). Each step's load
  // waits for the one before, so two values go through their searches side by side, their steps
  // overlapping; an odd value out goes first (see hist7 in histogram.ts).
  let i = 0;
  if ((n & 1) === 1) {
    const v = values[i];
    let pos = +(padded[127] < v) << 7;
    pos += +(padded[pos + 63] < v) << 6;
    pos += +(padded[pos + 31] < v) << 5;
    pos += +(padded[pos + 15] < v) << 4;
    pos += +(padded[pos + 7] < v) << 3;
    pos += +(padded[pos + 3] < v) << 2;
    pos += +(padded[pos + 1] < v) << 1;
    pos += +(padded[pos] < v);
    out[offset + i++] = v === v ? pos : missing;
  }
  for (; i < n; i += 2) {
    const v = values[i];
    const u = values[i + 1];
    let pos = +(padded[127] < v) << 7;
    let qos = +(padded[127] < u) << 7;
    pos += +(padded[pos + 63] < v) << 6;
    qos += +(padded[qos + 63] < u) << 6;
    pos += +(padded[pos + 31] < v) << 5;
    qos += +(padded[qos + 31] < u) << 5;
    pos += +(padded[pos + 15] < v) << 4;
    qos += +(padded[qos + 15] < u) << 4;
    pos += +(padded[pos + 7] < v) << 3;
    qos += +(padded[qos + 7] < u) << 3;
    pos += +(padded[pos + 3] < v) << 2;
    qos += +(padded[qos + 3] < u) << 2;
    pos += +(padded[pos + 1] < v) << 1;
    qos += +(padded[qos + 1] < u) << 1;
    pos += +(padded[pos] < v);
    qos += +(padded[qos] < u);
    out[offset + i] = v === v ? pos : missing;
    out[offset + i + 1] = u === u ? qos : missing;
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
