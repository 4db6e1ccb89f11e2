import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadSettings } from '../../src/config/settings.js';
import { ManualClock } from '../../src/domain/clock.js';
import { RefitError } from '../../src/errors.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { IDLE_LOOP_SHARE, LoopLoad, resolveTrainingThreads, serveThreads, serveTrainingThreads, serveWarmUpThreads } from '../../src/retrain/training-threads.js';
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

  it("warms a serving process's training thread up on as many threads as a quiet server's fit gets, whatever the load at start", () => {
    // auto: every core (a fit on a quiet server gets them all), not the one the start's busy loop leaves.
    expect(serveWarmUpThreads('auto', 2)).toBe(2);
    expect(serveWarmUpThreads('auto', 8)).toBe(8);
    expect(serveWarmUpThreads('auto', 1)).toBe(1);
    // A number is every fit's cap, the warm-up's too.
    expect(serveWarmUpThreads(1, 8)).toBe(1);
    expect(serveWarmUpThreads(3, 2)).toBe(3);
  });

  it('gives a fit in a serving process every core while its event loop has been mostly idle, all but one while it is busy', () => {
    expect(IDLE_LOOP_SHARE).toBe(0.5);
    expect(serveThreads(0.02, 2)).toBe(2);
    expect(serveThreads(0.499, 8)).toBe(8);
    expect(serveThreads(0.5, 2)).toBe(1);
    expect(serveThreads(0.9, 8)).toBe(7);
    expect(serveThreads(0.9, 1)).toBe(1);
    // Auto asks the load at each fit's start; a number is the cap whatever the load.
    let busy = 0.1;
    const auto = serveTrainingThreads('auto', { busy: () => busy }, 2);
    expect(typeof auto).toBe('function');
    expect((auto as () => number)()).toBe(2);
    busy = 0.6;
    expect((auto as () => number)()).toBe(1);
    expect(serveTrainingThreads(3, { busy: () => 0 }, 2)).toBe(3);
  });

  it("measures the loop's load since its oldest mark", () => {
    // A made-up utilisation source: cumulative busy and idle milliseconds, as Node reports them.
    let active = 0;
    let idle = 0;
    const elu = (a?: EventLoopUtilization, b?: EventLoopUtilization): EventLoopUtilization => {
      if (a && b) {
        const da = a.active - b.active;
        const di = a.idle - b.idle;
        return { active: da, idle: di, utilization: da / (da + di) };
      }
      return { active, idle, utilization: active / Math.max(1, active + idle) };
    };
    const load = new LoopLoad(elu, 60_000, 2);
    // Busy 900 of the first 1,000 ms: 0.9 since the first mark.
    active += 900;
    idle += 100;
    expect(load.busy()).toBeCloseTo(0.9);
    load.stop();
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
