import { describe, expect, it } from 'vitest';
import { buildDataset, encodeRows, categoryLevels } from '../../../src/data/build-dataset.js';
import type { FeatureSpec } from '../../../src/domain/entities.js';
import { FeatureTransform } from '../../../src/train/linear/feature-transform.js';
import type { CsrMatrix } from '../../../src/train/linear/csr.js';

function dense(m: CsrMatrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => {
    const row = new Array<number>(m.cols).fill(0);
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) row[m.indices[k]] += m.values[k];
    return row;
  });
}

const features: FeatureSpec[] = [
  { name: 'x', type: 'number' },
  { name: 'c', type: 'category' },
  { name: 'same', type: 'number' },
];

describe('FeatureTransform', () => {
  const ds = buildDataset('binary', features, [
    { id: 1, features: { x: 1, c: 'a', same: 5 }, label: 0 },
    { id: 2, features: { x: 3, c: 'b', same: 5 }, label: 1 },
    { id: 3, features: { x: null, c: null, same: 5 }, label: 1 },
  ]);
  const transform = FeatureTransform.fit(ds.x);

  it('standardises numbers with training statistics, missing at 0, and one-hot encodes categories', () => {
    expect(transform.width).toBe(4);
    expect(dense(transform.apply(ds.x))).toEqual([
      [-1, 1, 0, 0],
      [1, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('gives unseen levels no column at prediction time', () => {
    const x = encodeRows(features, [{ x: 5, c: 'zzz', same: 6 }], categoryLevels(ds.x));
    expect(dense(transform.apply(x))).toEqual([[3, 0, 0, 1]]);
  });

  it('hashes text into an L2-normalised block of 2 ** hashBits columns', () => {
    const text = buildDataset('binary', [{ name: 't', type: 'text' }], [
      { id: 1, features: { t: 'red red apple' }, label: 0 },
      { id: 2, features: { t: null }, label: 1 },
    ]);
    const t = FeatureTransform.fit(text.x, { hashBits: 8 });
    expect(t.width).toBe(256);
    const m = t.apply(text.x);
    // red, apple, "red red", "red apple": up to 4 buckets, unit length.
    const row = Array.from(m.values.subarray(m.indptr[0], m.indptr[1]));
    expect(row.length).toBeGreaterThanOrEqual(3);
    expect(Math.hypot(...row)).toBeCloseTo(1, 12);
    expect(m.indptr[2] - m.indptr[1]).toBe(0);
  });

  it('refuses a matrix with other columns', () => {
    const other = buildDataset('binary', [{ name: 'x', type: 'number' }], [{ id: 1, features: { x: 1 }, label: 0 }]);
    expect(() => transform.apply(other.x)).toThrow(/3 feature columns/);
  });
});
