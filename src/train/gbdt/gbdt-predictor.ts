import { encodeRows, levelIndex, type CategoryLevels } from '../../data/build-dataset.js';
import type { FeatureMatrix } from '../../data/dataset.js';
import type { FeatureRow, FeatureSpec, Task } from '../../domain/entities.js';
import type { Predictor } from '../trainer.js';
import { Ensemble } from './ensemble.js';
import { LINK, softmaxInPlace } from './forest-kernels.js';
import { PredictPool } from './predict-pool.js';

/** Everything a fitted gbdt model consists of besides its trees. */
export interface GbdtModelInfo {
  readonly task: Task;
  /** ['0','1'] for binary, class names for multiclass, [] for regression. */
  readonly classes: readonly string[];
  readonly features: readonly FeatureSpec[];
  /** Category levels by feature name (codes in the trees index these). */
  readonly levels: CategoryLevels;
  /** 'gbdt' or 'rf' (random-forest trees are already scaled by 1 / rounds). */
  readonly mode: 'gbdt' | 'rf';
  /** Boosting rounds in the model. */
  readonly rounds: number;
  /** Starting raw score of each output. */
  readonly base: Float64Array;
  /** Total split gain per feature. */
  readonly gain: Float64Array;
  /** Number of splits per feature. */
  readonly splits: Float64Array;
}

/** Importance of one feature. */
export interface FeatureImportance {
  readonly feature: string;
  /** Total loss reduction of its splits. */
  readonly gain: number;
  /** How many splits use it. */
  readonly splits: number;
}

/** Most rows predicted by the direct path of predictRows (a request's worth). */
const DIRECT_ROWS = 64;

/**
 * One encoder per feature, giving what the column path gives a row (encodeRows, then
 * columnValue): numbers (booleans 0/1, anything else NaN), category codes in `levels` (-1 when
 * missing or unknown), text as missing.
 */
function rowEncoders(features: readonly FeatureSpec[], levels: CategoryLevels): ((row: FeatureRow) => number)[] {
  return features.map((f) => {
    const name = f.name;
    if (f.type === 'category') {
      const index = levelIndex(levels[name] ?? []);
      return (row: FeatureRow) => {
        const v = row[name];
        const key = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
        return key === null ? -1 : (index.get(key) ?? -1);
      };
    }
    if (f.type === 'text') return () => NaN;
    return (row: FeatureRow) => {
      const v = row[name];
      return typeof v === 'number' ? (Number.isFinite(v) ? v : NaN) : typeof v === 'boolean' ? (v ? 1 : 0) : NaN;
    };
  });
}

/** Rows converted to row-major form per block in batch prediction. */
const BLOCK_ROWS = 256;
const MAGIC = 0x42474652; // 'RFGB' little-endian
const FORMAT_VERSION = 1;

/** A column as numbers: category codes as they are (-1 missing), text as missing. */
function columnValue(x: FeatureMatrix, f: number, r: number): number {
  const c = x.columns[f];
  return c.kind === 'number' ? c.values[r] : c.kind === 'category' ? c.codes[r] : NaN;
}

/**
 * A fitted gradient-boosted (or random-forest) tree model: binary → P(class 1), multiclass →
 * row-major softmax probabilities, regression → the value.
 */
export class GbdtPredictor implements Predictor {
  /** Trainer name; selects the loader. */
  readonly kind = 'gbdt';
  /** 1 for binary and regression, the number of classes for multiclass. */
  readonly outputsPerRow: number;
  /** Class names ('0','1' for binary); [] for regression. */
  readonly classes: readonly string[];
  /** Model metadata. */
  readonly info: GbdtModelInfo;
  /** The trees. */
  readonly ensemble: Ensemble;
  private readonly outputs: number;
  private readonly width: number;

  constructor(info: GbdtModelInfo, ensemble: Ensemble) {
    this.info = info;
    this.ensemble = ensemble;
    this.classes = info.classes;
    this.outputs = info.base.length;
    this.outputsPerRow = info.task === 'multiclass' ? this.outputs : 1;
    this.width = info.features.length;
    // The prediction thread starts now (once per process), in the background. The trees'
    // branch-free form and the batch buffers are made by the first batch, not here: a fit that
    // makes a model pays for training only.
    PredictPool.warm();
  }

  /** Trees in the model (rounds × outputs). */
  get trees(): number {
    return this.ensemble.trees;
  }

  /** Gain and split count per feature, in feature order. */
  importance(): FeatureImportance[] {
    return this.info.features.map((f, j) => ({ feature: f.name, gain: this.info.gain[j], splits: this.info.splits[j] }));
  }

