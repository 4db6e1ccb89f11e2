/** A sparse row-major matrix (CSR): row i's entries are indices/values[indptr[i] .. indptr[i+1]). */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** Builds a CSR matrix row by row into growing typed arrays (initial capacity: 16 entries per row). */
export class CsrBuilder {
  private indices: Int32Array;
  private values: Float64Array;
  private readonly indptr: Int32Array;
  private nnz = 0;
  private row = 0;

  constructor(
    private readonly rows: number,
    private readonly cols: number,
    initialCapacity = Math.max(16, rows * 16),
  ) {
    this.indptr = new Int32Array(rows + 1);
    this.indices = new Int32Array(initialCapacity);
    this.values = new Float64Array(initialCapacity);
  }

  /** Append an entry to the current row. */
  push(index: number, value: number): void {
    if (this.nnz === this.indices.length) this.grow();
    this.indices[this.nnz] = index;
    this.values[this.nnz] = value;
    this.nnz++;
  }

  /** Close the current row. */
  endRow(): void {
    this.row++;
    this.indptr[this.row] = this.nnz;
  }

  /** The finished matrix (arrays trimmed to the entries written). */
  build(): CsrMatrix {
    if (this.row !== this.rows) throw new Error(`CSR builder: ${this.row} rows written, ${this.rows} expected`);
    return {
      rows: this.rows,
      cols: this.cols,
      indptr: this.indptr,
      indices: this.indices.slice(0, this.nnz),
      values: this.values.slice(0, this.nnz),
    };
  }

  private grow(): void {
    const capacity = this.indices.length * 2;
    const indices = new Int32Array(capacity);
    indices.set(this.indices);
    const values = new Float64Array(capacity);
    values.set(this.values);
    this.indices = indices;
    this.values = values;
  }
}
