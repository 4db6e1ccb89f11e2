import { createHash } from 'node:crypto';
import type { FeatureRow, FeatureSpec, LabelValue, Task } from '../domain/entities.js';
import { UnrecoverableError } from '../errors.js';
import type { CategoryColumn, Column, Dataset, FeatureMatrix } from './dataset.js';
import { mulberry32, shuffleInPlace } from './random.js';

/** One labelled row as the store returns it. */
export interface LabelledRow {
  readonly id: number;
  readonly features: FeatureRow;
  readonly label: LabelValue | boolean;
}

/** Category levels by feature name: the code of a value is its index in the list. */
export type CategoryLevels = Readonly<Record<string, readonly string[]>>;

/** How a split divides the rows; the fractions should add up to 1 (the test part takes the rest). */
export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

export const DEFAULT_SPLIT: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

function numberValue(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

function categoryValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * Each level list's index (level → code), made once per list rather than on every call: a
 * model's levels are one array for its life (lists are never changed in place: extendLevels
 * makes new ones), so scoring a request no longer rebuilds a map per category feature.
 */
const NO_LEVELS: readonly string[] = [];
const levelIndexes = new WeakMap<readonly string[], ReadonlyMap<string, number>>();

/** The code of each level of `list` (its index), cached per list. */
export function levelIndex(list: readonly string[]): ReadonlyMap<string, number> {
  let index = levelIndexes.get(list);
  if (index === undefined) levelIndexes.set(list, (index = new Map(list.map((l, i) => [l, i]))));
  return index;
}

/**
 * Encode raw feature rows column by column: numbers as floats (NaN when missing), booleans as
 * 0/1, categories as codes into `levels` (-1 when missing or not in the levels), text as is.
 */
export function encodeRows(features: readonly FeatureSpec[], rows: readonly FeatureRow[], levels: CategoryLevels): FeatureMatrix {
  const n = rows.length;
  const columns = features.map((f): Column => {
    if (f.type === 'category') {
      const list = levels[f.name] ?? NO_LEVELS;
      const index = levelIndex(list);
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = categoryValue(rows[i][f.name]);
        codes[i] = v === null ? -1 : (index.get(v) ?? -1);
      }
      return { name: f.name, kind: 'category', codes, levels: list };
    }
    if (f.type === 'text') {
      const values = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i][f.name];
        values[i] = typeof v === 'string' ? v : '';
      }
      return { name: f.name, kind: 'text', values };
    }
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = numberValue(rows[i][f.name]);
    return { name: f.name, kind: 'number', values };
  });
  return { rows: n, columns };
}

/** The category levels of a matrix, by feature name. */
export function categoryLevels(x: FeatureMatrix): CategoryLevels {
  const out: Record<string, readonly string[]> = {};
  for (const c of x.columns) if (c.kind === 'category') out[c.name] = c.levels;
  return out;
}

/**
 * `levels` with, for each category feature, the values of `rows` it does not hold appended (in
 * code-unit order): old codes keep their meaning and new values get codes of their own instead of
 * the missing code -1.
 */
export function extendLevels(features: readonly FeatureSpec[], rows: readonly FeatureRow[], levels: CategoryLevels): CategoryLevels {
  const out: Record<string, readonly string[]> = { ...levels };
  for (const f of features) {
    if (f.type !== 'category') continue;
    const known = new Set(levels[f.name] ?? []);
    const extra = new Set<string>();
    for (const r of rows) {
      const v = categoryValue(r[f.name]);
      if (v !== null && !known.has(v)) extra.add(v);
    }
    if (extra.size > 0) out[f.name] = [...(levels[f.name] ?? []), ...sortedUnique(extra)];
  }
  return out;
}

