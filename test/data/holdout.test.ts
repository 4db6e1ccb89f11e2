import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { rowSet, splitRecent } from '../../src/data/holdout.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('rowSet', () => {
  it('records the id range, the count and the sha256 of the sorted ids joined by commas, whatever their order and size', () => {
    expect(rowSet(Float64Array.from([7, 3, 5]))).toEqual({ from: 3, to: 7, count: 3, sha256: sha('3,5,7') });
    expect(rowSet([1, 2, 10])).toEqual({ from: 1, to: 10, count: 3, sha256: sha('1,2,10') });
    // Beyond 32 bits the ids are sorted and written all the same.
    expect(rowSet([2 ** 40, 12, 2 ** 31])).toEqual({ from: 12, to: 2 ** 40, count: 3, sha256: sha(`12,${2 ** 31},${2 ** 40}`) });
    expect(rowSet([0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31 + 0.5])).toEqual({ from: 0, to: 2 ** 31 + 0.5, count: 7, sha256: sha(`0,9,10,99,100,${2 ** 31 - 1},${2 ** 31 + 0.5}`) });
    expect(rowSet([])).toEqual({ from: 0, to: 0, count: 0, sha256: sha('') });
  });
});

describe('splitRecent', () => {
  const dataset = (ids: number[]): Dataset => ({
    task: 'binary',
    features: [{ name: 'x', type: 'number' }],
    classes: ['0', '1'],
    x: { rows: ids.length, columns: [{ name: 'x', kind: 'number', values: Float64Array.from(ids, (id) => id * 10) }] },
    y: Float64Array.from(ids, (id) => id % 2),
    rowIds: Float64Array.from(ids),
  });

  it('tests on the newest rows the champion did not train on and validates on the newest of the rest, whatever the order of the window; each part keeps its order', () => {
    const ids = Array.from({ length: 20 }, (_, i) => 101 + i);
    const shuffled = [...ids].reverse();
    [shuffled[3], shuffled[11]] = [shuffled[11], shuffled[3]];
    for (const window of [ids, shuffled]) {
      const inWindowOrder = (part: number[]) => window.filter((id) => part.includes(id));
      // The champion trained on ids 118–119: the 3 test rows are 120, 117 and 116, those two validate.
      const split = splitRecent(dataset(window), { from: 118, to: 119 });
      expect(Array.from(split.test.rowIds)).toEqual(inWindowOrder([116, 117, 120]));
      expect(Array.from(split.test.x.columns[0].kind === 'number' ? split.test.x.columns[0].values : [])).toEqual(inWindowOrder([116, 117, 120]).map((id) => id * 10));
      expect(Array.from(split.validation.rowIds)).toEqual(inWindowOrder([115, 118, 119]));
      expect(Array.from(split.train.rowIds)).toEqual(inWindowOrder(ids.slice(0, 14)));
      expect(split.rows.excludedAsChampionTraining).toBe(2);
      expect(split.rows.test).toEqual({ from: 116, to: 120, count: 3, sha256: sha('116,117,120') });
      expect(split.noFairRows).toBe(false);
    }
    // Every row seen by the champion: the newest rows test the challenger alone.
    const seen = splitRecent(dataset(ids), { from: 1, to: 200 });
    expect(seen.noFairRows).toBe(true);
    expect(Array.from(seen.test.rowIds)).toEqual([118, 119, 120]);
  });
});