  /**
   * Encode raw rows with the training levels, then predict. A request's few rows are encoded
   * straight into row-major form with encoders made once per model (a category's index of its
   * levels, above all), instead of a column matrix per request that is then transposed: the same
   * values (see encodeRows), without the per-request allocations and map building.
   */
  predictRows(rows: readonly FeatureRow[]): Float64Array {
    const n = rows.length;
    if (n > DIRECT_ROWS) return this.predictMatrix(encodeRows(this.info.features, rows, this.info.levels));
    const F = this.width;
    const K = this.outputs;
    const encoders = (this.encoders ??= rowEncoders(this.info.features, this.info.levels));
    const x = n * F <= this.rowBuffer.length ? this.rowBuffer : (this.rowBuffer = new Float64Array(n * F));
    for (let r = 0; r < n; r++) {
      const row = rows[r];
      for (let f = 0; f < F; f++) x[r * F + f] = encoders[f](row);
    }
    const margins = new Float64Array(n * K);
    fillBase(margins, this.info.base, n, K);
    this.ensemble.addMargins(x, F, n, 0, this.ensemble.trees, margins, K);
    const task = this.info.task;
    if (task === 'binary') sigmoidInPlace(margins);
    else if (task === 'multiclass') softmaxRows(margins, K);
    return margins;
  }

  /** Per feature, a row's value as the trees read it (made by the first small batch). */
  private encoders: ((row: FeatureRow) => number)[] | null = null;
  /** Row-major rows of the last small batch (reused: prediction is synchronous). */
  private rowBuffer = new Float64Array(0);

  /** Raw scores (margins before the sigmoid / softmax), row-major, `base.length` per row. */
  rawMargins(x: FeatureMatrix): Float64Array {
    return this.margins(x, LINK.none);
  }

  /** Predict from an encoded matrix whose category codes use this model's levels. */
  predictMatrix(x: FeatureMatrix): Float64Array {
    const task = this.info.task;
    return this.margins(x, task === 'binary' ? LINK.sigmoid : task === 'multiclass' ? LINK.softmax : LINK.none);
  }

  /** Margins of every row of x (row-major, `base.length` per row), passed through `link` (a LINK). */
  private margins(x: FeatureMatrix, link: number): Float64Array {
    const n = x.rows;
    const K = this.outputs;
    const F = this.width;
    const margins = new Float64Array(n * K);
    const base = this.info.base;
    const numeric: (Float64Array | null)[] = x.columns.map((c) => (c.kind === 'number' ? c.values : null));
    const compiled = this.ensemble.compiled();
    const pool = compiled.categories ? null : PredictPool.ready(n);
    // On both threads: base scores, trees and link are applied chunk by chunk there.
    const fillColumns = (chunk: Float64Array, start: number, end: number, stride: number): void => copyColumns(x, numeric, F, chunk, start, end, stride);
    if (pool !== null && pool.addMargins(compiled, this.ensemble.value, base, F, n, fillColumns, margins, K, link)) return margins;
    fillBase(margins, base, n, K);
    const block = new Float64Array(Math.min(n, BLOCK_ROWS) * F);
    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const end = Math.min(n, start + BLOCK_ROWS);
      transposeRows(x, numeric, F, block, start, end);
      this.ensemble.addMargins(block, F, end - start, 0, this.ensemble.trees, margins.subarray(start * K, end * K), K);
    }
    if (link === LINK.sigmoid) sigmoidInPlace(margins);
    else if (link === LINK.softmax) softmaxRows(margins, K);
    return margins;
  }

  /**
   * Predict one row without allocating: `values` holds the features in order (numbers, NaN
   * missing; category codes, -1 missing); writes `outputsPerRow` values to out[offset...].
   */
  predictRowInto(values: Float64Array, out: Float64Array, offset = 0): void {
    const K = this.outputs;
    const e = this.ensemble;
    const base = this.info.base;
    for (let k = 0; k < K; k++) out[offset + k] = base[k];
    for (let t = 0; t < e.trees; t++) out[offset + e.treeOutput[t]] += e.value[e.leaf(t, values, 0)];
    if (this.info.task === 'binary') out[offset] = sigmoid(out[offset]);
    else if (this.info.task === 'multiclass') softmaxInPlace(out, offset, K);
  }

  /** Binary artifact: a JSON header, then the tree arrays as raw little-endian typed arrays (exact doubles). */
  serialize(): Uint8Array {
    const e = this.ensemble;
    const i = this.info;
    const header = new TextEncoder().encode(
      JSON.stringify({
        task: i.task,
        classes: i.classes,
        features: i.features.map((f) => ({ name: f.name, type: f.type })),
        levels: i.levels,
        mode: i.mode,
        rounds: i.rounds,
        outputs: i.base.length,
        nodes: e.nodes,
        trees: e.trees,
        catWords: e.catWords,
      }),
    );
    const parts: ArrayBufferView[] = [
      i.base,
      i.gain,
      i.splits,
      e.threshold.subarray(0, e.nodes),
      e.value.subarray(0, e.nodes),
      e.feature.subarray(0, e.nodes),
      e.left.subarray(0, e.nodes),
      e.catOffset.subarray(0, e.nodes),
      e.catCount.subarray(0, e.nodes),
      e.roots.subarray(0, e.trees),
      e.treeOutput.subarray(0, e.trees),
      e.catBits.subarray(0, e.catWords),
      e.defaultLeft.subarray(0, e.nodes),
    ];
    const headerEnd = align8(12 + header.length);
    let size = headerEnd;
    for (const p of parts) size = align8(size + p.byteLength);
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, FORMAT_VERSION, true);
    view.setUint32(8, header.length, true);
    bytes.set(header, 12);
    let at = headerEnd;
    for (const p of parts) {
      bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at = align8(at + p.byteLength);
    }
    return bytes;
  }
}

