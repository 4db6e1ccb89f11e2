import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticRoutes } from '../../src/http/routes/static.js';

/* How the server serves the built dashboard, on a stand-in build (no browser needed). */

async function appWith(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.get('/api/v1/models', async () => ({ items: [] }));
  app.get('/healthz', async () => ({ ok: true }));
  await app.register(staticRoutes, { root });
  await app.ready();
  return app;
}

describe('the dashboard routes', () => {
  let dir: string;
  let built: FastifyInstance;
  let bare: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'refit-web-'));
    await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
    await writeFile(join(dir, 'dist', 'index.html'), '<!doctype html><title>Refit</title><div id="root"></div>');
    await writeFile(join(dir, 'dist', 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'outside the build');
    built = await appWith(join(dir, 'dist'));
    bare = await appWith(join(dir, 'missing'));
  });
  afterAll(async () => {
    await built.close();
    await bare.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the app at / and at every dashboard path, uncached', async () => {
    for (const url of ['/', '/models/churn', '/models/churn?tab=history', '/models/churn/versions/1.2.0-20261123060000']) {
      const res = await built.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<div id="root">');
    }
  });

  it('serves hashed assets as immutable', async () => {
    const res = await built.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toMatch(/immutable/);
    expect(res.body).toBe('console.log(1)');
  });

  it('leaves API routes first and keeps unknown API paths, missing files and escapes as 404 problems', async () => {
    expect((await built.inject({ method: 'GET', url: '/api/v1/models' })).json()).toEqual({ items: [] });
    expect((await built.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    for (const url of ['/api/v1/nothing-here', '/api/v2', '/docs/nope', '/assets/gone.js', '/favicon.ico', '/../secret.txt', '/%2e%2e/secret.txt']) {
      const res = await built.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(res.json().code, url).toBe('NOT_FOUND');
    }
  });

  it('says how to build the dashboard when it was never built, and the API still works', async () => {
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('npm run build:web');
    expect((await bare.inject({ method: 'GET', url: '/api/v1/models' })).json()).toEqual({ items: [] });
    expect((await bare.inject({ method: 'GET', url: '/models/churn' })).statusCode).toBe(404);
  });
});
