import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { cleanLabels } from '../../src/data/holdout.js';
import { ManualClock } from '../../src/domain/clock.js';
import { parseModelSpec } from '../../src/config/model-spec.js';
import { parseWindow, trainAndEvaluate, type ComputeInput } from '../../src/retrain/compute.js';
import { WorkerExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import type { RawLabelRow, Store } from '../../src/store/store.js';
import { WARM_UP_SPEC, warmUpInput } from '../../src/retrain/warm-up.js';

function rows(n: number, seed: number, label?: 0 | 1) {
  const rnd = mulberry32(seed);
  const words = ['data', 'engineer', 'senior', 'sales', 'assistant', 'manager', 'platform', 'nurse', 'driver', 'analytics'];
  return Array.from({ length: n }, () => {
    const x = rnd() * 10;
    const title = Array.from({ length: 4 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
    return { features: { x, title }, label: label ?? (x + (title.includes('data') ? 3 : 0) + rnd() * 2 > 7 ? 1 : 0) };
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
  retrain: { timeoutMinutes: 30, minNewLabels: 1 },
};

describe('training in worker threads', () => {
  let refit: Refit | null = null;
  let executor: WorkerExecutor | null = null;
  afterEach(async () => {
    await refit?.close();
    await executor?.close();
    refit = null;
    executor = null;
  });

  async function open(): Promise<{ refit: Refit; executor: WorkerExecutor; store: Store; clock: ManualClock }> {
    executor = new WorkerExecutor();
    const clock = new ManualClock('2026-11-23T06:00:00Z');
    const store = await createStore({ url: ':memory:' });
    refit = createRefit({ store, clock, executor }).refit;
    await refit.createModel(SPEC);
    return { refit, executor, store, clock };
  }

  async function retrain(r: Refit) {
    const { job } = await r.retrain('m', { force: true });
    await r.whenIdle();
    return r.getJob(job.id);
  }

  it('trains in a thread kept between jobs, and a retrain past its deadline is stopped: its thread gone, job failed, old version serving', async () => {
    const { refit, executor, clock } = await open();
    await refit.addLabels('m', rows(300, 1));
    const done = await retrain(refit);
    expect(done.status).toBe('completed');
    expect(done.result?.promoted).toBe(true);
    const champion = done.result!.newVersion!;
    // The thread stays for the next job, idle.
    const [first] = executor.trainingThreadIds;
    expect(executor.trainingThreadIds).toEqual([first]);
    expect(executor.busyWorkers).toBe(0);

    // A big, slow retrain: wait until it is training in its thread, then move past the deadline.
    for (let i = 0; i < 6; i++) await refit.addLabels('m', rows(10_000, 10 + i));
    const training = new Promise<void>((resolve) => {
      const off = refit.onEvent('retrain:progress', ({ stage, progress }) => {
        // Progress above 0 comes from the worker itself: it is alive and fitting.
        if (stage === 'training' && progress !== null && progress > 0) {
          off();
          resolve();
        }
      });
    });
    const { job } = await refit.retrain('m');
    await training;
    expect(executor.busyWorkers).toBe(1);
    expect(executor.trainingThreadIds).toEqual([first]);
    clock.advance(31 * 60_000);
    await refit.whenIdle();
    const failed = await refit.getJob(job.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^timeout: the retrain ran longer than 30 minutes/);
    expect(failed.attempts).toBe(1);
    // The thread that ran it was terminated: the work really stopped.
    expect(executor.trainingThreadIds).toEqual([]);
    const [scored] = await refit.score('m', [{ features: { x: 5, title: 'data engineer' } }]);
    expect(scored.version).toBe(champion);
    // The next retrain starts a new thread.
    expect((await retrain(refit)).status).toBe('completed');
    expect(executor.trainingThreadIds).toHaveLength(1);
    expect(executor.trainingThreadIds[0]).not.toBe(first);
  });

  it('keeps its thread through a job that fails, and the next job runs on it', async () => {
    const { refit, executor } = await open();
    await refit.addLabels('m', rows(100, 1, 1));
    const failed = await retrain(refit);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/every label in the training window is the same class/i);
    const threads = executor.trainingThreadIds;
    expect(threads).toHaveLength(1);
    await refit.addLabels('m', rows(100, 2, 0));
    const done = await retrain(refit);
    expect(done.status).toBe('completed');
    expect(done.result?.labelCount).toBe(200);
    expect(executor.trainingThreadIds).toEqual(threads);
  });

  it('trains on the same rows, with the same dataset hash, when the thread keeps the window and gets only the new labels', async () => {
    const { refit, store, clock } = await open();
    const expected = async () => {
      const clean = cleanLabels(await store.loadLabelsRaw('m', { kind: 'all' }, clock.now()), { exclude: null, duplicates: 'replace' });
      return { labelCount: clean.rows.length, datasetHash: parseWindow(clean.rows).hash };
    };
    const check = async () => {
      const job = await retrain(refit);
      expect(job.status).toBe('completed');
      const version = await store.getVersion('m', job.result!.newVersion!);
      expect({ labelCount: version!.labelCount, datasetHash: version!.datasetHash }).toEqual(await expected());
    };
    await refit.addLabels('m', rows(300, 1).map((r, i) => ({ ...r, scoreId: `s${i}` })));
    await check();
    // Grown at the end: the thread parses only these.
    await refit.addLabels('m', rows(200, 2));
    await check();
    await check();
    // A later label for an early score replaces it: the window is not an extension any more and goes whole.
    await refit.addLabels('m', [{ ...rows(1, 3)[0], scoreId: 's5' }, ...rows(50, 4)]);
    await check();
    await refit.addLabels('m', rows(20, 5));
    await check();
  });

  it('computes, from a kept window sent only its new rows, what a fresh computation on all the rows gives (new category levels included)', async () => {
    executor = new WorkerExecutor();
    const spec = parseModelSpec({
      id: 'k',
      task: 'binary',
      features: [
        { name: 'x', type: 'number' },
        { name: 'plan', type: 'category' },
      ],
      trainer: { type: 'gbdt', params: { numTrees: 20 } },
    });
    const rnd = mulberry32(9);
    const raw = (from: number, n: number, plans: string[]): RawLabelRow[] =>
      Array.from({ length: n }, (_, i) => {
        const x = rnd() * 4 - 2;
        const plan = plans[Math.floor(rnd() * plans.length)];
        return { id: from + i, features: JSON.stringify({ x, plan }), label: JSON.stringify(x + (plan === 'pro' ? 1 : 0) + rnd() > 0.5 ? 1 : 0) };
      });
    const first = raw(1, 400, ['pro', 'team']);
    // 'basic' sorts before the levels seen so far: every code changes.
    const grown = [...first, ...raw(401, 150, ['basic', 'pro', 'team'])];
    const input = (labels: RawLabelRow[]): ComputeInput => ({ spec, labels, windowKey: 'k#1', champion: null });
    const options = { signal: new AbortController().signal };
    await executor.run(input(first), options);
    const kept = await executor.run(input(grown), options);
    const fresh = await trainAndEvaluate(input(grown), options);
    expect({ ...kept, challengerBytes: Buffer.from(kept.challengerBytes).toString('base64'), trainingMs: 0 }).toEqual({
      ...fresh,
      challengerBytes: Buffer.from(fresh.challengerBytes).toString('base64'),
      trainingMs: 0,
    });
  });

  it('warms up before any job: a job that comes during the warm-up waits for its thread, warm, rather than start a cold one', async () => {
    executor = new WorkerExecutor();
    executor.warm(warmUpInput(parseModelSpec(WARM_UP_SPEC), 1));
    // The training thread and the smoke-test thread start at once.
    expect(executor.activeWorkers).toBe(2);
    const [warm] = executor.trainingThreadIds;
    const spec = parseModelSpec({ ...SPEC, id: 'w' });
    const labels: RawLabelRow[] = rows(200, 7).map((r, i) => ({ id: i + 1, features: JSON.stringify(r.features), label: JSON.stringify(r.label) }));
    const out = await executor.run({ spec, labels, champion: null }, { signal: new AbortController().signal });
    expect(out.labelCount).toBe(200);
    expect(executor.trainingThreadIds).toEqual([warm]);
    expect(executor.busyWorkers).toBe(0);
    // Warming an executor that has its threads already starts nothing.
    executor.warm(warmUpInput(parseModelSpec(WARM_UP_SPEC), 1));
    expect(executor.busyWorkers).toBe(0);
    await executor.close();
    expect(executor.activeWorkers).toBe(0);
  });

  it('smoke-tests stored artifact bytes in its own thread, where no training runs: a good artifact passes, bad bytes fail with the reason', async () => {
    const { refit, executor, store } = await open();
    await refit.addLabels('m', rows(300, 1));
    const done = await retrain(refit);
    expect(done.result?.decision).toMatch(/smoke test passed: the stored artifact loaded and scored 100 recent rows/);
    const threads = executor.activeWorkers;
    // One training thread, one smoke-test thread.
    expect(threads).toBe(2);
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
    // The same threads throughout, and none after close.
    expect(executor.activeWorkers).toBe(threads);
    await executor.close();
    expect(executor.activeWorkers).toBe(0);
  });

  it('never keeps a process alive: a process that retrains and closes nothing still ends', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./executor-exit-child.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(0);
    // It ended with its training and smoke-test threads still alive, idle.
    expect(stdout.trim()).toBe('completed 2');
  });
});
