import type { FeatureMatrix } from '../../data/dataset.js';
import { CsrBuilder, type CsrMatrix } from './csr.js';
import { hashTerms } from './text-features.js';

/** How one encoded column becomes design-matrix columns. */
export type ColumnTransform =
  /** One column: (value - mean) / scale; missing → 0 (the training mean). */
  | { readonly kind: 'number'; readonly mean: number; readonly scale: number }
  /** One-hot over `size` levels; missing or unknown level → all zeros. */
  | { readonly kind: 'category'; readonly size: number }
  /** 2 ** hashBits hashed 1-/2-gram columns, log1p(count) weights, L2-normalised per row. */
  | { readonly kind: 'text'; readonly hashBits: number };

/** Options of `FeatureTransform.fit`. */
export interface FeatureTransformOptions {
  /** Hash buckets per text feature are 2 ** hashBits. Default 16. */
  readonly hashBits?: number;
}

/**
 * The design-matrix transform a linear model learns on its training set: numbers standardised with
 * the training mean and (population) standard deviation, categories one-hot, text hashed. The
 * output is sparse (CSR) because hashed text makes it wide.
 */
export class FeatureTransform {
  /** Number of design-matrix columns. */
  readonly width: number;
  private readonly offsets: Int32Array;

  constructor(readonly columns: readonly ColumnTransform[]) {
    this.offsets = new Int32Array(columns.length);
    let width = 0;
    columns.forEach((c, i) => {
      this.offsets[i] = width;
      width += c.kind === 'number' ? 1 : c.kind === 'category' ? c.size : 2 ** c.hashBits;
    });
    this.width = width;
  }

  /** Learn the transform from a training matrix; `hashBits` defaults to 16. */
  static fit(x: FeatureMatrix, options: FeatureTransformOptions = {}): FeatureTransform {
    const hashBits = options.hashBits ?? 16;
    const columns = x.columns.map((c): ColumnTransform => {
      if (c.kind === 'category') return { kind: 'category', size: c.levels.length };
      if (c.kind === 'text') return { kind: 'text', hashBits };
      const v = c.values;
      let count = 0;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < v.length; i++) {
        const value = v[i];
        if (value !== value) continue;
        count++;
        sum += value;
        if (value < min) min = value;
        if (value > max) max = value;
      }
      if (count === 0) return { kind: 'number', mean: 0, scale: 1 };
      const mean = sum / count;
      let ss = 0;
      for (let i = 0; i < v.length; i++) {
        const value = v[i];
        if (value === value) ss += (value - mean) * (value - mean);
      }
      const std = Math.sqrt(ss / count);
      // A constant column has std 0 in exact arithmetic but rounding noise in floating point;
      // min === max catches it exactly, and scale 1 then leaves it (nearly) zero.
      return { kind: 'number', mean, scale: min === max || !(std > 0) ? 1 : std };
    });
    return new FeatureTransform(columns);
  }

  /** The design matrix of `x`, whose columns must match those this transform was fitted on. */
  apply(x: FeatureMatrix): CsrMatrix {
    if (x.columns.length !== this.columns.length) {
      throw new Error(`expected ${this.columns.length} feature columns, got ${x.columns.length}`);
    }
    const n = x.rows;
    const builder = new CsrBuilder(n, this.width, Math.max(16, n * (this.columns.length + 8)));
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < this.columns.length; c++) {
        const t = this.columns[c];
        const column = x.columns[c];
        const offset = this.offsets[c];
        if (t.kind === 'number' && column.kind === 'number') {
          const value = column.values[i];
          if (value === value) {
            const z = (value - t.mean) / t.scale;
            if (z !== 0) builder.push(offset, z);
          }
        } else if (t.kind === 'category' && column.kind === 'category') {
          const code = column.codes[i];
          if (code >= 0 && code < t.size) builder.push(offset + code, 1);
        } else if (t.kind === 'text' && column.kind === 'text') {
          hashTerms(column.values[i], t.hashBits, counts);
          if (counts.size === 0) continue;
          let norm = 0;
          for (const count of counts.values()) norm += Math.log1p(count) ** 2;
          norm = Math.sqrt(norm);
          for (const [bucket, count] of counts) builder.push(offset + bucket, Math.log1p(count) / norm);
        } else {
          throw new Error(`feature column ${column.name}: expected kind ${t.kind}, got ${column.kind}`);
        }
      }
      builder.endRow();
    }
    return builder.build();
  }

  /** Plain JSON form (numbers round-trip exactly through JSON). */
  toJSON(): { columns: readonly ColumnTransform[] } {
    return { columns: this.columns };
  }
}
