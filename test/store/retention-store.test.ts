import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import type { Score } from '../../src/domain/entities.js';
import { createStore } from '../../src/store/create-store.js';
import type { NewLabel, Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const T0 = new Date('2026-03-01T00:00:00.000Z');
const day = (n: number) => new Date(T0.getTime() + n * 86_400_000);

function score(id: string, at: Date, extra: Partial<Score> = {}): Score {
  return { id, modelId: 'm', version: '1.0.0', features: { age: 1 }, score: 0.5, createdAt: at, ...extra };
}

function label(occurredAt: Date, scoreId: string | null = null): NewLabel {
  return { features: { age: 1 }, label: 1, scoreId, occurredAt };
}

describe.each(DIALECTS)('retention store on $name', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
    for (const id of ['m', 'other']) {
      await store.createModel(parseModelSpec({ id, task: 'binary', features: [{ name: 'age', type: 'number' }], trainer: { type: 'logistic' } }), T0);
    }
  });
  afterEach(async () => {
    await store.close();
  });
  afterAll(async () => {
    await dropTestSchemas();
  });

  it('deletes old scores of one model in bounded batches, oldest first, keeping those a label in the live window refers to', async () => {
    // s0..s9 on days 0..9; s3 has a label that occurred on day 20 (in the live window), s4 one on day 5 (not).
    await store.insertScores(Array.from({ length: 10 }, (_, i) => score(`s${i}`, day(i))));
    await store.insertScores([{ ...score('o1', day(0)), modelId: 'other' }]);
    await store.insertLabels('m', [label(day(20), 's3'), label(day(5), 's4')], day(20));
    const rule = { before: day(8), keepLabelledSince: day(14) };
    expect(await store.countPrunableScores('m', rule)).toBe(7);
    expect(await store.pruneScores('m', rule, { limit: 3, from: null })).toEqual({ deleted: 3, last: day(2) });
    // Oldest first: s0, s1, s2 went.
    expect([...(await store.getScores('m', ['s0', 's1', 's2', 's3'])).keys()]).toEqual(['s3']);
    // Each batch from where the last one stopped.
    expect(await store.pruneScores('m', rule, { limit: 3, from: day(2) })).toEqual({ deleted: 3, last: day(6) });
    expect(await store.pruneScores('m', rule, { limit: 3, from: day(6) })).toEqual({ deleted: 1, last: day(7) });
    expect(await store.pruneScores('m', rule, { limit: 3, from: day(7) })).toEqual({ deleted: 0, last: null });
    expect([...(await store.getScores('m', Array.from({ length: 10 }, (_, i) => `s${i}`))).keys()].sort()).toEqual(['s3', 's8', 's9']);
    // Another model's scores are not touched.
    expect((await store.getScores('other', ['o1'])).size).toBe(1);
  });

  it('finds the edge of the drift window among served, error-free scores, and of a labels window', async () => {
    await store.insertScores([
      score('a', day(1)),
      score('b', day(2)),
      score('shadow', day(3), { served: false, arm: 'challenger' }),
      score('failed', day(4), { error: 'boom' }),
      score('c', day(5)),
    ]);
    expect(await store.newestScoresEdge('m', 2)).toEqual(day(2));
    expect(await store.newestScoresEdge('m', 3)).toEqual(day(1));
    expect(await store.newestScoresEdge('m', 4)).toBeNull();
    const labelIds = await store.insertLabels('m', [label(day(1)), label(day(2)), label(day(3))], day(3));
    expect(await store.newestLabelsEdge('m', 2)).toBe(labelIds[1]);
    expect(await store.newestLabelsEdge('m', 4)).toBeNull();
  });

  it('deletes labels that occurred and were received before the cut, never a later label whose score keeps an earlier one', async () => {
    const old = await store.insertLabels('m', [label(day(1)), label(day(2)), label(day(3))], day(3));
    // Back-dated on arrival: occurred on day 1, received on day 30: stays.
    const late = await store.insertLabels('m', [label(day(1))], day(30));
    // Score 'x' labelled with an occurrence in the future of its arrival (day 25, received day 10),
    // then relabelled (occurred day 2, received day 12): the relabel replaces the first label, so
    // deleting it would bring the first back into training and live metrics. It stays.
    const first = await store.insertLabels('m', [label(day(25), 'x')], day(10));
    const relabel = await store.insertLabels('m', [label(day(2), 'x')], day(12));
    // Score 'y' labelled twice, both long ago: both go.
    const both = [...(await store.insertLabels('m', [label(day(4), 'y')], day(4))), ...(await store.insertLabels('m', [label(day(5), 'y')], day(6)))];
    await store.insertLabels('other', [label(day(1))], day(1));
    const rule = { before: day(20), belowId: null };
    expect(await store.countPrunableLabels('m', rule)).toBe(5);
    // By occurrence, each batch from where the last stopped: days 1 and 2, then 3 and 4, then 5.
    const batches = [];
    for (let from: Date | null = null, i = 0; i < 4; i++) {
      const b = await store.pruneLabels('m', rule, { limit: 2, from });
      batches.push(b);
      from = b.last;
    }
    expect(batches).toEqual([
      { deleted: 2, last: day(2) },
      { deleted: 2, last: day(4) },
      { deleted: 1, last: day(5) },
      { deleted: 0, last: null },
    ]);
    const left = (await store.loadLabelsRaw('m', { kind: 'all' }, day(40))).map((l) => l.id);
    expect(left).toEqual([...late, ...first, ...relabel]);
    expect([...old, ...both].some((id) => left.includes(id))).toBe(false);
    expect(await store.countLabels('other')).toBe(1);
  });

  it('keeps labels at and above the id bound', async () => {
    const labelIds = await store.insertLabels('m', [label(day(1)), label(day(2)), label(day(3)), label(day(4))], day(5));
    expect(await store.pruneLabels('m', { before: day(10), belowId: labelIds[2] }, { limit: 100, from: null })).toEqual({ deleted: 2, last: day(2) });
    expect((await store.loadLabelsRaw('m', { kind: 'all' }, day(10))).map((l) => l.id)).toEqual(labelIds.slice(2));
  });

  it('reports the database size, the rows of scores and labels per model, and their bytes', async () => {
    await store.insertScores(Array.from({ length: 30 }, (_, i) => score(`s${i}`, day(i % 10))));
    await store.insertLabels('m', [label(day(3)), label(day(1))], day(4));
    const space = await store.spaceSnapshot();
    expect(space.databaseBytes).toBeGreaterThan(0);
    const stats = await store.storageStats();
    expect(stats.dialect).toBe(dialect.name);
    expect(stats.databaseBytes).toBeGreaterThan(0);
    const scores = stats.tables.find((t) => t.name === 'scores');
    expect(scores).toMatchObject({ rows: 30, models: [{ modelId: 'm', rows: 30, oldestAt: day(0) }] });
    expect(scores?.bytes).toBeGreaterThan(0);
    expect(stats.tables.find((t) => t.name === 'labels')).toMatchObject({ rows: 2, models: [{ modelId: 'm', rows: 2, oldestAt: day(1) }] });
    if (dialect.name === 'sqlite') {
      expect(stats).toMatchObject({ pageSize: expect.any(Number), autoVacuum: 'none' });
      expect(space.freeBytes).toBeGreaterThanOrEqual(0);
      // Freed pages go on the free list, where later writes reuse them: the file does not shrink.
      await store.insertScores(Array.from({ length: 2000 }, (_, i) => score(`big${i}`, day(50), { features: { age: 1, note: 'x'.repeat(200) } as Score['features'] })));
      const full = await store.spaceSnapshot();
      expect((await store.pruneScores('m', { before: day(100), keepLabelledSince: day(100) }, { limit: 5000, from: null })).deleted).toBe(2030);
      const after = await store.spaceSnapshot();
      expect(after.databaseBytes).toBe(full.databaseBytes);
      expect(after.freeBytes!).toBeGreaterThan(full.freeBytes! + 300_000);
      // Without auto_vacuum=incremental nothing is given back (and nothing is vacuumed).
      expect(await store.reclaimFreePages(100)).toBe(0);
    } else {
      expect(stats).toMatchObject({ pageSize: null, autoVacuum: null, walBytes: null, freeBytes: null });
      expect(scores?.deadRows).toEqual(expect.any(Number));
    }
  });

  it('runs the prune under a lock that a second process on the same database cannot take (PostgreSQL)', async () => {
    if (dialect.name !== 'postgres') {
      // SQLite has one writer: the lock is always taken.
      expect(await store.withPruneLock(async () => 'ran')).toEqual({ acquired: true, value: 'ran' });
      return;
    }
    const url = process.env.REFIT_TEST_DATABASE_URL!;
    const schema = `refit_test_${randomBytes(6).toString('hex')}`;
    const a = await createStore({ url, schema });
    const b = await createStore({ url, schema });
    // Another schema of the same database has a lock of its own.
    const elsewhere = await dialect.open();
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const first = a.withPruneLock(async () => {
        entered();
        await held;
        return 'a';
      });
      await inside;
      expect(await b.withPruneLock(async () => 'b')).toEqual({ acquired: false });
      expect(await elsewhere.withPruneLock(async () => 'elsewhere')).toEqual({ acquired: true, value: 'elsewhere' });
      release();
      expect(await first).toEqual({ acquired: true, value: 'a' });
      expect(await b.withPruneLock(async () => 'b')).toEqual({ acquired: true, value: 'b' });
    } finally {
      await a.close();
      await b.close();
      await elsewhere.close();
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  });
});
