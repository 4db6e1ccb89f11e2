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

  it('reads on every score by default (a single process)', async () => {
    const { store, reads } = await countingStore();
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
