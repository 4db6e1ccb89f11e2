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

/** The id range, count and sha256 of a set of label ids. */
export function rowSet(ids: ArrayLike<number>): RowSet {
  let ascending = true;
  let int32 = true;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (i > 0 && ids[i - 1] > v) ascending = false;
    if (!(v >= 0 && v <= 0x7fffffff && Number.isInteger(v))) int32 = false;
  }
  // Ids that fit 32 bits (all of them in practice) join several times faster as integers; the text is the same.
  const sorted: Int32Array | number[] = int32 ? Int32Array.from(ids) : Array.from(ids);
  if (!ascending) {
    if (sorted instanceof Int32Array) sorted.sort();
    else sorted.sort((a, b) => a - b);
  }
  return {
    from: sorted.length > 0 ? sorted[0] : 0,
    to: sorted.length > 0 ? sorted[sorted.length - 1] : 0,
    count: sorted.length,
    sha256: createHash('sha256').update(sorted.join(',')).digest('hex'),
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
  const order = Array.from({ length: n }, (_, i) => i);
  let ascending = true;
  for (let i = 1; i < n && ascending; i++) ascending = data.rowIds[i - 1] <= data.rowIds[i];
  // Windows come oldest first: sort only when they do not.
  if (!ascending) order.sort((a, b) => data.rowIds[a] - data.rowIds[b]);
  const seenByChampion = (i: number) => champion !== null && data.rowIds[i] >= champion.from && data.rowIds[i] <= champion.to;
  const test: number[] = [];
  const validation: number[] = [];
  const train: number[] = [];
  let excluded = 0;
  for (let k = n - 1; k >= 0; k--) {
    const i = order[k];
    if (test.length < nTest && !seenByChampion(i)) test.push(i);
    else if (validation.length < nValidation) {
      if (test.length < nTest) excluded++;
      validation.push(i);
    } else {
      if (test.length < nTest) excluded++;
      train.push(i);
    }
  }
  const noFairRows = test.length === 0;
  if (noFairRows && n > 0) {
    // Nothing the champion has not seen: test the challenger on the newest rows all the same (the champion is not compared).
    return { ...splitRecent(data, null, fractions), noFairRows: true };
  }
  const byIndex = (a: number, b: number) => a - b;
  const ids = (idx: number[]) => idx.map((i) => data.rowIds[i]);
  return {
    train: subsetDataset(data, train.sort(byIndex)),
    validation: subsetDataset(data, validation.sort(byIndex)),
    test: subsetDataset(data, test.sort(byIndex)),
    rows: { holdout: 'recent', train: rowSet(ids(train)), validation: rowSet(ids(validation)), test: rowSet(ids(test)), excludedAsChampionTraining: excluded },
    noFairRows,
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
