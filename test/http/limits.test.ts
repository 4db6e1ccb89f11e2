import { afterEach, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';
import { spec } from '../rollout/harness.js';

const dialect = DIALECTS[0];

describe('limits, security headers and CORS', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('limits requests per key and per address with 429, retry-after and a problem document', async () => {
    t = await openTestApp(dialect, { auth: 'required', rateLimit: 3 });
    const a = (await t.refit.createKey({ name: 'a', scopes: ['read'] })).key;
    const b = (await t.refit.createKey({ name: 'b', scopes: ['read'] })).key;
    const get = (key: string | null, remoteAddress = '203.0.113.5') =>
      t!.app.inject({ method: 'GET', url: '/api/v1/models', remoteAddress, headers: key ? { authorization: `Bearer ${key}` } : {} });
    for (let i = 0; i < 3; i++) expect((await get(a)).statusCode).toBe(200);
    const limited = await get(a);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(limited.json().detail).toContain("the key 'a'");
    // Another key from the same address has its own budget.
    expect((await get(b)).statusCode).toBe(200);
    // Without a key, the address is counted (the 401s too), and loopback is not.
    for (let i = 0; i < 3; i++) await get(null, '198.51.100.7');
    expect((await get(null, '198.51.100.7')).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) expect((await get(null, '127.0.0.1')).statusCode).toBe(401);
    // A key is counted from loopback too.
    const c = (await t.refit.createKey({ name: 'c', scopes: ['read'] })).key;
    for (let i = 0; i < 3; i++) expect((await get(c, '127.0.0.1')).statusCode).toBe(200);
    expect((await get(c, '127.0.0.1')).statusCode).toBe(429);
    // Routes outside the API are limited per address as well.
    const health = () => t!.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.9' });
    for (let i = 0; i < 3; i++) expect((await health()).statusCode).toBe(200);
    expect((await health()).statusCode).toBe(429);
  });

  it('limits bodies per route: batches take the app limit, small documents 64 KiB', async () => {
    t = await openTestApp(dialect);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/models', payload: spec() })).statusCode).toBe(201);
    const big = 'x'.repeat(100 * 1024);
    const config = await t.app.inject({ method: 'PUT', url: '/api/v1/models/m/retrain/config', payload: { note: big } });
    expect(config.statusCode).toBe(413);
    expect(config.json().code).toBe('PAYLOAD_TOO_LARGE');
    const labels = await t.app.inject({ method: 'POST', url: '/api/v1/models/m/labels', payload: { items: [{ features: { x: 1 }, label: 1, note: big }] } });
    expect(labels.statusCode).not.toBe(413);
  });

  it('sends security headers, with a CSP that lets the dashboard load its own scripts and styles', async () => {
    t = await openTestApp(dialect);
    const res = await t.app.inject({ method: 'GET', url: '/' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    // API answers carry OWASP's headers for REST APIs: nothing they hold may load or be framed.
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/models' });
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['x-frame-options']).toBe('DENY');
    // Swagger UI runs an inline script: its page has no CSP.
    expect((await t.app.inject({ method: 'GET', url: '/docs/' })).headers['content-security-policy']).toBeUndefined();
  });

  it('keeps CORS off unless origins are configured; a preflight needs no key', async () => {
    t = await openTestApp(dialect, { auth: 'required' });
    const plain = await t.app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    await t.close();
    t = await openTestApp(dialect, { auth: 'required', corsOrigins: ['https://app.example.com'] });
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/models',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(pre.headers['access-control-allow-headers'])).toContain('authorization');
    const other = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/models', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
