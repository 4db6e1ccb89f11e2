import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mulberry32 } from '../../src/data/random.js';
import { getTrainer, registerTrainer } from '../../src/train/registry.js';
import type { Predictor, Trainer } from '../../src/train/trainer.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

afterAll(dropTestSchemas);

/**
 * A trainer whose predictor says `scale * x` (clamped to [0, 1]): two versions with different
 * scales rank every row alike (the same AUC) but threshold at 0.5 differently (accuracy). With
 * `broken` its artifact does not load back.
 */
function scaled(scale: number, broken: boolean): Predictor {
  const predict = (xs: readonly number[]) => Float64Array.from(xs, (x) => Math.min(1, Math.max(0, scale * x)));
  return {
    kind: 'test-scaled',
    outputsPerRow: 1,
    classes: ['0', '1'],
    predictRows: (rows) => predict(rows.map((r) => Number(r.x))),
    predictMatrix: (m) => predict(Array.from((m.columns[0] as { values: Float64Array }).values)),
    serialize: () => new TextEncoder().encode(broken ? 'not a model' : JSON.stringify({ scale })),
  };
}
const scaledTrainer: Trainer<{ scale: number; broken: boolean }> = {
  name: 'test-scaled',
  paramsSchema: z.object({ scale: z.number().positive().default(1), broken: z.boolean().default(false) }).strict(),
  tasks: ['binary'],
  fit: async (_data, p) => scaled(p.scale, p.broken),
  load: (bytes) => {
    const { scale } = JSON.parse(new TextDecoder().decode(bytes)) as { scale: number };
    return scaled(scale, false);
  },
};
if (!getTrainer('test-scaled')) registerTrainer(scaledTrainer);