function sortedUnique(values: Iterable<string>): string[] {
  // Code-unit order, not locale order: the same on every machine.
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function labelCode(task: Task, label: LabelValue | boolean, classIndex: Map<string, number>, row: number): number {
  if (task === 'regression') {
    const v = typeof label === 'number' ? label : typeof label === 'string' ? Number(label) : NaN;
    if (!Number.isFinite(v)) throw new UnrecoverableError(`label ${JSON.stringify(label)} at row ${row} is not a finite number`);
    return v;
  }
  if (task === 'binary') {
    if (label === 1 || label === true || label === '1' || label === 'true') return 1;
    if (label === 0 || label === false || label === '0' || label === 'false') return 0;
    throw new UnrecoverableError(`binary label ${JSON.stringify(label)} at row ${row} is not 0 or 1`);
  }
  const code = classIndex.get(String(label));
  if (code === undefined) throw new UnrecoverableError(`label ${JSON.stringify(label)} at row ${row} is not one of the model's classes`);
  return code;
}

/**
 * Encode labelled rows for training. Category levels are the values seen, sorted; multiclass
 * classes are `classes` when the spec names them, else the labels seen, sorted.
 */
export function buildDataset(task: Task, features: readonly FeatureSpec[], rows: readonly LabelledRow[], classes?: readonly string[] | null): Dataset {
  return new DatasetBuilder(task, features, classes).add(rows).build();
}

/** A growable typed array: the first `length` values are the data. */
function grown<T extends Float64Array | Int32Array>(a: T, need: number, make: (n: number) => T): T {
  if (a.length >= need) return a;
  const b = make(Math.max(need, a.length * 2, 1024));
  b.set(a);
  return b;
}

interface CategoryState {
  /** The value of each row ('' never stands for missing: null does). */
  readonly values: (string | null)[];
  readonly seen: Set<string>;
  /** Levels the codes were made with (null: none yet), and the codes of the first `coded` rows. */
  levels: string[] | null;
  codes: Int32Array;
  coded: number;
}

/**
 * buildDataset for a window that grows at its end, batch by batch (a training window kept between
 * retrains): the rows added before are not encoded again. `build()` gives exactly what
 * buildDataset gives on every row added so far; a category column is re-coded only when a new
 * level appears (levels are sorted), the labels of a multiclass model without named classes only
 * when a new class appears. The arrays `build()` returns are views of the builder's own: read them,
 * never write them (a split copies them anyway).
 */
export class DatasetBuilder {
  private n = 0;
  private readonly numbers = new Map<string, Float64Array>();
  private readonly categories = new Map<string, CategoryState>();
  private readonly texts = new Map<string, string[]>();
  private y = new Float64Array(0);
  private rowIds = new Float64Array(0);
  /** Multiclass without named classes: each row's label as text, the classes seen, the classes the codes were made with. */
  private readonly labelText: string[] = [];
  private readonly classesSeen = new Set<string>();
  private codedClasses: string[] | null = null;
  /** Labels coded with `codedClasses` so far. */
  private labelsCoded = 0;
  private readonly fixedClasses: string[] | null;

  constructor(
    private readonly task: Task,
    private readonly features: readonly FeatureSpec[],
    classes?: readonly string[] | null,
  ) {
    this.fixedClasses = task === 'binary' ? ['0', '1'] : task === 'regression' ? [] : classes && classes.length > 0 ? [...classes] : null;
    for (const f of features) {
      if (f.type === 'category') this.categories.set(f.name, { values: [], seen: new Set(), levels: null, codes: new Int32Array(0), coded: 0 });
      else if (f.type === 'text') this.texts.set(f.name, []);
      else this.numbers.set(f.name, new Float64Array(0));
    }
  }

  /** Rows added so far. */
  get rows(): number {
    return this.n;
  }

  /** Append rows (after those added before); throws on a label the task cannot take, naming its row. */
  add(rows: readonly LabelledRow[]): this {
    const from = this.n;
    const n = from + rows.length;
    // Labels first: a bad one throws before anything of this batch is kept.
    const classIndex = this.fixedClasses ? new Map(this.fixedClasses.map((c, i) => [c, i])) : null;
    const y = grown(this.y, n, (k) => new Float64Array(k));
    for (let i = 0; i < rows.length; i++) {
      if (classIndex) y[from + i] = labelCode(this.task, rows[i].label, classIndex, from + i);
    }
    if (!classIndex) {
      for (const r of rows) {
        const t = String(r.label);
        this.labelText.push(t);
        this.classesSeen.add(t);
      }
    }
    this.y = y;
    this.rowIds = grown(this.rowIds, n, (k) => new Float64Array(k));
    for (let i = 0; i < rows.length; i++) this.rowIds[from + i] = rows[i].id;
    for (const f of this.features) {
      const name = f.name;
      if (f.type === 'category') {
        const c = this.categories.get(name)!;
        for (const r of rows) {
          const v = categoryValue(r.features[name]);
          c.values.push(v);
          if (v !== null) c.seen.add(v);
        }
      } else if (f.type === 'text') {
        const t = this.texts.get(name)!;
        for (const r of rows) {
          const v = r.features[name];
          t.push(typeof v === 'string' ? v : '');
        }
      } else {
        const values = grown(this.numbers.get(name)!, n, (k) => new Float64Array(k));
        for (let i = 0; i < rows.length; i++) values[from + i] = numberValue(rows[i].features[name]);
        this.numbers.set(name, values);
      }
    }
    this.n = n;
    return this;
  }

  /** The dataset of every row added so far. */
  build(): Dataset {
    const n = this.n;
    const columns = this.features.map((f): Column => {
      if (f.type === 'category') {
        const c = this.categories.get(f.name)!;
        if (c.levels === null || c.seen.size !== c.levels.length) {
          // A new level: codes of every row change (levels are sorted); new memory, so that a
          // dataset built before keeps its codes.
          c.levels = sortedUnique(c.seen);
          c.coded = 0;
          c.codes = new Int32Array(Math.max(n, 1024));
        }
        c.codes = grown(c.codes, n, (k) => new Int32Array(k));
        const index = new Map(c.levels.map((l, i) => [l, i]));
        for (let i = c.coded; i < n; i++) {
          const v = c.values[i];
          c.codes[i] = v === null ? -1 : (index.get(v) ?? -1);
        }
        c.coded = n;
        return { name: f.name, kind: 'category', codes: c.codes.subarray(0, n), levels: c.levels };
      }
      if (f.type === 'text') return { name: f.name, kind: 'text', values: this.texts.get(f.name)!.slice(0, n) };
      return { name: f.name, kind: 'number', values: this.numbers.get(f.name)!.subarray(0, n) };
    });
    let classList = this.fixedClasses;
    if (classList === null) {
      if (this.codedClasses === null || this.codedClasses.length !== this.classesSeen.size) {
        // A new class: every label's code may change (classes are sorted); new memory, as above.
        this.codedClasses = sortedUnique(this.classesSeen);
        this.labelsCoded = 0;
        this.y = new Float64Array(this.y.length);
      }
      classList = this.codedClasses;
      const classIndex = new Map(classList.map((c, i) => [c, i]));
      for (let i = this.labelsCoded; i < n; i++) this.y[i] = classIndex.get(this.labelText[i])!;
      this.labelsCoded = n;
    }
    return { task: this.task, features: this.features, classes: [...classList], x: { rows: n, columns }, y: this.y.subarray(0, n), rowIds: this.rowIds.subarray(0, n) };
  }
}

/** The rows of `data` at `indices`, in that order. */
export function subsetDataset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const m = indices.length;
  const columns = data.x.columns.map((c): Column => {
    if (c.kind === 'number') {
      const values = new Float64Array(m);
      for (let i = 0; i < m; i++) values[i] = c.values[indices[i]];
      return { name: c.name, kind: 'number', values };
    }
    if (c.kind === 'category') {
      const codes = new Int32Array(m);
      for (let i = 0; i < m; i++) codes[i] = c.codes[indices[i]];
      return { name: c.name, kind: 'category', codes, levels: c.levels } satisfies CategoryColumn;
    }
    const values = new Array<string>(m);
    for (let i = 0; i < m; i++) values[i] = c.values[indices[i]];
    return { name: c.name, kind: 'text', values };
  });
  const y = new Float64Array(m);
  const rowIds = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    y[i] = data.y[indices[i]];
    rowIds[i] = data.rowIds[indices[i]];
  }
  return { task: data.task, features: data.features, classes: data.classes, x: { rows: m, columns }, y, rowIds };
}

