import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEvent, commitWithEvents } from '../../src/events/outbox.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('/api/v1/webhooks on $name', (dialect) => {
  let t: TestApp;
  let receiver: Receiver;
  beforeEach(async () => {
    t = await openTestApp(dialect);
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t.close();
    await receiver.close();
  });

  const create = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/webhooks', payload: payload as object });

  it('creates a webhook with its secret shown once, lists and changes it without the secret, and deletes it', async () => {
    const res = await create({ url: receiver.url, events: ['model.retrained', 'model.rollback'], description: 'data team' });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ url: receiver.url, events: ['model.retrained', 'model.rollback'], description: 'data team', enabled: true });
    expect(created.secret).toMatch(/^whsec_/);
    expect(res.headers.location).toBe(`/api/v1/webhooks/${created.id}`);

    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/webhooks' })).json();
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).not.toHaveProperty('secret');
    expect(JSON.stringify(list)).not.toContain(created.secret);

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${created.id}`, payload: { events: ['*'], enabled: false } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ events: ['*'], enabled: false, description: 'data team' });
    expect(patched.json()).not.toHaveProperty('secret');

    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${created.id}` })).statusCode).toBe(204);
    const gone = await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toContain('application/problem+json');
    expect(gone.json().code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('refuses a bad webhook whole, naming every problem, and stores nothing', async () => {
    const res = await create({ url: 'file:///etc/passwd', events: [], colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const paths = (res.json().errors as { path: string; message: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['/colour', '/events', '/url']);
    expect(res.json().errors.find((e: { path: string }) => e.path === '/url').message).toBe('must be an http:// or https:// URL');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/webhooks' })).json().items).toEqual([]);
    expect((await create({ url: 'https://example.com/hook', events: ['Model Retrained'] })).json().errors[0].path).toBe('/events/0');
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/webhooks/nope', payload: { enabled: true } })).json().code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('sends a signed test event, lists deliveries with their attempts and redelivers dead letters', async () => {
    const created = (await create({ url: receiver.url, events: ['model.created'] })).json();
    const test = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${created.id}/test` });
    expect(test.json()).toMatchObject({ ok: true, statusCode: 200, excerpt: 'ok' });
    const sent = receiver.received[0];
    // Signed as standardwebhooks signs (the test clock's time is too old for its verify's 5-minute tolerance).
    const wh = new Webhook(created.secret);
    const ts = Number(sent.headers['webhook-timestamp']);
    expect(sent.headers['webhook-signature']).toBe(wh.sign(String(sent.headers['webhook-id']), new Date(ts * 1000), sent.body));
    expect(JSON.parse(sent.body)).toMatchObject({ eventType: 'webhook.test', eventVersion: 1 });

    receiver.fallback = { status: 410, body: 'gone' };
    await commitWithEvents(t.parts.store, t.parts.hub, (tx) => appendEvent(tx, { type: 'model.created', modelId: 'churn', at: t.clock.now(), body: { previousVersion: null, newVersion: null, metrics: null } }));
    for (let i = 0; i < 10; i++) {
      await t.parts.delivery.deliverDue();
      t.clock.advance(600_000);
    }
    const dead = (await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.id}/deliveries?status=dead` })).json();
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]).toMatchObject({ eventType: 'model.created', modelId: 'churn', status: 'dead', attempts: 10 });
    expect(dead.items[0].history[0]).toMatchObject({ ok: false, statusCode: 410, excerpt: 'gone' });

    const sinks = (await t.app.inject({ method: 'GET', url: '/api/v1/sinks' })).json();
    expect(sinks.items).toEqual([expect.objectContaining({ id: `webhook:${created.id}`, kind: 'webhook', counts: { pending: 0, delivered: 0, dead: 1 } })]);

    receiver.fallback = { status: 204 };
    const one = await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${created.id}/deliveries/${dead.items[0].id}/redeliver` });
    expect(one.statusCode).toBe(202);
    expect(one.json()).toEqual({ queued: 1 });
    await t.parts.delivery.deliverDue();
    const after = (await t.app.inject({ method: 'GET', url: `/api/v1/sinks/webhook:${created.id}/deliveries` })).json();
    expect(after.items[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${created.id}/redeliver` })).json()).toEqual({ queued: 0 });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/webhooks/${created.id}/deliveries/99999/redeliver` })).json().code).toBe('DELIVERY_NOT_FOUND');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sinks/redis/deliveries' })).json().code).toBe('SINK_NOT_FOUND');
  });
});
