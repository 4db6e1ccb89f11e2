import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random.js';
import { Ensemble } from '../../../src/train/gbdt/ensemble.js';
import { HEAP_MAX_DEPTH } from '../../../src/train/gbdt/forest-kernels.js';

/**
 * A chain tree of `depth` splits on feature `f` (each split sends v <= cut left to a leaf, the
 * rest on down), whose missing values go right at odd levels: leaves at every depth, so the heap
 * form has to pad every early leaf.
 */
function chain(e: Ensemble, depth: number, f: number, output: number): void {
  const base = e.addNodes(2 * depth + 1);
  for (let d = 0; d < depth; d++) {
    const node = d === 0 ? base : base + 2 * d;
    const left = base + 2 * d + 1;
    e.feature[node] = f;
    e.threshold[node] = (d + 1) / (depth + 1);
    e.left[node] = left;
    e.defaultLeft[node] = d % 2 === 0 ? 1 : 0;
    e.catOffset[node] = -1;
    e.feature[left] = -1;
    e.catOffset[left] = -1;
    e.value[left] = d + 0.25 * f;
  }
  const last = base + 2 * depth;
  e.feature[last] = -1;
  e.catOffset[last] = -1;
  e.value[last] = -1;
  e.addTree(base, output);
}

/** Batch margins (from x, 2 features per row) against walking each tree row by row. */
function checkAgainstRows(e: Ensemble, rows: number): void {
  const random = mulberry32(4);
  const x = new Float64Array(rows * 2);
  for (let i = 0; i < x.length; i++) x[i] = random() < 0.1 ? NaN : random();
  for (const withMissing of [true, false]) {
    if (!withMissing) for (let i = 0; i < x.length; i++) if (x[i] !== x[i]) x[i] = 0.5;
    const batch = new Float64Array(rows);
    e.addMargins(x, 2, rows, 0, e.trees, batch, 1);
    for (let r = 0; r < rows; r++) {
      let want = 0;
      for (let t = 0; t < e.trees; t++) want += e.value[e.leaf(t, x, r * 2)];
      expect(batch[r]).toBe(want);
    }
  }
}

describe('gbdt forest layouts for batch prediction', () => {
  it('puts shallow trees in heap form, padding early leaves, and predicts every row as its trees say', () => {
    const e = new Ensemble();
    chain(e, 3, 0, 0);
    chain(e, 6, 1, 0);
    chain(e, 0, 0, 0); // a single leaf
    expect(e.compiled().heap).toBe(1);
    checkAgainstRows(e, 1001);
  });

  it(`keeps linked nodes for a tree deeper than ${HEAP_MAX_DEPTH} levels, with the same predictions`, () => {
    const e = new Ensemble();
    chain(e, 4, 0, 0);
    chain(e, HEAP_MAX_DEPTH + 2, 1, 0);
    expect(e.compiled().heap).toBe(0);
    checkAgainstRows(e, 1001);
  });

  it('adds the margins of the newest trees alone, while the forest grows, as its trees say (heap and linked forms)', () => {
    const e = new Ensemble();
    const random = mulberry32(9);
    const rows = 257;
    const x = new Float64Array(rows * 2);
    for (let i = 0; i < x.length; i++) x[i] = random() < 0.1 ? NaN : random();
    const grown = new Float64Array(rows);
    for (let t = 0; t < 12; t++) {
      // One tree deeper than the heap form allows, half-way: the forest's own layout changes then.
      chain(e, t === 6 ? HEAP_MAX_DEPTH + 1 : 1 + (t % 5), t % 2, 0);
      e.addMargins(x, 2, rows, t, t + 1, grown, 1);
    }
    for (let r = 0; r < rows; r++) {
      let want = 0;
      for (let t = 0; t < e.trees; t++) want += e.value[e.leaf(t, x, r * 2)];
      expect(grown[r]).toBe(want);
    }
    const whole = new Float64Array(rows);
    e.addMargins(x, 2, rows, 0, e.trees, whole, 1);
    expect(Array.from(whole)).toEqual(Array.from(grown));
  });
});
