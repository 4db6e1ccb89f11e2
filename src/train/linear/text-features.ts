/**
 * Hashed bag of word 1- and 2-grams for free text (the "hashing trick"): no vocabulary to learn or
 * store, and words never seen in training still land in a (shared) column.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SPACE = 0x20;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Continue a 32-bit FNV-1a hash `hash` over the UTF-16 code units of `text`. */
export function fnv1aUpdate(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** 32-bit FNV-1a hash of the UTF-16 code units of `text` (deterministic, unsigned). */
export function fnv1a32(text: string): number {
  return fnv1aUpdate(FNV_OFFSET, text);
}

/**
 * Words of a text: NFKC-normalised, lowercased, split on anything that is not a Unicode letter or
 * digit (so "Sr. Data-Engineer" → ["sr", "data", "engineer"]).
 */
export function tokenize(text: string): string[] {
  if (text === '') return [];
  return text.normalize('NFKC').toLowerCase().split(SEPARATORS).filter((t) => t !== '');
}

/**
 * Count the hashed 1- and 2-grams of `text` into `counts` (bucket → count; cleared first), with
 * 2 ** hashBits buckets. A bigram hashes as "word1 word2", which no unigram can equal.
 */
export function hashTerms(text: string, hashBits: number, counts: Map<number, number>): void {
  counts.clear();
  const tokens = tokenize(text);
  const mask = hashBits >= 32 ? 0xffffffff : (1 << hashBits) - 1;
  for (let i = 0; i < tokens.length; i++) {
    const unigram = fnv1aUpdate(FNV_OFFSET, tokens[i]);
    add(counts, (unigram & mask) >>> 0);
    if (i + 1 < tokens.length) {
      let h = Math.imul(unigram ^ SPACE, FNV_PRIME) >>> 0;
      h = fnv1aUpdate(h, tokens[i + 1]);
      add(counts, (h & mask) >>> 0);
    }
  }
}

function add(counts: Map<number, number>, bucket: number): void {
  counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
}
