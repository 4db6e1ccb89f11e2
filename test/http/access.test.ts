import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/domain/auth.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';
import { spec, trainingRows } from '../rollout/harness.js';

/** The scope each route needs, as the issue states it (not read from the server's own table). */
function expectedScope(method: string, path: string): Scope | null {
  if (path === '/api/v1/auth') return null;
  // The key list and the storage report (sizes, what retention deletes) are for admins.
  if (method === 'get') return path.startsWith('/api/v1/keys') || path.startsWith('/api/v1/storage') ? 'admin' : 'read';
  if (/\/(score|labels)$/.test(path)) return 'score';
  if (/\/models\/\{id\}\/(retrain|checks|retrain\/config)$/.test(path) || path === '/api/v1/jobs/{jobId}/cancel') return 'train';
  return 'admin';
}

const ALL: Scope[] = ['read', 'score', 'train', 'admin'];

describe.each(DIALECTS)('API keys and scopes on $name', (dialect) => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await openTestApp(dialect, { auth: 'required' });
    for (const s of ALL) keys[s] = (await t.refit.createKey({ name: `only-${s}`, scopes: [s] })).key;
    // For each scope, a key with every other scope but admin: the wrong one for that route.
    for (const s of ALL) keys[`not-${s}`] = (await t.refit.createKey({ name: `not-${s}`, scopes: ALL.filter((o) => o !== s && o !== 'admin') })).key;
    keys.revoked = (await t.refit.createKey({ name: 'gone', scopes: ['admin'] })).key;
    await t.refit.revokeKey('gone');
    keys.expired = (await t.refit.createKey({ name: 'old', scopes: ['admin'] })).key;
    await t.refit.expireKey('old');
    // A model with a version, so the routes that need one have it.
    const auth = { authorization: `Bearer ${keys.admin}` };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/models', headers: auth, payload: spec() })).statusCode).toBe(201);
    await t.app.inject({ method: 'POST', url: '/api/v1/models/m/labels', headers: auth, payload: { items: trainingRows(20) } });
    await t.app.inject({ method: 'POST', url: '/api/v1/models/m/retrain', headers: auth, payload: { force: true } });
    await t.refit.whenIdle();
  });
  afterAll(async () => {
    await t?.close();
  });

  const send = (method: string, url: string, key?: string) =>
    t.app.inject({
      method: method.toUpperCase() as 'GET',
      url,
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      ...(['post', 'put'].includes(method) ? { payload: {} } : {}),
    });

  it('refuses every route of /openapi.json without a key, with a revoked, an expired or a wrong-scope key; the right scope passes', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const routes: [string, string][] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) for (const m of Object.keys(methods)) routes.push([m, path]);
    expect(routes.length).toBeGreaterThan(30);
    const checked: string[] = [];
    for (const [method, path] of routes) {
      // Liveness and readiness stay open, for probes that hold no key.
      if (path === '/healthz' || path === '/readyz') {
        expect([401, 403], path).not.toContain((await send(method, path)).statusCode);
        continue;
      }
      const url = path.replace('{id}', path.startsWith('/api/v1/keys') ? 'nobody' : path.startsWith('/api/v1/schedules') ? 'm%2Fdefault' : 'm').replace('{version}', '1.0.0').replace('{jobId}', 'no-such-job').replace('{sink}', 'redis').replace('{deliveryId}', '1') + (path === '/api/v1/events' ? '?follow=false' : '');
      const scope = expectedScope(method, path);
      const what = `${method.toUpperCase()} ${path}`;
      if (scope === null) {
        expect((await send(method, url)).statusCode, what).toBe(200);
        expect((await send(method, url, keys.revoked)).statusCode, what).toBe(401);
        continue;
      }
      for (const bad of [undefined, keys.revoked, keys.expired, 'refit_000000000000_' + 'x'.repeat(43)]) {
        const res = await send(method, url, bad);
        expect(res.statusCode, `${what} with ${bad === undefined ? 'no key' : bad.slice(0, 20)}`).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.json().code).toBe('UNAUTHORIZED');
      }
      const wrong = await send(method, url, keys[`not-${scope}`]);
      expect(wrong.statusCode, `${what} with a key lacking ${scope}`).toBe(403);
      expect(wrong.json()).toMatchObject({ code: 'FORBIDDEN', scope });
      for (const right of [keys[scope], keys.admin]) {
        const res = await send(method, url, right);
        expect([401, 403], `${what} with the ${scope} scope: ${res.statusCode} ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
        expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
      }
      checked.push(what);
    }
    expect(checked).toEqual(expect.arrayContaining(['POST /api/v1/models/{id}/promote', 'POST /api/v1/keys', 'GET /api/v1/audit', 'PUT /api/v1/models/{id}/retrain/config', 'POST /api/v1/models/{id}/score']));
  });

  it('says why a key is refused, without repeating it', async () => {
    const revoked = (await send('get', '/api/v1/models', keys.revoked)).json();
    expect(revoked.detail).toMatch(/revoked/);
    expect(JSON.stringify(revoked)).not.toContain(keys.revoked);
    expect((await send('get', '/api/v1/models', keys.expired)).json().detail).toMatch(/expired/);
    expect((await send('get', '/api/v1/models', 'hunter2')).json().detail).toMatch(/not in the form/);
  });

  it('keeps /healthz, the dashboard and the API docs open', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('takes the key of the event stream from ?key= (EventSource cannot send headers), on that route only, and never echoes it', async () => {
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/events?follow=false&key=${keys.read}` })).statusCode).toBe(200);
    const bad = await t.app.inject({ method: 'GET', url: `/api/v1/events?follow=false&key=${keys.revoked}` });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).not.toContain(keys.revoked);
    expect(bad.json().instance).toBe('/api/v1/events?follow=false&key=[redacted]');
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/models?key=${keys.read}` })).statusCode).toBe(401);
  });

  it('creates a key through the API once, lists it without the secret, and a revoked key stops working at once', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { authorization: `Bearer ${keys.admin}` }, payload: { name: 'ci', scopes: ['read', 'score'] } });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    expect(key).toMatch(/^refit_[0-9a-f]{12}_/);
    expect((await send('get', '/api/v1/models', key)).statusCode).toBe(200);
    const list = await send('get', '/api/v1/keys', keys.admin);
    expect(list.body).not.toContain(key);
    expect(list.json().items.find((k: { id: string }) => k.id === id)).toMatchObject({ name: 'ci', scopes: ['read', 'score'], state: 'active' });
    // Stored only as a hash.
    expect((await t.parts.store.getApiKey(id))?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await t.parts.store.getApiKey(id))).not.toContain(key.slice(19));
    expect((await send('delete', '/api/v1/keys/ci', keys.admin)).json()).toMatchObject({ state: 'revoked' });
    expect((await send('get', '/api/v1/models', key)).statusCode).toBe(401);
    const dup = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { authorization: `Bearer ${keys.admin}` }, payload: { name: 'ci', scopes: ['read'] } });
    expect(dup.json().code).toBe('KEY_NAME_TAKEN');
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { authorization: `Bearer ${keys.admin}` }, payload: { name: '', scopes: ['root'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/name', '/scopes/0']);
  });

  it('tells the dashboard whether keys are required and what its key may do', async () => {
    expect((await send('get', '/api/v1/auth')).json()).toEqual({ required: true, key: null });
    expect((await send('get', '/api/v1/auth', keys.train)).json()).toEqual({ required: true, key: { name: 'only-train', scopes: ['train'], expiresAt: null } });
  });
});
