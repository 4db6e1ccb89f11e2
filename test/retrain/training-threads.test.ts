import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadSettings } from '../../src/config/settings.js';
import { ManualClock } from '../../src/domain/clock.js';
import { RefitError } from '../../src/errors.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { resolveTrainingThreads } from '../../src/retrain/training-threads.js';
import { createRefit, type Refit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import { getTrainer, registerTrainer } from '../../src/train/registry.js';
import type { Trainer } from '../../src/train/trainer.js';

/** The threads each fit was given. */
const given: number[] = [];
const threadsTrainer: Trainer<{ threads: number }> = {
  name: 'test-threads',
  paramsSchema: z.object({ threads: z.number().int().min(1).default(4) }).strict(),
  tasks: ['binary'],
  fit: async (_data, params) => {
    given.push(params.threads);
    return { kind: 'test-threads', outputsPerRow: 1, classes: ['0', '1'], predictRows: (rows) => new Float64Array(rows.length).fill(0.5), predictMatrix: (x) => new Float64Array(x.rows).fill(0.5), serialize: () => new TextEncoder().encode('{}') };
  },
  load: () => ({ kind: 'test-threads', outputsPerRow: 1, classes: ['0', '1'], predictRows: (rows) => new Float64Array(rows.length).fill(0.5), predictMatrix: (x) => new Float64Array(x.rows).fill(0.5), serialize: () => new TextEncoder().encode('{}') }),
};
if (!getTrainer('test-threads')) registerTrainer(threadsTrainer);

describe('how training and scoring share the CPU', () => {
  it('leaves a serving process one core for scoring and lets a worker process use them all, unless the setting says', () => {
    expect(resolveTrainingThreads('auto', 'serve', 2)).toBe(1);
    expect(resolveTrainingThreads('auto', 'serve', 8)).toBe(7);
    expect(resolveTrainingThreads('auto', 'serve', 1)).toBe(1);
    expect(resolveTrainingThreads('auto', 'worker', 2)).toBe(2);
    expect(resolveTrainingThreads(3, 'serve', 2)).toBe(3);
  });

  it('reads REFIT_TRAINING_THREADS: auto by default, a number of threads, anything else refused', () => {
    expect(loadSettings({}).trainingThreads).toBe('auto');
    expect(loadSettings({ REFIT_TRAINING_THREADS: '2' }).trainingThreads).toBe(2);
    expect(loadSettings({ REFIT_TRAINING_THREADS: 'auto' }).trainingThreads).toBe('auto');
    expect(() => loadSettings({ REFIT_TRAINING_THREADS: 'many' })).toThrow(RefitError);
    expect(() => loadSettings({ REFIT_TRAINING_THREADS: '0' })).toThrow(RefitError);
  });

  describe('a fit under a cap', () => {
    let refit: Refit | null = null;
    afterEach(async () => {
      await refit?.close();
      refit = null;
    });

    it("gets at most the cap's threads, and the version records the spec's params", async () => {
      const store = await createStore({ url: ':memory:' });
      refit = createRefit({ store, clock: new ManualClock('2026-11-23T06:00:00Z'), executor: inlineExecutor, trainingThreads: 1 }).refit;
      await refit.createModel({ id: 't', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'test-threads' } });
      await refit.addLabels('t', Array.from({ length: 40 }, (_, i) => ({ features: { x: i }, label: i % 2 })));
      given.length = 0;
      const { job } = await refit.retrain('t');
      await refit.whenIdle();
      const done = await refit.getJob(job.id);
      expect(done.status).toBe('completed');
      expect(given).toEqual([1]);
      const version = await store.getVersion('t', done.result!.newVersion!);
      expect(version!.trainer.params).toEqual({ threads: 4 });
    });
  });
});
