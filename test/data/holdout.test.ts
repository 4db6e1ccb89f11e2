import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rowSet } from '../../src/data/holdout.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('rowSet', () => {
  it('records the id range, the count and the sha256 of the sorted ids joined by commas, whatever their order and size', () => {
    expect(rowSet(Float64Array.from([7, 3, 5]))).toEqual({ from: 3, to: 7, count: 3, sha256: sha('3,5,7') });
    expect(rowSet([1, 2, 10])).toEqual({ from: 1, to: 10, count: 3, sha256: sha('1,2,10') });
    // Beyond 32 bits the ids are sorted and written all the same.
    expect(rowSet([2 ** 40, 12, 2 ** 31])).toEqual({ from: 12, to: 2 ** 40, count: 3, sha256: sha(`12,${2 ** 31},${2 ** 40}`) });
    expect(rowSet([])).toEqual({ from: 0, to: 0, count: 0, sha256: sha('') });
  });
});
