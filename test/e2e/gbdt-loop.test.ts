import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

// The gbdt trainer through the whole service: retrain, feature importance from the stored
// artifact, then a warm-started retrain that adds trees to the champion's.
describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('gbdt models end to end on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const rnd = mulberry32(11);
  // y depends on x1 and plan only; noise is pure noise.
  const rows = (n: number) =>
    Array.from({ length: n }, () => {
      const x1 = rnd() * 2 - 1;
      const plan = ['basic', 'pro', 'team'][Math.floor(rnd() * 3)];
      const noise = rnd();
      return { features: { x1, plan, noise }, label: x1 + (plan === 'pro' ? 0.6 : 0) + (rnd() - 0.5) * 0.3 > 0.2 ? 1 : 0 };
    });
  const finished = async () => {
    await t.parts.queue.whenIdle();
    return (await req('GET', '/api/v1/models/g/retrain/history')).json().items[0];
  };

  it('trains, shows feature importance, and warm-starts from the champion when asked', async () => {
    const created = await req('POST', '/api/v1/models', {
      id: 'g',
      task: 'binary',
      features: [
        { name: 'x1', type: 'number' },
        { name: 'plan', type: 'category' },
        { name: 'noise', type: 'number' },
      ],
      trainer: { type: 'gbdt', params: { numTrees: 30, maxDepth: 3 } },
    });
    expect(created.statusCode).toBe(201);
    expect((await req('POST', '/api/v1/models/g/labels', { items: rows(1500) })).statusCode).toBe(201);
    await req('POST', '/api/v1/models/g/retrain', {});
    const first = await finished();
    expect(first).toMatchObject({ status: 'completed', result: { promoted: true } });
    expect(first.result.newMetrics.auc).toBeGreaterThan(0.9);
    const v1 = first.result.newVersion as string;

    const imp = (await req('GET', `/api/v1/models/g/versions/${v1}/importance`)).json();
    expect(imp).toMatchObject({ version: v1, trainer: 'gbdt', available: true });
    expect(imp.features.map((f: { feature: string }) => f.feature)).toEqual(['x1', 'plan', 'noise']);
    const splits1 = imp.features.reduce((s: number, f: { splits: number }) => s + f.splits, 0);
    expect(imp.features[0].gain).toBeGreaterThan(10 * imp.features[2].gain);

    const missing = await req('GET', '/api/v1/models/g/versions/9.9.9-x/importance');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);

    // Warm start: the next retrain adds up to 30 rounds to v1's trees instead of starting over.
    const put = await req('PUT', '/api/v1/models/g/retrain/config', { trainer: { type: 'gbdt', params: { numTrees: 30, maxDepth: 3, warmStart: true } } });
    expect(put.statusCode, put.body).toBe(200);
    t.clock.advance(3_600_000);
    await req('POST', '/api/v1/models/g/labels', { items: rows(300) });
    await req('POST', '/api/v1/models/g/retrain', {});
    const second = await finished();
    expect(second.status).toBe('completed');
    expect(second.result.decision).toMatch(/warm start: added up to 30 rounds to the champion's trees/);
    const v2 = second.result.newVersion as string;
    const imp2 = (await req('GET', `/api/v1/models/g/versions/${v2}/importance`)).json();
    const splits2 = imp2.features.reduce((s: number, f: { splits: number }) => s + f.splits, 0);
    expect(splits2).toBeGreaterThan(splits1);

    // A champion that cannot be continued (another mode) gets a full retrain, and the decision says so.
    expect((await req('PUT', '/api/v1/models/g/retrain/config', { trainer: { type: 'gbdt', params: { mode: 'rf', numTrees: 20, maxDepth: 4, warmStart: true } } })).statusCode).toBe(200);
    t.clock.advance(3_600_000);
    await req('POST', '/api/v1/models/g/labels', { items: rows(300) });
    await req('POST', '/api/v1/models/g/retrain', {});
    const third = await finished();
    expect(third.status).toBe('completed');
    expect(third.result.decision).toMatch(/warm start: full retrain: the champion could not be continued \(warm start needs the same task, mode, features and classes/);
    expect(third.result.newVersion).not.toBe(v2);
  });

  it('says when a version has no feature importance', async () => {
    await req('POST', '/api/v1/models', { id: 'lin', task: 'binary', features: [{ name: 'x1', type: 'number' }], trainer: 'logistic' });
    await req('POST', '/api/v1/models/lin/labels', { items: rows(100).map((r) => ({ features: { x1: r.features.x1 }, label: r.label })) });
    await req('POST', '/api/v1/models/lin/retrain', {});
    await t.parts.queue.whenIdle();
    const version = (await req('GET', '/api/v1/models/lin')).json().activeVersion as string;
    expect((await req('GET', `/api/v1/models/lin/versions/${version}/importance`)).json()).toMatchObject({ available: false, features: [], trainer: 'logistic' });
  });
});
