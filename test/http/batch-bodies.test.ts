import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

// The batch routes check only that the body is an object before the facade checks `items`:
// whatever else a client sends, the answer is a 400 problem naming it, never a 500.
describe('score and label batch bodies', () => {
  const sqlite = DIALECTS[0];
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(sqlite);
    await t.refit.createModel({ id: 'm', task: 'binary', features: [{ name: 'a', type: 'number' }], trainer: 'logistic' });
  });
  afterAll(() => t.close());

  it.each([
    ['/api/v1/models/m/labels', '[]', '/'],
    ['/api/v1/models/m/labels', '"x"', '/'],
    ['/api/v1/models/m/labels', 'null', '/'],
    ['/api/v1/models/m/labels', '{}', '/items'],
    ['/api/v1/models/m/labels', '{"items":5}', '/items'],
    ['/api/v1/models/m/labels', '{"items":[{"features":{"a":"x"},"label":1}]}', '/items/0/features/a'],
    ['/api/v1/models/m/score', '[]', '/'],
    ['/api/v1/models/m/score', '{"items":"x"}', '/items'],
    ['/api/v1/models/m/score', '{"items":[{"features":{"a":1},"zz":1}]}', '/items/0'],
  ])('POST %s with %s is a 400 naming %s', async (url, payload, path) => {
    const res = await t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const body = res.json() as { errors?: { path: string }[] };
    expect((body.errors ?? []).map((e) => e.path).some((p) => p === path || p.startsWith(path))).toBe(true);
  });

  it.each([
    ['score', 'a'.repeat(65), 400],
    ['labels', 'a'.repeat(65), 400],
    ['score', 'nope', 404],
  ])('POST /api/v1/models/:id/%s with the id %s is refused as a problem', async (route, id, status) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/models/${id}/${route}`, payload: '{"items":[{"features":{"a":1},"label":1}]}', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
