import { describe, expect, it } from 'vitest';
import { DatasetBuilder, DatasetHasher, buildDataset, datasetHash, encodeRows, splitDataset, type LabelledRow } from '../../src/data/build-dataset.js';
import { mulberry32 } from '../../src/data/random.js';
import type { FeatureSpec } from '../../src/domain/entities.js';

const features: FeatureSpec[] = [
  { name: 'age', type: 'number' },
  { name: 'plan', type: 'category' },
  { name: 'remote', type: 'boolean' },
  { name: 'title', type: 'text' },
];

function rows(n: number, label: (i: number) => number | string): LabelledRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: 100 + i,
    features: { age: i % 7 === 0 ? null : 20 + i, plan: ['pro', 'basic', 'team'][i % 3], remote: i % 2 === 0, title: `job ${i}` },
    label: label(i),
  }));
}

describe('buildDataset', () => {
  it('encodes numbers, booleans, categories and text by column, with missing values marked', () => {
    const ds = buildDataset('binary', features, rows(4, (i) => i % 2));
    expect(ds.classes).toEqual(['0', '1']);
    expect(Array.from(ds.y)).toEqual([0, 1, 0, 1]);
    expect(Array.from(ds.rowIds)).toEqual([100, 101, 102, 103]);
    const [age, plan, remote, title] = ds.x.columns;
    expect(age.kind === 'number' && Array.from(age.values)).toEqual([NaN, 21, 22, 23]);
    expect(plan.kind === 'category' && plan.levels).toEqual(['basic', 'pro', 'team']);
    expect(plan.kind === 'category' && Array.from(plan.codes)).toEqual([1, 0, 2, 1]);
    expect(remote.kind === 'number' && Array.from(remote.values)).toEqual([1, 0, 1, 0]);
    expect(title.kind === 'text' && title.values).toEqual(['job 0', 'job 1', 'job 2', 'job 3']);
  });

  it('codes multiclass labels by sorted class name, or by the classes the spec lists', () => {
    expect(buildDataset('multiclass', features, rows(3, (i) => ['plum', 'apple', 'pear'][i])).classes).toEqual(['apple', 'pear', 'plum']);
    const listed = buildDataset('multiclass', features, rows(3, (i) => ['plum', 'apple', 'pear'][i]), ['plum', 'pear', 'apple']);
    expect(Array.from(listed.y)).toEqual([0, 2, 1]);
    expect(() => buildDataset('multiclass', features, rows(2, () => 'fig'), ['plum'])).toThrow(/not one of the model's classes/);
  });

  it('gives unseen category levels code -1 when encoding for prediction', () => {
    const x = encodeRows(features, [{ plan: 'enterprise', age: 3 }], { plan: ['basic', 'pro'] });
    const plan = x.columns[1];
    expect(plan.kind === 'category' && plan.codes[0]).toBe(-1);
  });
});

describe('splitDataset', () => {
  const random = mulberry32(1);
  const data = buildDataset('binary', features, rows(1000, () => (random() < 0.2 ? 1 : 0)));
  const positives = (y: Float64Array) => y.reduce((s, v) => s + v, 0) / y.length;

  it('splits 70/15/15, keeps the class balance in every part and loses no row', () => {
    const { train, validation, test } = splitDataset(data, 42);
    expect([train.x.rows, validation.x.rows, test.x.rows]).toEqual([700, 150, 150]);
    const all = [...train.rowIds, ...validation.rowIds, ...test.rowIds].sort((a, b) => a - b);
    expect(all).toEqual(Array.from(data.rowIds));
    const overall = positives(data.y);
    for (const part of [train, validation, test]) expect(Math.abs(positives(part.y) - overall)).toBeLessThan(0.01);
  });

  it('is reproducible from the seed and differs across seeds', () => {
    expect(Array.from(splitDataset(data, 42).test.rowIds)).toEqual(Array.from(splitDataset(data, 42).test.rowIds));
    expect(Array.from(splitDataset(data, 43).test.rowIds)).not.toEqual(Array.from(splitDataset(data, 42).test.rowIds));
  });

  it('leaves at least one test row for a tiny window', () => {
    const tiny = buildDataset('binary', features, rows(3, (i) => (i === 0 ? 1 : 0)));
    const { train, test } = splitDataset(tiny, 7);
    expect(test.x.rows).toBeGreaterThanOrEqual(1);
    expect(train.x.rows).toBeGreaterThanOrEqual(1);
  });
});

describe('datasetHash', () => {
  it('is the same for the same rows whatever the key order, and changes with a label', () => {
    const a: LabelledRow[] = [{ id: 1, features: { x: 1, y: 'a' }, label: 1 }];
    const b: LabelledRow[] = [{ id: 1, features: { y: 'a', x: 1 }, label: 1 }];
    const c: LabelledRow[] = [{ id: 1, features: { x: 1, y: 'a' }, label: 0 }];
    expect(datasetHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(datasetHash(a)).toBe(datasetHash(b));
    expect(datasetHash(a)).not.toBe(datasetHash(c));
  });

  it('keeps the hash that versions already recorded for the same rows', () => {
    const rows: LabelledRow[] = [
      { id: 1, features: { age: 20, plan: 'pro' }, label: 0 },
      { id: 2, features: { plan: 'team', age: null }, label: 1 },
      { id: 5, features: {}, label: 'x' },
    ];
    // sha256 of one JSON line [id, sorted [key, value] pairs, label] per row, as stored since the first release.
    expect(datasetHash(rows)).toBe('fdceafeb197226ee20d56c788953eea03bc49d614ec2977deca8342ff8e5c31e');
  });

  it('hashes a window that grows batch by batch as the whole window', () => {
    const rows: LabelledRow[] = Array.from({ length: 1500 }, (_, i) => ({ id: i + 1, features: i % 7 === 0 ? { b: i, a: `x${i}` } : { a: 'y', b: i / 2 }, label: i % 2 }));
    const hasher = new DatasetHasher().add(rows.slice(0, 700));
    const part = hasher.digest();
    expect(part).toBe(datasetHash(rows.slice(0, 700)));
    expect(hasher.add(rows.slice(700)).digest()).toBe(datasetHash(rows));
  });
});

describe('DatasetBuilder', () => {
  const features = [
    { name: 'age', type: 'number' as const },
    { name: 'plan', type: 'category' as const },
    { name: 'active', type: 'boolean' as const },
    { name: 'title', type: 'text' as const },
  ];
  const row = (id: number, plan: string | null, label: string | number): LabelledRow => ({
    id,
    features: { age: id % 7 === 0 ? null : id * 1.5, ...(plan === null ? {} : { plan }), active: id % 2 === 0, title: `t${id}` },
    label,
  });

  it('builds, batch by batch, what buildDataset builds on all the rows, and leaves datasets built before as they were', () => {
    const first = [row(1, 'pro', 'b'), row(2, 'team', 'a'), row(3, null, 'b')];
    // New levels ('basic' sorts first) and a new class ('0' sorts first) arrive later.
    const second = [row(4, 'basic', 'c'), row(5, 'pro', '0'), row(7, 'team', 'a')];
    const third = [row(9, 'pro', 'c')];
    for (const [task, classes] of [['multiclass', null], ['multiclass', ['0', 'a', 'b', 'c']]] as const) {
      const builder = new DatasetBuilder(task, features, classes);
      const before = builder.add(first).build();
      const snapshot = structuredClone(before);
      expect(before).toEqual(buildDataset(task, features, first, classes));
      expect(builder.add(second).build()).toEqual(buildDataset(task, features, [...first, ...second], classes));
      expect(builder.add(third).build()).toEqual(buildDataset(task, features, [...first, ...second, ...third], classes));
      expect(before).toEqual(snapshot);
    }
    const numbers = [row(1, 'pro', 1.5), row(2, 'team', -2)];
    const regression = new DatasetBuilder('regression', features).add(numbers.slice(0, 1)).add(numbers.slice(1)).build();
    expect(regression).toEqual(buildDataset('regression', features, numbers));
  });

  it('refuses a bad label naming its row among all the rows, and keeps nothing of that batch', () => {
    const builder = new DatasetBuilder('binary', features).add([row(1, 'pro', 1), row(2, 'pro', 0)]);
    expect(() => builder.add([row(3, 'pro', 1), row(4, 'pro', 'yes')])).toThrow('binary label "yes" at row 3 is not 0 or 1');
    expect(builder.rows).toBe(2);
    expect(builder.add([row(5, 'team', 1)]).build()).toEqual(buildDataset('binary', features, [row(1, 'pro', 1), row(2, 'pro', 0), row(5, 'team', 1)]));
  });
});
