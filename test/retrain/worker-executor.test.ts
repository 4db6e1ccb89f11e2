import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { ManualClock } from '../../src/domain/clock.js';
import { WorkerExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';

function rows(n: number, seed: number) {
  const rnd = mulberry32(seed);
  const words = ['data', 'engineer', 'senior', 'sales', 'assistant', 'manager', 'platform', 'nurse', 'driver', 'analytics'];
  return Array.from({ length: n }, () => {
    const x = rnd() * 10;
    const title = Array.from({ length: 4 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    return { features: { x, title }, label: x + (title.includes('data') ? 3 : 0) + rnd() * 2 > 7 ? 1 : 0 };
  });
}

const SPEC = {
  id: 'm',
  task: 'binary',
  features: [
    { name: 'x', type: 'number' },
    { name: 'title', type: 'text' },
  ],
  trainer: { type: 'logistic', params: { maxIter: 1000, tol: 1e-12, hashBits: 18 } },
  retrain: { timeoutMinutes: 30 },
};

describe('training in a worker thread', () => {
  let refit: Refit | null = null;
  afterEach(async () => {
    await refit?.close();
    refit = null;
  });

  it('trains in a worker, and a retrain past its deadline is stopped: worker gone, job failed, old version serving', async () => {
    const executor = new WorkerExecutor();
    const clock = new ManualClock('2026-11-23T06:00:00Z');
    refit = createRefit({ store: await createStore({ url: ':memory:' }), clock, executor }).refit;
    await refit.createModel(SPEC);
    await refit.addLabels('m', rows(300, 1));
    const { job: first } = await refit.retrain('m');
    await refit.whenIdle();
    const done = await refit.getJob(first.id);
    expect(done.status).toBe('completed');
    expect(done.result?.promoted).toBe(true);
    const champion = done.result!.newVersion!;
    expect(executor.activeWorkers).toBe(0);

    // A big, slow retrain: wait until it is training in its worker, then move past the deadline.
    for (let i = 0; i < 6; i++) await refit.addLabels('m', rows(10_000, 10 + i));
    const training = new Promise<void>((resolve) => {
      const off = refit!.onEvent('retrain:progress', ({ stage, progress }) => {
        // Progress above 0 comes from the worker itself: it is alive and fitting.
        if (stage === 'training' && progress !== null && progress > 0) {
          off();
          resolve();
        }
      });
    });
    const { job } = await refit.retrain('m');
    await training;
    expect(executor.activeWorkers).toBe(1);
    clock.advance(31 * 60_000);
    await refit.whenIdle();
    const failed = await refit.getJob(job.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^timeout: the retrain ran longer than 30 minutes/);
    expect(failed.attempts).toBe(1);
    expect(executor.activeWorkers).toBe(0);
    const [scored] = await refit.score('m', [{ features: { x: 5, title: 'data engineer' } }]);
    expect(scored.version).toBe(champion);
  });

  it('smoke-tests stored artifact bytes in a fresh worker: a good artifact passes, bad bytes fail with the reason', async () => {
    const executor = new WorkerExecutor();
    const clock = new ManualClock('2026-11-23T06:00:00Z');
    const store = await createStore({ url: ':memory:' });
    refit = createRefit({ store, clock, executor }).refit;
    await refit.createModel(SPEC);
    await refit.addLabels('m', rows(300, 1));
    const { job } = await refit.retrain('m');
    await refit.whenIdle();
    const done = await refit.getJob(job.id);
    expect(done.result?.decision).toMatch(/smoke test passed: the stored artifact loaded and scored 100 recent rows/);
    const v = await store.getVersion('m', done.result!.newVersion!);
    const bytes = await store.getArtifact(v!.artifactSha256);
    const sample = rows(20, 2).map((r) => JSON.stringify(r.features));
    const good = await executor.smoke({ kind: 'logistic', bytes: bytes!, task: 'binary', rows: sample, maxLatencyMs: 5000 });
    expect(good).toMatchObject({ ok: true, rows: 20 });
    const bad = await executor.smoke({ kind: 'logistic', bytes: new TextEncoder().encode('{"not": "a model"}'), task: 'binary', rows: sample, maxLatencyMs: 5000 });
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/^the stored artifact does not load: /);
    const slow = await executor.smoke({ kind: 'logistic', bytes: bytes!, task: 'binary', rows: sample, maxLatencyMs: 0.000001 });
    expect(slow.ok).toBe(false);
    expect(slow.reason).toMatch(/^scoring 20 rows took [\d.]+ ms, above the bound 0\.000001 ms$/);
    expect(executor.activeWorkers).toBe(0);
  });
});
