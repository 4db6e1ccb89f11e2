import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('clean labels through the API on $name', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const retrain = async (body: object = {}) => {
    const started = await req('POST', '/api/v1/models/c/retrain', body);
    expect(started.statusCode, started.body).toBe(202);
    await t.parts.queue.whenIdle();
    return (await req('GET', `/api/v1/jobs/${started.json().jobId}`)).json();
  };
  const create = async (retrainPolicy: object = {}) => {
    t = await openTestApp(dialect);
    const res = await req('POST', '/api/v1/models', {
      id: 'c',
      task: 'binary',
      features: [{ name: 'x', type: 'number' }],
      trainer: 'logistic',
      retrain: { enabled: false, minNewLabels: 1, ...retrainPolicy },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const rnd = mulberry32(4);
  const rows = (n: number, meta?: object) =>
    Array.from({ length: n }, () => {
      const x = rnd() * 2 - 1;
      return { features: { x }, label: x > 0 ? 1 : 0, ...(meta ? { meta } : {}) };
    });

  it('leaves out labels that match the exclusion rule and says how many in the history', async () => {
    await create({ labels: { exclude: { safeToSend: false } } });
    const posted = await req('POST', '/api/v1/models/c/labels', {
      items: [...rows(1200, { safeToSend: true, source: 'app' }), ...rows(17, { safeToSend: false }), ...rows(17)],
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const job = await retrain();
    expect(job.status).toBe('completed');
    expect(job.result.decision).toContain('1,234 labels, 17 excluded by rule, 1,217 used');
    expect(job.result.labelCount).toBe(1217);
    const history = (await req('GET', '/api/v1/models/c/retrain/history')).json();
    expect(history.items[0].result.decision).toContain('1,234 labels, 17 excluded by rule');
    // The rule is part of the retrain config, and can be changed there.
    const config = (await req('GET', '/api/v1/models/c/retrain/config')).json();
    expect(config.labels).toEqual({ exclude: { safeToSend: false }, duplicates: 'replace' });
  });

  it('keeps one label per score id: a later label replaces the earlier one in training and in live metrics', async () => {
    await create();
    await req('POST', '/api/v1/models/c/labels', { items: rows(40) });
    expect((await retrain()).result.promoted).toBe(true);
    const scored = (await req('POST', '/api/v1/models/c/score', { items: [{ features: { x: 0.9 } }] })).json().items[0];
    // Three contradictory labels for one score.
    for (const label of [0, 1, 1]) {
      expect((await req('POST', '/api/v1/models/c/labels', { items: [{ scoreId: scored.scoreId, label }] })).statusCode).toBe(201);
    }
    t.clock.advance(60_000);
    const perf = (await req('GET', '/api/v1/models/c/performance?window=1h&windows=1')).json();
    const counted = perf.windows.reduce((a: number, w: { count: number }) => a + w.count, 0);
    expect(counted).toBe(1);
    // The one counted is the latest (1): the model said 1, so accuracy is 1.
    expect(perf.windows.find((w: { count: number }) => w.count > 0).metrics.accuracy).toBe(1);
    const job = await retrain({ force: true });
    expect(job.result.decision).toContain('43 labels, 2 replaced by a later label, 41 used');
  });

  it("refuses a second label for a score id when duplicates is 'refuse', naming each, and stores nothing", async () => {
    await create({ labels: { duplicates: 'refuse' } });
    await req('POST', '/api/v1/models/c/labels', { items: rows(40) });
    await retrain();
    const [a, b] = (await req('POST', '/api/v1/models/c/score', { items: [{ features: { x: 0.5 } }, { features: { x: -0.5 } }] })).json().items;
    expect((await req('POST', '/api/v1/models/c/labels', { items: [{ scoreId: a.scoreId, label: 1 }] })).statusCode).toBe(201);
    const refused = await req('POST', '/api/v1/models/c/labels', {
      items: [
        { scoreId: b.scoreId, label: 0 },
        { scoreId: a.scoreId, label: 0 },
        { scoreId: b.scoreId, label: 1 },
      ],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json().errors).toEqual([
      { path: '/items/1/scoreId', message: `score '${a.scoreId}' already has a label (labels.duplicates is 'refuse')` },
      { path: '/items/2/scoreId', message: `score '${b.scoreId}' is labelled twice in this batch (labels.duplicates is 'refuse')` },
    ]);
    expect((await req('GET', '/api/v1/models/c/retrain/status')).json().newLabels).toBe(1);
  });

  it('skips (does not fail) a retrain with too few labels in total, with the reason', async () => {
    await create({ minSamples: 30 });
    await req('POST', '/api/v1/models/c/labels', { items: rows(12) });
    const job = await retrain();
    expect(job.status).toBe('skipped');
    expect(job.result.decision).toBe('skipped: too few labels to train (12 labels; 30 needed, minSamples)');
    // Forcing does not make 12 labels enough.
    expect((await retrain({ force: true })).status).toBe('skipped');
    // Labels excluded by rule do not count towards the minimum.
    await req('PUT', '/api/v1/models/c/retrain/config', { minSamples: 20, labels: { exclude: { test: true } } });
    await req('POST', '/api/v1/models/c/labels', { items: rows(10, { test: true }) });
    const again = await retrain({ force: true });
    expect(again.status).toBe('skipped');
    expect(again.result.decision).toBe('skipped: too few labels to train (22 labels, 10 excluded by rule, 12 used; 20 needed, minSamples)');
    await req('POST', '/api/v1/models/c/labels', { items: rows(8) });
    expect((await retrain()).status).toBe('completed');
  });

  it('skips a scheduled retrain below its own schedule\'s minSamples, while manual retrains use the spec\'s', async () => {
    await create();
    await req('POST', '/api/v1/models/c/labels', { items: rows(40) });
    const bad = await req('POST', '/api/v1/schedules', { modelId: 'c', schedule: { every: 'day', at: '07:00' }, timezone: 'UTC', minSamples: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['/minSamples']);
    const made = await req('POST', '/api/v1/schedules', { modelId: 'c', schedule: { every: 'day', at: '07:00' }, timezone: 'UTC', minSamples: 100 });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().config.minSamples).toBe(100);
    t.clock.set('2026-11-23T07:00:00Z');
    const [tick] = await t.parts.scheduler.tick();
    expect(tick).toMatchObject({ outcome: 'started' });
    await t.parts.queue.whenIdle();
    const scheduled = (await req('GET', `/api/v1/jobs/${tick.jobId}`)).json();
    expect(scheduled).toMatchObject({ trigger: 'schedule', status: 'skipped' });
    expect(scheduled.result.decision).toBe('skipped: too few labels to train (40 labels; 100 needed, minSamples)');
    expect((await retrain()).status).toBe('completed');
  });
});
