import { describe, expect, it } from 'vitest';
import { fnv1a32, hashTerms, tokenize } from '../../../src/train/linear/text-features.js';

describe('tokenize', () => {
  it('lowercases and splits on anything but Unicode letters and digits', () => {
    expect(tokenize('Sr. Data-Engineer (ML), 2nd shift')).toEqual(['sr', 'data', 'engineer', 'ml', '2nd', 'shift']);
    expect(tokenize('Über naïve CAFÉ — 東京')).toEqual(['über', 'naïve', 'café', '東京']);
    expect(tokenize('')).toEqual([]);
  });
});

describe('fnv1a32', () => {
  it('matches the FNV-1a reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

describe('hashTerms', () => {
  it('counts unigrams and bigrams, the bigram hashing as "w1 w2"', () => {
    const counts = new Map<number, number>();
    hashTerms('Data data engineer', 20, counts);
    const mask = (1 << 20) - 1;
    expect(counts.get(fnv1a32('data') & mask)).toBe(2);
    expect(counts.get(fnv1a32('engineer') & mask)).toBe(1);
    expect(counts.get(fnv1a32('data data') & mask)).toBe(1);
    expect(counts.get(fnv1a32('data engineer') & mask)).toBe(1);
    expect(counts.size).toBe(4);
  });
});
