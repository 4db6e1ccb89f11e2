import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mulberry32 } from '../../src/data/random.js';
import { registerTrainer } from '../../src/train/registry.js';
import type { Predictor, Trainer } from '../../src/train/trainer.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import { gatedExecutor, openTestApp, type TestApp } from '../helpers/app.js';

// Test trainers: one that predicts noise (a challenger far worse than any real champion) and
// one that always throws (a broken training run).
function noisePredictor(seed: number): Predictor {
  const rnd = mulberry32(seed);
  const predict = (n: number) => Float64Array.from({ length: n }, () => rnd());
  return {
    kind: 'test-noise',
    outputsPerRow: 1,
    classes: ['0', '1'],
    predictRows: (rows) => predict(rows.length),
    predictMatrix: (x) => predict(x.rows),
    serialize: () => new TextEncoder().encode(JSON.stringify({ seed })),
  };
}
const noiseTrainer: Trainer<Record<string, never>> = {
  name: 'test-noise',
  paramsSchema: z.object({}).strict(),
  tasks: ['binary'],
  fit: async (_data, _params, options) => noisePredictor(options.seed),
  load: (bytes) => noisePredictor((JSON.parse(new TextDecoder().decode(bytes)) as { seed: number }).seed),
};
const throwingTrainer: Trainer<Record<string, never>> = {
  name: 'test-throws',
  paramsSchema: z.object({}).strict(),
  tasks: ['binary'],
  fit: async () => {
    throw new Error('the trainer exploded');
  },
  load: () => {
    throw new Error('never loaded');
  },
};
registerTrainer(noiseTrainer);
registerTrainer(throwingTrainer);

/** Churn-like rows: older customers on the basic plan tend to churn. */
function churnRows(n: number, seed: number) {
  const rnd = mulberry32(seed);
  const plans = ['basic', 'pro', 'team'];
  return Array.from({ length: n }, () => {
    const age = Math.round(18 + rnd() * 60);
    const plan = plans[Math.floor(rnd() * 3)];
    const logit = (age - 45) / 8 + (plan === 'basic' ? 1.5 : plan === 'pro' ? -1 : 0);
    return { features: { age, plan }, label: rnd() < 1 / (1 + Math.exp(-logit)) ? 1 : 0 };
  });
}

const MINIMAL_SPEC = {
  id: 'churn',
  task: 'binary',
  features: [
    { name: 'age', type: 'number' },
    { name: 'plan', type: 'category' },
  ],
  trainer: { type: 'logistic' },
};

afterAll(dropTestSchemas);