/**
 * Split into train, validation and test parts, reproducibly from `seed`: shuffled within each
 * class for classification (stratified, so every part keeps the class balance), over all rows for
 * regression. Each part keeps the original row order. When the rows allow it the test part is
 * never empty, so there is always something to compare champion and challenger on.
 */
export function splitDataset(data: Dataset, seed: number, fractions: SplitFractions = DEFAULT_SPLIT): { train: Dataset; validation: Dataset; test: Dataset } {
  const n = data.y.length;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = data.task === 'regression' ? 0 : data.y[i];
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const random = mulberry32(seed);
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  const total = fractions.train + fractions.validation + fractions.test;
  const trainShare = fractions.train / total;
  const validationShare = (fractions.train + fractions.validation) / total;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = shuffleInPlace(groups.get(key)!, random);
    const trainEnd = Math.round(g.length * trainShare);
    const validationEnd = Math.round(g.length * validationShare);
    for (let i = 0; i < g.length; i++) (i < trainEnd ? train : i < validationEnd ? validation : test).push(g[i]);
  }
  if (test.length === 0 && fractions.test > 0) {
    const from = validation.length > 0 ? validation : train.length > 1 ? train : null;
    if (from) test.push(from.pop()!);
  }
  const byIndex = (a: number, b: number) => a - b;
  return {
    train: subsetDataset(data, train.sort(byIndex)),
    validation: subsetDataset(data, validation.sort(byIndex)),
    test: subsetDataset(data, test.sort(byIndex)),
  };
}