/** Every row's margins (K per row) set to the base scores. */
function fillBase(margins: Float64Array, base: Float64Array, n: number, K: number): void {
  if (K === 1) {
    margins.fill(base[0], 0, n);
    return;
  }
  for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) margins[r * K + k] = base[k];
}

/** Rows [start, end) of x, row-major (F per row), into block; `numeric` holds x's number columns (null for others). */
function transposeRows(x: FeatureMatrix, numeric: readonly (Float64Array | null)[], F: number, block: Float64Array, start: number, end: number): void {
  for (let f = 0; f < F; f++) {
    const col = numeric[f];
    if (col !== null) {
      for (let r = start, o = f; r < end; r++, o += F) block[o] = col[r];
    } else {
      for (let r = start, o = f; r < end; r++, o += F) block[o] = columnValue(x, f, r);
    }
  }
}

/** Rows [start, end) of x into chunk column-major (feature f at f * stride). */
function copyColumns(x: FeatureMatrix, numeric: readonly (Float64Array | null)[], F: number, chunk: Float64Array, start: number, end: number, stride: number): void {
  for (let f = 0; f < F; f++) {
    const col = numeric[f];
    if (col !== null) chunk.set(col.subarray(start, end), f * stride);
    else for (let r = start, o = f * stride; r < end; r++, o++) chunk[o] = columnValue(x, f, r);
  }
}

/** sigmoid of every entry, in place. */
function sigmoidInPlace(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = 1 / (1 + Math.exp(-a[i]));
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** 1 / (1 + e^-z). */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Softmax of each row of K margins, in place; returns `margins`. */
export function softmaxRows(margins: Float64Array, K: number): Float64Array {
  for (let o = 0; o < margins.length; o += K) softmaxInPlace(margins, o, K);
  return margins;
}

interface Header {
  task: Task;
  classes: string[];
  features: FeatureSpec[];
  levels: Record<string, string[]>;
  mode: 'gbdt' | 'rf';
  rounds: number;
  outputs: number;
  nodes: number;
  trees: number;
  catWords: number;
}

/** Rebuild a GbdtPredictor from `serialize()` bytes; throws if they are not a gbdt artifact. */
export function loadGbdtPredictor(bytes: Uint8Array): GbdtPredictor {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('gbdt models need a little-endian machine');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || view.getUint32(0, true) !== MAGIC) throw new Error('not a gbdt model artifact');
  if (view.getUint32(4, true) !== FORMAT_VERSION) throw new Error(`unsupported gbdt artifact version ${view.getUint32(4, true)}`);
  const headerLength = view.getUint32(8, true);
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + headerLength))) as Header;
  } catch (cause) {
    throw new Error('gbdt model artifact: invalid header', { cause });
  }
  let at = align8(12 + headerLength);
  // Copy each array out (the artifact's buffer may be unaligned or shared).
  function take<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(Ctor: new (b: ArrayBuffer) => T, count: number, size: number): T {
    const bytesNeeded = count * size;
    if (at + bytesNeeded > bytes.byteLength) throw new Error('gbdt model artifact: truncated');
    // ArrayBuffer.slice copies (a Node Buffer's slice would be a view of a pooled buffer).
    const copy = bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + bytesNeeded) as ArrayBuffer;
    at = align8(at + bytesNeeded);
    return new Ctor(copy);
  }
  const F = h.features.length;
  const K = h.outputs;
  const base = take(Float64Array, K, 8);
  const gain = take(Float64Array, F, 8);
  const splits = take(Float64Array, F, 8);
  const e = new Ensemble();
  e.threshold = take(Float64Array, h.nodes, 8);
  e.value = take(Float64Array, h.nodes, 8);
  e.feature = take(Int32Array, h.nodes, 4);
  e.left = take(Int32Array, h.nodes, 4);
  e.catOffset = take(Int32Array, h.nodes, 4);
  e.catCount = take(Int32Array, h.nodes, 4);
  e.roots = take(Int32Array, h.trees, 4);
  e.treeOutput = take(Int32Array, h.trees, 4);
  e.catBits = take(Uint32Array, h.catWords, 4);
  e.defaultLeft = take(Uint8Array, h.nodes, 1);
  e.nodes = h.nodes;
  e.trees = h.trees;
  e.catWords = h.catWords;
  for (let i = 0; i < e.nodes; i++) {
    const f = e.feature[i];
    if (f >= F || (f >= 0 && (e.left[i] <= i || e.left[i] + 1 >= e.nodes))) throw new Error('gbdt model artifact: malformed tree');
  }
  return new GbdtPredictor(
    { task: h.task, classes: h.classes, features: h.features, levels: h.levels, mode: h.mode, rounds: h.rounds, base, gain, splits },
    e,
  );
}
