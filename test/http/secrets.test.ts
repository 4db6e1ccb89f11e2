import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/create-logger.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

describe('secrets stay out of logs, events, errors and the audit trail', () => {
  let t: TestApp;
  let lines = '';
  let admin: string;
  beforeAll(async () => {
    const { logger } = createLogger({ logLevel: 'trace', logFormat: 'json', logFile: null }, { write: (s) => void (lines += s), isTTY: false });
    t = await openTestApp(DIALECTS[0], { auth: 'required', logger });
    admin = (await t.refit.createKey({ name: 'ops', scopes: ['admin'] })).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never writes a key, whether sent in a header, in the event stream query, or created through the API', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'ci', scopes: ['read'] } });
    const fresh = created.json().key as string;
    const revoked = (await t.refit.createKey({ name: 'gone', scopes: ['read'] })).key;
    await t.refit.revokeKey('gone');
    for (const key of [revoked, 'refit_123456789abc_' + 'A'.repeat(43)]) {
      await t.app.inject({ method: 'GET', url: '/api/v1/models', headers: { authorization: `Bearer ${key}` } });
      await t.app.inject({ method: 'GET', url: `/api/v1/events?follow=false&key=${key}` });
    }
    await t.app.inject({ method: 'GET', url: `/api/v1/events?follow=false&key=${fresh}` });
    // A webhook's signing secret is answered once, and written nowhere else.
    const hook = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: { authorization: `Bearer ${admin}` }, payload: { url: 'https://hooks.example.com/refit', events: ['model.rollback'] } });
    expect(hook.statusCode).toBe(201);
    const hookSecret = hook.json().secret as string;
    expect(hookSecret.length).toBeGreaterThan(10);
    // A log call that hands pino a request's headers is censored too.
    const { logger } = createLogger({ logLevel: 'info', logFormat: 'json', logFile: null }, { write: (s) => void (lines += s), isTTY: false });
    logger.info({ req: { headers: { authorization: `Bearer ${admin}` } }, webhook: { secret: 'whsec_abc' } }, 'a request');
    await t.refit.whenIdle();

    expect(lines).toContain('401'); // the refusals were logged …
    expect(lines).toContain('[redacted]'); // … with what was censored marked
    for (const secret of [admin, fresh, revoked, 'A'.repeat(43), 'whsec_abc', hookSecret]) expect(lines).not.toContain(secret);
    const events = JSON.stringify(await t.refit.events(0, 1000));
    const audit = JSON.stringify(await t.refit.listAudit({ limit: 500 }));
    for (const secret of [admin, fresh, hookSecret]) {
      expect(events).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(audit).toContain('key.create');
    expect(audit).toContain('webhook.create');
  });
});
