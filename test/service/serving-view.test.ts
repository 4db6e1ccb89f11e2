import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';

const SPEC = { id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }], trainer: 'logistic', retrain: { minNewLabels: 1 } };
const labels = Array.from({ length: 60 }, (_, i) => ({ features: { age: 20 + i }, label: i % 2 }));

/** A store whose model reads are counted. */
async function countingStore() {
  const store = await createStore({ url: ':memory:' });
  let reads = 0;
  const getModel = store.getModel.bind(store);
  store.getModel = (id: string) => {
    reads++;
    return getModel(id);
  };
  return { store, reads: () => reads };
}

describe('the serving view of an API process with a TTL', () => {
  it('reads the model once per TTL while nothing changes, and at once after an activation or another process\'s announcement', async () => {
    const { store, reads } = await countingStore();
    const clock = new ManualClock('2026-05-01T10:00:00Z');
    const { refit, parts } = createRefit({ store, clock, executor: inlineExecutor, servingCacheMs: 1000 });
    try {
      await refit.createModel(SPEC);
      await refit.addLabels('churn', labels);
      await refit.retrain('churn');
      await refit.whenIdle();
      const v1 = (await refit.getModel('churn')).activeVersion;
      expect(v1).toEqual(expect.any(String));

      const before = reads();
      for (let i = 0; i < 20; i++) expect((await refit.score('churn', [{ features: { age: 30 } }]))[0].version).toBe(v1);
      // Twenty scores within the TTL: one read of the model.
      expect(reads() - before).toBe(1);

      // Another process's promotion, announced over Redis: the next score reads the model again.
      parts.serving.invalidate('churn');
      await refit.score('churn', [{ features: { age: 30 } }]);
      expect(reads() - before).toBe(2);

      // A retrain promoted here invalidates it too (its events commit).
      clock.advance(60_000);
      await refit.retrain('churn', { force: true });
      await refit.whenIdle();
      const v2 = (await refit.getModel('churn')).activeVersion;
      expect(v2).not.toBe(v1);
      expect((await refit.score('churn', [{ features: { age: 30 } }]))[0].version).toBe(v2);
    } finally {
      await refit.close();
    }
  });

  it('without a TTL on PostgreSQL (no data_version), reads on every score', async () => {
    const { store, reads } = await countingStore();
    // What a PostgreSQL store looks like to the view: no data_version to tell another process's commits.
    delete (store as { dataVersion?: unknown }).dataVersion;
    const { refit } = createRefit({ store, clock: new ManualClock('2026-05-01T10:00:00Z'), executor: inlineExecutor });
    try {
      await refit.createModel(SPEC);
      const before = reads();
      for (let i = 0; i < 3; i++) await refit.score('churn', [{ features: { age: 30 } }]);
      expect(reads() - before).toBe(3);
    } finally {
      await refit.close();
    }
  });
});

describe('the serving view of a single process on SQLite', () => {
  it('keeps the model until something changes it: a change here, or any commit by another process on the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-view-'));
    const url = `sqlite:${join(dir, 'refit.db')}`;
    const store = await createStore({ url });
    let reads = 0;
    const getModel = store.getModel.bind(store);
    store.getModel = (id: string) => {
      reads++;
      return getModel(id);
    };
    const clock = new ManualClock('2026-05-01T10:00:00Z');
    const { refit } = createRefit({ store, clock, executor: inlineExecutor });
    const other = await createStore({ url });
    try {
      await refit.createModel(SPEC);
      await refit.addLabels('churn', labels);
      await refit.retrain('churn');
      await refit.whenIdle();
      const v1 = (await refit.getModel('churn')).activeVersion;
      const before = reads;
      for (let i = 0; i < 20; i++) expect((await refit.score('churn', [{ features: { age: 30 } }]))[0].version).toBe(v1);
      expect(reads - before).toBe(1);

      // Another process (the CLI on the same file) changes the spec: the next score sees it.
      const spec = (await other.getModel('churn'))!.spec;
      await other.updateModelSpec('churn', { ...spec, defaultScore: 0.25 }, clock.now());
      await refit.score('churn', [{ features: { age: 30 } }]);
      expect(reads - before).toBe(2);
      await refit.score('churn', [{ features: { age: 30 } }]);
      expect(reads - before).toBe(2);

      // A retrain promoted here: the next score carries the new version.
      clock.advance(60_000);
      await refit.retrain('churn', { force: true });
      await refit.whenIdle();
      const v2 = (await refit.getModel('churn')).activeVersion;
      expect(v2).not.toBe(v1);
      expect((await refit.score('churn', [{ features: { age: 30 } }]))[0].version).toBe(v2);
    } finally {
      await refit.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