describe.each(DIALECTS)('decisions you can trust on $name', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const retrain = async (id: string, body: object = {}) => {
    const started = await req('POST', `/api/v1/models/${id}/retrain`, body);
    expect(started.statusCode, started.body).toBe(202);
    await t.parts.queue.whenIdle();
    return (await req('GET', `/api/v1/jobs/${started.json().jobId}`)).json();
  };
  const version = async (id: string, v: string) => (await req('GET', `/api/v1/models/${id}/versions`)).json().items.find((x: { version: string }) => x.version === v);

  it('tests on recent rows neither model trained on, so a memorising deep-tree champion no longer blocks a fair challenger', async () => {
    t = await openTestApp(dialect);
    const rnd = mulberry32(5);
    // A linear concept with 25% of the labels flipped: deep trees without regularisation learn the noise.
    const rows = (n: number) =>
      Array.from({ length: n }, () => {
        const f = { x1: rnd() * 2 - 1, x2: rnd() * 2 - 1, x3: rnd() * 2 - 1 };
        const clean = f.x1 + 0.5 * f.x2 > 0 ? 1 : 0;
        return { features: f, label: rnd() < 0.25 ? 1 - clean : clean };
      });
    const created = await req('POST', '/api/v1/models', {
      id: 'deep',
      task: 'binary',
      features: ['x1', 'x2', 'x3'].map((name) => ({ name, type: 'number' })),
      trainer: { type: 'gbdt', params: { numTrees: 60, maxDepth: 12, minSamplesLeaf: 1, minChildWeight: 0, l2: 0, learningRate: 0.5, earlyStoppingRounds: 0 } },
      retrain: { enabled: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    const batch = rows(1000);
    expect((await req('POST', '/api/v1/models/deep/labels', { items: batch })).statusCode).toBe(201);
    const first = await retrain('deep');
    expect(first.result.promoted).toBe(true);
    const v1 = await version('deep', first.result.newVersion);
    // It memorised its training rows (the oldest 700): on them it is nearly perfect, which is
    // what blocked every challenger when the champion was scored on rows it had trained on.
    const trained = batch.slice(0, v1.dataRows.train.count);
    const scored = (await req('POST', '/api/v1/models/deep/score', { items: trained.map((r) => ({ features: r.features })) })).json().items;
    const onOwnRows = scored.filter((s: { score: number }, i: number) => (s.score >= 0.5 ? 1 : 0) === trained[i].label).length / trained.length;
    expect(onOwnRows).toBeGreaterThan(0.97);

    // More feedback arrives, and the challenger is a regularised linear model.
    expect((await req('POST', '/api/v1/models/deep/labels', { items: rows(400) })).statusCode).toBe(201);
    expect((await req('PUT', '/api/v1/models/deep/retrain/config', { trainer: 'logistic' })).statusCode).toBe(200);
    const second = await retrain('deep');
    expect(second.status).toBe('completed');
    const v2 = await version('deep', second.result.newVersion);

    // The champion is measured on rows it never saw: far from the perfect score it has on its own training rows.
    expect(v2.championMetrics.accuracy).toBeLessThan(0.8);
    expect(second.result.newMetrics.auc).toBeGreaterThan(second.result.oldMetrics.auc);
    expect(second.result.promoted, second.result.decision).toBe(true);
    expect((await req('GET', '/api/v1/models/deep')).json().activeVersion).toBe(v2.version);
    // Another trainer: a major version, and the decision says why.
    expect(v1.version).toMatch(/^1\.0\.0-\d{14}$/);
    expect(v2.version).toMatch(/^2\.0\.0-\d{14}$/);
    expect(second.result.decision).toContain(`version ${v2.version}: major (trainer changed from gbdt to logistic)`);

    // Every test row of the comparison is newer than every row either model trained on.
    const test = v2.dataRows.test;
    expect(test.count).toBe(210);
    expect(test.from).toBeGreaterThan(v1.dataRows.train.to);
    expect(test.from).toBeGreaterThan(v2.dataRows.train.to);
    expect(test.from).toBeGreaterThan(v2.dataRows.validation.to);
    expect(v2.dataRows.train.count + v2.dataRows.validation.count + test.count).toBe(1400);
    expect(v2.dataRows.train.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The decision names the rows, the primary metric, the guard and the bootstrap.
    expect(second.result.decision).toMatch(/tested on the 210 most recent labels \(ids \d+–\d+\) that neither model trained on/);
    expect(second.result.decision).toMatch(/guard accuracy [\d.]+ vs champion [\d.]+ \([+-][\d.]+%, max drop 5%\)/);
    expect(second.result.decision).toMatch(/paired bootstrap on 210 test rows \(1000 resamples\): Δauc \+[\d.]+, 95% interval \[[-\d.]+, [\d.]+\], p=[\d.]+/);
  });

  it('refuses a challenger whose accuracy collapses while its AUC ties, with the numbers in the decision', async () => {
    t = await openTestApp(dialect);
    const rnd = mulberry32(9);
    const rows = Array.from({ length: 400 }, () => {
      const x = rnd();
      return { features: { x }, label: (rnd() < 0.1 ? x < 0.5 : x >= 0.5) ? 1 : 0 };
    });
    expect(
      (
        await req('POST', '/api/v1/models', {
          id: 'tie',
          task: 'binary',
          features: [{ name: 'x', type: 'number' }],
          trainer: { type: 'test-scaled', params: { scale: 1 } },
          retrain: { enabled: false, minNewLabels: 1 },
        })
      ).statusCode,
    ).toBe(201);
    await req('POST', '/api/v1/models/tie/labels', { items: rows.slice(0, 300) });
    expect((await retrain('tie')).result.promoted).toBe(true);
    await req('POST', '/api/v1/models/tie/labels', { items: rows.slice(300) });
    // Same ranking (AUC ties), but most rows now fall under 0.5.
    await req('PUT', '/api/v1/models/tie/retrain/config', { trainer: { type: 'test-scaled', params: { scale: 0.6 } } });
    const job = await retrain('tie');
    expect(job.result.newMetrics.auc).toBe(job.result.oldMetrics.auc);
    expect(job.result.promoted).toBe(false);
    const { accuracy: before } = job.result.oldMetrics;
    const { accuracy: after } = job.result.newMetrics;
    expect(after).toBeLessThan(before * 0.95);
    const fmt = (x: number) => String(Number(x.toPrecision(4)));
    expect(job.result.decision).toContain(`rejected: guard accuracy ${fmt(after)} vs champion ${fmt(before)} (-`);
    expect(job.result.decision).toContain('max drop 5%');
    // The tie on the primary metric is reported, with the bootstrap calling it noise.
    expect(job.result.decision).toMatch(/auc [\d.]+ vs champion [\d.]+ \(\+0%\)/);
    expect(job.result.decision).toMatch(/Δauc \+0, .*p=1 \(alpha 0\.05\): noise level: not significant/);
    // New rows and new params of the same trainer: a retrain, so a minor version.
    expect(job.result.newVersion).toMatch(/^1\.1\.0-/);
    // The same rows with other params again: a patch.
    await req('PUT', '/api/v1/models/tie/retrain/config', { trainer: { type: 'test-scaled', params: { scale: 0.7 } } });
    const patch = await retrain('tie', { force: true });
    expect(patch.result.newVersion).toMatch(/^1\.1\.1-/);
    expect(patch.result.decision).toContain('patch (same data and trainer, new parameters)');
    const versions = (await req('GET', '/api/v1/models/tie/versions')).json();
    expect(versions.items[1]).toMatchObject({ version: job.result.newVersion, status: 'rejected' });
  });

  it('window "auto" keeps the candidate window that is best on the out-of-time validation rows, and says which', async () => {
    t = await openTestApp(dialect);
    const rnd = mulberry32(13);
    // The concept moves half way: the older 600 labels follow a, the newer 600 follow b.
    const items = Array.from({ length: 1200 }, (_, i) => {
      const a = rnd() * 2 - 1;
      const b = rnd() * 2 - 1;
      return { features: { a, b }, label: (i < 600 ? a > 0 : b > 0) ? 1 : 0 };
    });
    const features = [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number' },
    ];
    await req('POST', '/api/v1/models', { id: 'auto', task: 'binary', features, trainer: 'logistic', retrain: { enabled: false, window: 'auto' } });
    await req('POST', '/api/v1/models/auto/labels', { items });
    const job = await retrain('auto');
    expect(job.status).toBe('completed');
    expect(job.result.decision, job.result.decision).toMatch(/window auto: trained on the most recent 25% \(210 rows\), best on the 180 out-of-time validation rows of: all training rows \(840 rows\) auc [\d.]+, the most recent 50% \(420 rows\) auc [\d.]+, the most recent 25% \(210 rows\) auc [\d.]+/);
    expect(job.result.newMetrics.auc).toBeGreaterThan(0.95);
    const v = await version('auto', job.result.newVersion);
    expect(v.dataRows.train.count).toBe(210);
    expect(v.trainingSamples).toBe(210);
    expect((await req('GET', '/api/v1/models/auto/retrain/config')).json().window).toBe('auto');
  });

  it('never activates a version whose stored artifact does not load: the smoke test rejects it with the reason', async () => {
    t = await openTestApp(dialect);
    const rnd = mulberry32(3);
    const rows = (n: number) => Array.from({ length: n }, () => ({ features: { x: rnd() }, label: rnd() < 0.5 ? 1 : 0 }));
    await req('POST', '/api/v1/models', {
      id: 'smoke',
      task: 'binary',
      features: [{ name: 'x', type: 'number' }],
      trainer: { type: 'test-scaled', params: { broken: true } },
      retrain: { enabled: false, minNewLabels: 1 },
    });
    await req('POST', '/api/v1/models/smoke/labels', { items: rows(50) });
    const job = await retrain('smoke');
    expect(job.status).toBe('completed');
    expect(job.result.promoted).toBe(false);
    expect(job.result.decision).toMatch(/^rejected: smoke test failed: the stored artifact does not load: /);
    const model = (await req('GET', '/api/v1/models/smoke')).json();
    expect(model.activeVersion).toBeNull();
    expect((await req('GET', '/api/v1/models/smoke/versions')).json().items[0].status).toBe('rejected');
    // A version that loads passes the smoke test, and the decision says what was checked.
    await req('PUT', '/api/v1/models/smoke/retrain/config', { trainer: { type: 'test-scaled', params: { broken: false } } });
    await req('POST', '/api/v1/models/smoke/labels', { items: rows(5) });
    const ok = await retrain('smoke');
    expect(ok.result.promoted).toBe(true);
    expect(ok.result.decision).toMatch(/smoke test passed: the stored artifact loaded and scored 55 recent rows in [\d.]+ ms \(bound 5000 ms\)/);
  });
});