describe.each(DIALECTS)('the retraining loop over HTTP on $name', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await openTestApp(dialect);
  });
  afterEach(async () => {
    await t.close();
  });

  const post = (url: string, payload?: unknown) => t.app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  async function retrainAndWait(body: unknown = {}) {
    const res = await post('/api/v1/models/churn/retrain', body);
    expect(res.statusCode).toBe(202);
    await t.parts.queue.whenIdle();
    const job = (await get(`/api/v1/jobs/${res.json().jobId}`)).json();
    return job;
  }

  it('creates, learns, promotes, scores with the version, takes feedback by score id and retrains', async () => {
    const created = await post('/api/v1/models', MINIMAL_SPEC);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'churn', activeVersion: null, retrain: { minNewLabels: 5, autoPromote: true, window: 'all' } });

    // Before any version: the default score, with version null.
    const before = await post('/api/v1/models/churn/score', { items: [{ features: { age: 31, plan: 'pro' } }] });
    expect(before.statusCode).toBe(200);
    expect(before.json().items[0]).toMatchObject({ score: 0.5, version: null });

    const labels = await post('/api/v1/models/churn/labels', { items: churnRows(300, 1) });
    expect(labels.statusCode).toBe(201);
    expect(labels.json().accepted).toBe(300);

    const job = await retrainAndWait();
    expect(job.status).toBe('completed');
    expect(job.stages.map((s: { name: string }) => s.name)).toEqual(['loading labels', 'training', 'validating', 'promoting']);
    expect(job.result).toMatchObject({ oldVersion: null, newVersion: '1.0.0-20261123060000', promoted: true, labelCount: 300 });
    expect(job.result.newMetrics.auc).toBeGreaterThan(0.8);
    expect(job.result.trainingSamples).toBe(210);

    const status = (await get('/api/v1/models/churn/retrain/status')).json();
    expect(status).toMatchObject({ status: 'completed', activeVersion: '1.0.0-20261123060000', newLabels: 0 });

    // Every score carries the version that made it.
    const scored = await post('/api/v1/models/churn/score', { items: churnRows(20, 2).map((r) => ({ features: r.features })) });
    expect(scored.statusCode).toBe(200);
    const items = scored.json().items as { scoreId: string; score: number; version: string }[];
    expect(items).toHaveLength(20);
    for (const it of items) {
      expect(it.version).toBe('1.0.0-20261123060000');
      expect(it.score).toBeGreaterThanOrEqual(0);
      expect(it.score).toBeLessThanOrEqual(1);
    }

    // Feedback by score id: the logged features are used.
    const truth = churnRows(20, 2);
    const feedback = await post('/api/v1/models/churn/labels', { items: items.map((it, i) => ({ scoreId: it.scoreId, label: truth[i].label === 1 })) });
    expect(feedback.statusCode).toBe(201);
    expect(feedback.json().accepted).toBe(20);

    t.clock.advance(3_600_000);
    const second = await retrainAndWait();
    expect(second.status).toBe('completed');
    expect(second.result).toMatchObject({ oldVersion: '1.0.0-20261123060000', newVersion: '1.1.0-20261123070000', labelCount: 320 });
    expect(second.result.oldMetrics.auc).toBeGreaterThan(0.7);
    expect(second.result.promoted).toBe(true);
    const afterSecond = await post('/api/v1/models/churn/score', { items: [{ features: { age: 70, plan: 'basic' } }] });
    expect(afterSecond.json().items[0].version).toBe('1.1.0-20261123070000');

    // No new labels: skipped, version unchanged.
    const third = await retrainAndWait();
    expect(third.status).toBe('skipped');
    expect(third.result.decision).toMatch(/0 new labels/);
    expect((await get('/api/v1/models/churn')).json().activeVersion).toBe('1.1.0-20261123070000');

    const versions = (await get('/api/v1/models/churn/versions')).json();
    expect(versions.items.map((v: { version: string; status: string }) => [v.version, v.status])).toEqual([
      ['1.1.0-20261123070000', 'active'],
      ['1.0.0-20261123060000', 'retired'],
    ]);

    const history = (await get('/api/v1/models/churn/retrain/history?limit=2')).json();
    expect(history.total).toBe(3);
    expect(history.items.map((j: { status: string }) => j.status)).toEqual(['skipped', 'completed']);

    // Events: the outbox holds the story in order.
    const events = await get('/api/v1/events?follow=false');
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    const types = [...events.body.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(types).toEqual([
      'model.created',
      'model.retrain.started',
      'model.retrain.completed',
      'model.retrained',
      'model.activated',
      'model.promoted',
      'model.retrain.started',
      'model.retrain.completed',
      'model.retrained',
      'model.deactivated',
      'model.activated',
      'model.promoted',
      'model.retrain.started',
      'model.retrain.skipped',
    ]);
    const data = events.body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    // The second retrain: what it produced, then the change of the active version around its promotion.
    expect(data[8]).toMatchObject({ eventType: 'model.retrained', payload: { previousVersion: '1.0.0-20261123060000', promoted: true, primaryMetric: 'auc' } });
    expect(data[8].payload).toHaveProperty('improvementPct');
    expect(data[9]).toMatchObject({ eventType: 'model.deactivated', payload: { version: '1.0.0-20261123060000', previousVersion: '1.0.0-20261123060000', action: 'promote' } });
    expect(data[10]).toMatchObject({ eventType: 'model.activated', payload: { version: data[8].payload.newVersion, newVersion: data[8].payload.newVersion, action: 'promote' } });
    const promoted = data[5];
    expect(promoted).toMatchObject({ eventType: 'model.promoted', eventVersion: 1, runId: job.id, payload: { modelId: 'churn', previousVersion: null, newVersion: '1.0.0-20261123060000' } });
    expect(promoted.payload.metrics.auc).toBeGreaterThan(0.8);
  });

  it('keeps the champion when the challenger is worse or the trainer throws, and rolls back on request', async () => {
    await post('/api/v1/models', MINIMAL_SPEC);
    await post('/api/v1/models/churn/labels', { items: churnRows(300, 3) });
    const first = await retrainAndWait();
    expect(first.result.promoted).toBe(true);
    const champion = first.result.newVersion as string;

    // A challenger that predicts noise is worse than the champion on the same rows: rejected.
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/models/churn/retrain/config', payload: { trainer: 'test-noise' } });
    expect(put.statusCode).toBe(200);
    await post('/api/v1/models/churn/labels', { items: churnRows(40, 4) });
    t.clock.advance(60_000);
    const worse = await retrainAndWait();
    expect(worse.status).toBe('completed');
    expect(worse.result.promoted).toBe(false);
    expect(worse.result.decision).toMatch(/^rejected: auc .* worse than the champion/);
    expect(worse.result.improvementPct).toBeLessThan(-5);
    const versions = (await get('/api/v1/models/churn/versions')).json();
    expect(versions.activeVersion).toBe(champion);
    expect(versions.items[0]).toMatchObject({ version: worse.result.newVersion, status: 'rejected' });

    // A trainer that throws: retried 3 times with growing delays, then the job fails with its
    // error and the champion keeps serving.
    await t.app.inject({ method: 'PUT', url: '/api/v1/models/churn/retrain/config', payload: { trainer: 'test-throws' } });
    await post('/api/v1/models/churn/labels', { items: churnRows(40, 5) });
    let broken = await retrainAndWait();
    const waits: number[] = [];
    while (broken.status === 'pending') {
      expect(broken.error).toMatch(/^attempt \d failed: the trainer exploded; retrying in \d+ s$/);
      waits.push(Number(/retrying in (\d+) s/.exec(broken.error)![1]));
      t.clock.advance(600_000);
      await t.parts.queue.whenIdle();
      broken = (await get(`/api/v1/jobs/${broken.id}`)).json();
    }
    expect(broken.status).toBe('failed');
    expect(broken.attempts).toBe(4);
    expect(waits).toHaveLength(3);
    expect(broken.error).toMatch(/the trainer exploded/);
    const scored = await post('/api/v1/models/churn/score', { items: [{ features: { age: 50, plan: 'basic' } }] });
    expect(scored.json().items[0].version).toBe(champion);

    // Promote a second real version, then roll back to the first.
    await t.app.inject({ method: 'PUT', url: '/api/v1/models/churn/retrain/config', payload: { trainer: 'logistic' } });
    t.clock.advance(60_000);
    const good = await retrainAndWait();
    expect(good.result.promoted).toBe(true);
    const rollback = await post('/api/v1/models/churn/rollback', {});
    expect(rollback.statusCode).toBe(200);
    expect(rollback.json()).toMatchObject({ fromVersion: good.result.newVersion, toVersion: champion, action: 'rollback' });
    const after = await post('/api/v1/models/churn/score', { items: [{ features: { age: 50, plan: 'basic' } }] });
    expect(after.json().items[0].version).toBe(champion);
  });

  it('never runs two retrains of a model at once: the second request gets 409 with the job id', async () => {
    // The job is held in training until every request is answered, however fast this machine is.
    const gate = gatedExecutor();
    await t.close();
    t = await openTestApp(dialect, { executor: gate.executor });
    await post('/api/v1/models', MINIMAL_SPEC);
    await post('/api/v1/models/churn/labels', { items: churnRows(100, 6) });
    const responses = await Promise.all(Array.from({ length: 10 }, () => post('/api/v1/models/churn/retrain', {})));
    const accepted = responses.filter((r) => r.statusCode === 202);
    const refused = responses.filter((r) => r.statusCode === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(9);
    const jobId = accepted[0].json().jobId;
    for (const r of refused) {
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.json()).toMatchObject({ status: 409, code: 'RETRAIN_IN_PROGRESS', jobId });
    }
    const joined = await post('/api/v1/models/churn/retrain', { join: true });
    expect(joined.statusCode).toBe(200);
    expect(joined.json().jobId).toBe(jobId);
    gate.release();
    await t.parts.queue.whenIdle();
    expect((await get(`/api/v1/jobs/${jobId}`)).json().status).toBe('completed');
  });
});
