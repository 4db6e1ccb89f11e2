/**
 * The fair holdout and clean labels: which stored labels may train (exclusion rule, one label per
 * score id), and an out-of-time split whose test rows are the most recent labels that the
 * champion did not train on, recorded as id ranges, counts and hashes.
 */
import { createHash } from 'node:crypto';
import type { DataRows, LabelPolicy, RowSet } from '../domain/quality.js';
import { excludedByRule } from '../domain/quality.js';
import type { RawLabelRow } from '../store/store.js';
import { subsetDataset, type SplitFractions, DEFAULT_SPLIT } from './build-dataset.js';
import type { Dataset } from './dataset.js';

/** The labels that may train, and how many were left out and why. */
export interface CleanLabels {
  /** Usable rows, oldest first. */
  readonly rows: RawLabelRow[];
  /** Rows in the window before cleaning. */
  readonly total: number;
  /** Rows left out by the spec's `labels.exclude` rule. */
  readonly excludedByRule: number;
  /** Earlier labels of a score id replaced by a later one. */
  readonly replaced: number;
}

function parseMeta(text: string | null | undefined): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Apply a label policy to a window (oldest first): rows whose meta matches the exclusion rule
 * are left out, and of several labels for one score id only the latest (highest id) is kept.
 */
export function cleanLabels(rows: readonly RawLabelRow[], policy: LabelPolicy): CleanLabels {
  const latest = new Map<string, number>();
  for (const r of rows) if (r.scoreId) latest.set(r.scoreId, Math.max(latest.get(r.scoreId) ?? 0, r.id));
  const out: RawLabelRow[] = [];
  let excluded = 0;
  let replaced = 0;
  for (const r of rows) {
    if (r.scoreId && latest.get(r.scoreId) !== r.id) {
      replaced++;
      continue;
    }
    if (policy.exclude && excludedByRule(parseMeta(r.meta), policy.exclude)) {
      excluded++;
      continue;
    }
    out.push(r);
  }
  return { rows: out, total: rows.length, excludedByRule: excluded, replaced };
}

/** Largest id written as digits by idsText; larger (or negative, or fractional) ids go through String(). */
const MAX_DIGIT_ID = 0x7fffffff;
const COMMA = 0x2c;
const ZERO = 0x30;

/**
 * The ascending ids joined by commas, as bytes (ASCII, so the same bytes as the joined string's
 * UTF-8): written digit by digit into one buffer, with no string per id to make and hash.
 */
function idsText(sorted: ArrayLike<number>): Uint8Array {
  const n = sorted.length;
  // 10 digits and a comma at most per id that fits 31 bits; others are written as text below.
  let bytes = new Uint8Array(Math.max(1, n * 11));
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) bytes[at++] = COMMA;
    let v = sorted[i];
    if (!(v >= 0 && v <= MAX_DIGIT_ID && Number.isInteger(v))) {
      const text = new TextEncoder().encode(String(v));
      if (at + text.length + 11 * (n - i) > bytes.length) {
        const grown = new Uint8Array(at + text.length + 11 * (n - i));
        grown.set(bytes.subarray(0, at));
        bytes = grown;
      }
      bytes.set(text, at);
      at += text.length;
      continue;
    }
    // Digits of v, least significant first, written from the id's last byte backwards.
    let digits = 1;
    for (let p = 10; p <= v; p *= 10) digits++;
    at += digits;
    for (let k = at - 1; k >= at - digits; k--) {
      const q = Math.floor(v / 10);
      bytes[k] = ZERO + (v - q * 10);
      v = q;
    }
  }
  return bytes.subarray(0, at);
}

/** The id range, count and sha256 of a set of label ids. */
export function rowSet(ids: ArrayLike<number>): RowSet {
  let ascending = true;
  for (let i = 1; i < ids.length && ascending; i++) ascending = ids[i - 1] <= ids[i];
  const sorted: ArrayLike<number> = ascending ? ids : Float64Array.from(ids).sort();
  return {
    from: sorted.length > 0 ? sorted[0] : 0,
    to: sorted.length > 0 ? sorted[sorted.length - 1] : 0,
    count: sorted.length,
    sha256: createHash('sha256').update(idsText(sorted)).digest('hex'),
  };
}

