import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import type { Score } from '../../src/domain/entities.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';

// The server's SQLite store writes score batches from a thread with a connection of its own
// (src/store/sqlite-writer.ts); the store's other writes stay on its own connection.
describe('SQLite score writer thread', () => {
  let dir: string;
  let file: string;
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<Store> {
    dir = mkdtempSync(join(tmpdir(), 'refit-writer-'));
    file = join(dir, 'refit.db');
    const store = await createStore({ url: file, sqliteScoreWriter: true, sqliteBackgroundCheckpoints: true });
    stores.push(store);
    await store.createModel(parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'a', type: 'number' }], trainer: { type: 'logistic' } }), new Date(0));
    return store;
  }

  const scores = (prefix: string, n: number, at = new Date(0)): Score[] =>
    Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, modelId: 'm', version: '1.0.0', features: { a: i }, score: i / n, createdAt: at, latencyMs: 0.5 }));

  it('commits each batch before it resolves, as the store reads it back', async () => {
    const store = await open();
    const batch = [...scores('a', 150), { id: 'b-0', modelId: 'm', version: '2.0.0', features: { a: 1 }, score: 0.25, createdAt: new Date(5), arm: 'challenger' as const, served: false, shadowOf: 'a-0' }];
    await store.insertScores(batch);
    // Another connection (another process) sees every row at once.
    const other = new Database(file, { readonly: true });
    try {
      expect((other.prepare("select count(*) as n from scores where model_id = 'm'").get() as { n: number }).n).toBe(151);
    } finally {
      other.close();
    }
    const got = await store.getScores('m', batch.map((s) => s.id));
    expect(got.size).toBe(151);
    expect(got.get('b-0')).toMatchObject({ version: '2.0.0', arm: 'challenger', served: false, shadowOf: 'a-0', score: 0.25 });
    expect(got.get('a-149')).toMatchObject({ features: { a: 149 }, score: 149 / 150, latencyMs: 0.5 });
  });

  it('refuses a batch whole when a row cannot be written, and goes on writing the next', async () => {
    const store = await open();
    await store.insertScores(scores('a', 3));
    // A duplicate id: SQLite's constraint error comes back from the thread with its code.
    await expect(store.insertScores([...scores('c', 5), ...scores('a', 1)])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect((await store.getScores('m', ['c-0', 'c-4'])).size).toBe(0);
    await store.insertScores(scores('d', 2));
    expect((await store.getScores('m', ['d-0', 'd-1'])).size).toBe(2);
  });

  it('lets the store\'s own transactions read and then write while batches commit meanwhile', async () => {
    const store = await open();
    // Each transaction reads the model, awaits, then writes it: a deferred SQLite transaction
    // would fail with SQLITE_BUSY whenever a batch committed between its read and its write.
    await store.insertScores(scores('first', 1));
    let done = false;
    let batches = 0;
    // Batches one after another, as the server's score log sends them, until the transactions end.
    const writing = (async () => {
      while (!done) await store.insertScores(scores(`w${batches++}`, 20));
    })();
    let updated = 0;
    for (let i = 0; i < 40; i++) {
      await store.transaction(async (tx) => {
        const model = await tx.getModel('m');
        // Long enough for a batch to commit meanwhile.
        await new Promise((r) => setTimeout(r, 2));
        await tx.updateModelSpec('m', { ...model!.spec, defaultScore: i / 100 }, new Date(i));
      });
      updated++;
    }
    done = true;
    await writing;
    expect(updated).toBe(40);
    expect((await store.getModel('m'))!.spec.defaultScore).toBe(0.39);
    const other = new Database(file, { readonly: true });
    try {
      expect((other.prepare("select count(*) as n from scores where model_id = 'm'").get() as { n: number }).n).toBe(1 + batches * 20);
    } finally {
      other.close();
    }
  });

  it('lets every batch under way commit before the store closes', async () => {
    const store = await open();
    const pending = Array.from({ length: 50 }, (_, i) => store.insertScores(scores(`p${i}`, 10)));
    stores.splice(stores.indexOf(store), 1);
    await store.close();
    await Promise.all(pending);
    const other = new Database(file, { readonly: true });
    try {
      expect((other.prepare('select count(*) as n from scores').get() as { n: number }).n).toBe(500);
    } finally {
      other.close();
    }
  });

  it('moves the serving version on a change to a model or a rollout by any connection, not on scores or labels', async () => {
    const store = await open();
    const version = () => {
      // Read once per turn of the event loop: a fresh turn reads it again.
      return new Promise<number>((resolve) => setImmediate(() => resolve(store.servingVersion!())));
    };
    const v0 = await version();
    await store.insertScores(scores('s', 10));
    await store.insertLabels('m', [{ features: { a: 1 }, label: 1, scoreId: 's-1', occurredAt: new Date(1) }], new Date(1));
    expect(await version()).toBe(v0);
    const other = await createStore({ url: file });
    try {
      await other.insertLabels('m', [{ features: { a: 2 }, label: 0, scoreId: null, occurredAt: new Date(2) }], new Date(2));
      expect(await version()).toBe(v0);
      const spec = (await other.getModel('m'))!.spec;
      await other.updateModelSpec('m', { ...spec, defaultScore: 0.75 }, new Date(3));
      expect(await version()).toBeGreaterThan(v0);
    } finally {
      await other.close();
    }
  });
});