/**
 * sha256 over the training window (row ids, features and labels, in order): two retrains on the
 * same rows report the same hash.
 */
export function datasetHash(rows: readonly LabelledRow[]): string {
  return new DatasetHasher().add(rows).digest();
}

/** Rows hashed per update: one string per batch instead of two native calls per row. */
const HASH_BATCH = 512;

/**
 * `datasetHash` one batch of rows at a time: the hash of all rows added so far, for a window kept
 * between retrains whose rows only grow (only the new rows are hashed).
 */
export class DatasetHasher {
  private readonly hash = createHash('sha256');
  private lastKeys: string[] = [];
  private lastSorted: string[] = [];

  /** Hash `rows` after those added before; returns this. */
  add(rows: readonly LabelledRow[]): this {
    let batch = '';
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      batch += JSON.stringify([r.id, this.sortedKeys(r.features).map((k) => [k, r.features[k]]), r.label]);
      batch += '\n';
      if ((i + 1) % HASH_BATCH === 0) {
        this.hash.update(batch);
        batch = '';
      }
    }
    if (batch !== '') this.hash.update(batch);
    return this;
  }

  /** The hash of every row added so far (more may be added after). */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** The row's keys sorted, reusing the last sort when the row has the same keys in the same order (rows of one model usually do). */
  private sortedKeys(features: FeatureRow): string[] {
    const keys = Object.keys(features);
    const last = this.lastKeys;
    let same = keys.length === last.length;
    for (let j = 0; same && j < keys.length; j++) same = keys[j] === last[j];
    if (!same) {
      this.lastKeys = keys;
      this.lastSorted = [...keys].sort();
    }
    return this.lastSorted;
  }
}
