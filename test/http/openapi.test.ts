import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSchema, modelListSchema, modelSchema, problemSchema, retrainConfigSchema, retrainStatusSchema, scheduleListSchema, versionListSchema } from '../../src/contract/index.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

// The document describes routes, not data: one dialect (SQLite) is enough.
describe('the API description', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(DIALECTS[0]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /openapi.json is an OpenAPI 3 document listing every resource with its methods', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Refit API', version: expect.any(String) });

    const expected: Record<string, string[]> = {
      '/api/v1/models': ['get', 'post'],
      '/api/v1/models/{id}': ['get'],
      '/api/v1/models/{id}/labels': ['post'],
      '/api/v1/models/{id}/score': ['post'],
      '/api/v1/models/{id}/retrain': ['post'],
      '/api/v1/models/{id}/retrain/status': ['get'],
      '/api/v1/models/{id}/retrain/history': ['get'],
      '/api/v1/models/{id}/retrain/config': ['get', 'put'],
      '/api/v1/models/{id}/versions': ['get'],
      '/api/v1/models/{id}/rollback': ['post'],
      '/api/v1/models/{id}/promote': ['post'],
      '/api/v1/models/{id}/rollout': ['get'],
      '/api/v1/models/{id}/rollout/evaluate': ['post'],
      '/api/v1/models/{id}/rollout/abort': ['post'],
      '/api/v1/models/{id}/timeline': ['get'],
      '/api/v1/models/{id}/retention/cleanup': ['post'],
      '/api/v1/jobs/{jobId}': ['get'],
      '/api/v1/events': ['get'],
      '/api/v1/storage': ['get'],
      '/api/v1/storage/prune': ['post'],
      '/healthz': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(doc.paths), `path ${path}`).toContain(path);
      for (const m of methods) {
        expect(doc.paths[path][m], `${m.toUpperCase()} ${path}`).toBeDefined();
        expect(doc.paths[path][m].summary, `summary of ${m.toUpperCase()} ${path}`).toEqual(expect.any(String));
      }
    }
    // The document itself is not an API resource.
    expect(Object.keys(doc.paths)).not.toContain('/openapi.json');
  });

  it('describes path and query parameters', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const params = (path: string, method: string) => (doc.paths[path][method].parameters ?? []) as { name: string; in: string }[];
    expect(params('/api/v1/models/{id}/retrain/history', 'get')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'id', in: 'path' }),
        expect.objectContaining({ name: 'limit', in: 'query' }),
        expect.objectContaining({ name: 'offset', in: 'query' }),
      ]),
    );
    expect(params('/api/v1/jobs/{jobId}', 'get')).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'jobId', in: 'path' })]));
    expect(params('/api/v1/events', 'get').map((p) => p.name)).toEqual(expect.arrayContaining(['after', 'follow', 'modelId']));
    expect(doc.paths['/api/v1/models/{id}/labels'].post.requestBody).toBeDefined();
  });

  it('describes the body of every 2xx response, and errors as problem documents', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, responses: op.responses ?? {} })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(25);
    for (const { name, responses } of operations) {
      const ok = Object.keys(responses).filter((status) => /^2/.test(status));
      expect(ok, `${name} documents a 2xx response`).not.toEqual([]);
      for (const status of ok) {
        // 204 No Content is the one success without a body.
        if (status === '204') continue;
        const content = Object.values(responses[status].content ?? {});
        expect(content, `${name} ${status} has a content type`).not.toEqual([]);
        for (const c of content) expect(Object.keys(c.schema ?? {}), `${name} ${status} has a schema`).not.toEqual([]);
      }
      expect(Object.keys(responses['4XX']?.content ?? {}), `${name} 4XX`).toEqual(['application/problem+json']);
    }
  });

  it('real responses match the schemas the document is built from', async () => {
    const spec = { id: 'contract', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'logistic' } };
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/models', payload: spec });
    expect(created.statusCode).toBe(201);
    expect(modelSchema.parse(created.json())).toEqual(created.json());
    const items = Array.from({ length: 12 }, (_, i) => ({ features: { x: i }, label: i % 2 }));
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/models/contract/labels', payload: { items } })).statusCode).toBe(201);
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/models/contract/retrain', payload: {} });
    await t.refit.whenIdle();
    const get = async (url: string) => {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      return res.json();
    };
    // parse() both checks the body and, stripping nothing, gives it back unchanged.
    for (const [schema, url] of [
      [modelListSchema, '/api/v1/models'],
      [jobSchema, `/api/v1/jobs/${started.json().jobId}`],
      [retrainStatusSchema, '/api/v1/models/contract/retrain/status'],
      [retrainConfigSchema, '/api/v1/models/contract/retrain/config'],
      [versionListSchema, '/api/v1/models/contract/versions'],
      [scheduleListSchema, '/api/v1/schedules?modelId=contract'],
    ] as const) {
      const body = await get(url);
      expect(schema.parse(body), url).toEqual(body);
    }
    expect(jobSchema.parse(await get(`/api/v1/jobs/${started.json().jobId}`)).status).toBe('completed');
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/models/nope' });
    expect(missing.statusCode).toBe(404);
    expect(problemSchema.parse(missing.json())).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
  });

  it('GET /docs serves the browsable documentation', async () => {
    let res = await t.app.inject({ method: 'GET', url: '/docs' });
    if (res.statusCode >= 300 && res.statusCode < 400) {
      const location = String(res.headers.location);
      res = await t.app.inject({ method: 'GET', url: new URL(location, 'http://localhost/docs').pathname });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/swagger-ui/i);
  });
});