/** Label ids a champion trained on: an inclusive id range (from its recorded rows), or every id up to a watermark for older versions. */
export type ChampionTraining = { readonly from: number; readonly to: number };

/** An out-of-time split, with the record of which rows went where. */
export interface RecentSplit {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
  readonly rows: DataRows;
  /** True when every recent row was in the champion's training rows, so no fair comparison is possible. */
  readonly noFairRows: boolean;
}

/**
 * Split by time (label id): the newest rows that the champion did not train on form the test
 * part, the newest of the rest the validation part, and the oldest the training part (sizes from
 * `fractions`, 70/15/15 by default). Deterministic: no seed is needed, the order is the labels'.
 */
export function splitRecent(data: Dataset, champion: ChampionTraining | null, fractions: SplitFractions = DEFAULT_SPLIT): RecentSplit {
  const n = data.y.length;
  const total = fractions.train + fractions.validation + fractions.test;
  const nTest = Math.max(1, Math.round((n * fractions.test) / total));
  const nValidation = Math.round((n * fractions.validation) / total);
  const ids = data.rowIds;
  let ascending = true;
  for (let i = 1; i < n && ascending; i++) ascending = ids[i - 1] <= ids[i];
  // Windows come oldest first: sort only when they do not.
  let order: Int32Array | null = null;
  if (!ascending) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => ids[a] - ids[b]);
  }
  // Each part's row indices, filled newest first from its end, so each comes out in index order
  // when the rows are in id order (sorted below otherwise).
  const test = new Int32Array(Math.min(n, nTest));
  const validation = new Int32Array(Math.min(n, nValidation));
  const train = new Int32Array(n);
  let nt = 0;
  let nv = 0;
  let nr = 0;
  let excluded = 0;
  for (let k = n - 1; k >= 0; k--) {
    const i = order === null ? k : order[k];
    const id = ids[i];
    const seenByChampion = champion !== null && id >= champion.from && id <= champion.to;
    if (nt < nTest && !seenByChampion) test[test.length - ++nt] = i;
    else if (nv < nValidation) {
      if (nt < nTest) excluded++;
      validation[validation.length - ++nv] = i;
    } else {
      if (nt < nTest) excluded++;
      train[n - ++nr] = i;
    }
  }
  if (nt === 0 && n > 0) {
    // Nothing the champion has not seen: test the challenger on the newest rows all the same (the champion is not compared).
    return { ...splitRecent(data, null, fractions), noFairRows: true };
  }
  const part = (buffer: Int32Array, count: number): Int32Array => {
    const idx = buffer.subarray(buffer.length - count);
    if (order !== null) idx.sort();
    return idx;
  };
  const trainIdx = part(train, nr);
  const validationIdx = part(validation, nv);
  const testIdx = part(test, nt);
  const train_ = subsetDataset(data, trainIdx);
  const validation_ = subsetDataset(data, validationIdx);
  const test_ = subsetDataset(data, testIdx);
  return {
    train: train_,
    validation: validation_,
    test: test_,
    rows: { holdout: 'recent', train: rowSet(train_.rowIds), validation: rowSet(validation_.rowIds), test: rowSet(test_.rowIds), excludedAsChampionTraining: excluded },
    // With rows, a split without fair ones returned above: true here only when there are no rows.
    noFairRows: nt === 0,
  };
}

/** "1,234 labels, 17 excluded by rule, 2 replaced by a later label": what the window held and what was left out. */
export function describeLabels(c: CleanLabels): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [`${n(c.total)} label${c.total === 1 ? '' : 's'}`];
  if (c.excludedByRule > 0) parts.push(`${n(c.excludedByRule)} excluded by rule`);
  if (c.replaced > 0) parts.push(`${n(c.replaced)} replaced by a later label`);
  if (c.excludedByRule > 0 || c.replaced > 0) parts.push(`${n(c.rows.length)} used`);
  return parts.join(', ');
}
