import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
