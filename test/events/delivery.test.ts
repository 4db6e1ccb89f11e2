import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { DeliveryWorker } from '../../src/events/delivery/delivery-worker.js';
import { appendEvent, commitWithEvents } from '../../src/events/outbox.js';
import { backoffMs as retryDelay } from '../../src/domain/backoff.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

afterAll(dropTestSchemas);

const OPTIONS = { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 5000, pollMs: 1000 };

async function driftEvent(p: RefitParts, modelId: string, reason: string): Promise<void> {
  await commitWithEvents(p.store, p.hub, (tx) => appendEvent(tx, { type: 'model.drift.detected', modelId, at: p.clock.now(), body: { previousVersion: '1.0.0', newVersion: null, metrics: null, reason } }));
}

describe.each(DIALECTS)('webhook delivery on $name', (dialect) => {
  let store: Store;
  let refit: Refit;
  let parts: RefitParts;
  let clock: ManualClock;
  let receiver: Receiver;
  beforeEach(async () => {
    store = await dialect.open();
    // Standard Webhooks receivers refuse timestamps more than 5 minutes from their own clock: start at the real time.
    clock = new ManualClock(new Date());
    ({ refit, parts } = createRefit({ store, clock, executor: inlineExecutor, random: () => 0.5, delivery: { options: OPTIONS } }));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await refit.close();
    await receiver.close();
  });

  it('delivers on the third attempt to a receiver that answers 500 twice, signed so that standardwebhooks verifies it', async () => {
    const { webhook, secret } = await refit.createWebhook({ url: receiver.url, events: ['model.drift.*'], description: 'ops' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    receiver.script({ status: 500 }, { status: 500 }, { status: 200 });
    await driftEvent(parts, 'churn', 'age drifted');
    const [event] = (await refit.events(0)).filter((e) => e.eventType === 'model.drift.detected');

    await parts.delivery.deliverDue();
    expect(receiver.received).toHaveLength(1);
    // The first retry waits between half and all of the initial delay (jitter); nothing is sent before.
    clock.advance(retryDelay(1, 1000, 60_000, 0.5) - 1);
    await parts.delivery.deliverDue();
    expect(receiver.received).toHaveLength(1);
    clock.advance(1);
    await parts.delivery.deliverDue();
    expect(receiver.received).toHaveLength(2);
    clock.advance(2000);
    await parts.delivery.deliverDue();
    expect(receiver.received).toHaveLength(3);

    const { seq: _seq, ...envelope } = event;
    const last = receiver.received[2];
    const verified = new Webhook(secret).verify(last.body, last.headers as Record<string, string>);
    expect(verified).toEqual(envelope);
    expect(Object.keys(JSON.parse(last.body) as object)).toEqual(['eventId', 'eventType', 'eventVersion', 'occurredAt', 'runId', 'payload']);
    // The same message id on every retry, so receivers can drop duplicates.
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.eventId]));
    // A wrong secret does not verify.
    expect(() => new Webhook(`whsec_${Buffer.from('another secret!!').toString('base64')}`).verify(last.body, last.headers as Record<string, string>)).toThrow();

    const [delivery] = await refit.listDeliveries(`webhook:${webhook.id}`);
    expect(delivery).toMatchObject({ eventId: event.eventId, status: 'delivered', attempts: 3 });
    expect(delivery.history.map((a) => [a.ok, a.statusCode, a.excerpt])).toEqual([
      [false, 500, 'receiver error'],
      [false, 500, 'receiver error'],
      [true, 200, 'ok'],
    ]);
    expect(await store.getCursor(`webhook:${webhook.id}`)).toBe(event.seq);
  });

  it('dead-letters an event a receiver never answers, keeps delivering later ones, and redelivers it on request', async () => {
    const { webhook } = await refit.createWebhook({ url: receiver.url, events: ['*'] });
    const sink = `webhook:${webhook.id}`;
    receiver.script('hang', 'hang', 'hang');
    await driftEvent(parts, 'churn', 'first');

    for (let attempt = 1; attempt <= 3; attempt++) {
      const pass = parts.delivery.deliverDue();
      await receiver.waitFor(attempt);
      clock.advance(OPTIONS.timeoutMs);
      await pass;
      clock.advance(retryDelay(attempt, 1000, 60_000, 0.5));
    }
    const [dead] = await refit.listDeliveries(sink, { status: 'dead' });
    expect(dead.attempts).toBe(3);
    expect(dead.history.map((a) => a.excerpt)).toEqual(['timed out after 5000 ms', 'timed out after 5000 ms', 'timed out after 5000 ms']);
    expect((await refit.listSinks()).find((s) => s.id === sink)?.counts).toEqual({ pending: 0, delivered: 0, dead: 1 });

    // The line moves on past the dead letter.
    await driftEvent(parts, 'churn', 'second');
    await parts.delivery.deliverDue();
    expect(JSON.parse(receiver.received[3].body)).toMatchObject({ payload: { reason: 'second' } });

    // Redelivered from the dead letters: it arrives, and its history keeps the failed attempts.
    expect(await refit.redeliver(sink)).toBe(1);
    await parts.delivery.deliverDue();
    expect(JSON.parse(receiver.received[4].body)).toMatchObject({ eventId: dead.eventId, payload: { reason: 'first' } });
    const again = (await refit.listDeliveries(sink)).find((d) => d.id === dead.id)!;
    expect(again.status).toBe('delivered');
    expect(again.history.map((a) => a.ok)).toEqual([false, false, false, true]);
    expect(await refit.redeliver(sink)).toBe(0);
  });

  it('delivers events in outbox order, holding later ones while an earlier one is retried', async () => {
    await refit.createWebhook({ url: receiver.url, events: ['model.drift.detected'] });
    receiver.script({ status: 503 });
    for (const r of ['a', 'b', 'c']) await driftEvent(parts, 'churn', r);
    await parts.delivery.deliverDue();
    expect(receiver.received).toHaveLength(1);
    clock.advance(1000);
    await parts.delivery.deliverDue();
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { payload: { reason: string } }).payload.reason)).toEqual(['a', 'a', 'b', 'c']);
  });

  it('with two processes on one database, delivers each event once: one holds the sink, the other takes it over when the first stops or its lease runs out', async () => {
    const { webhook } = await refit.createWebhook({ url: receiver.url, events: ['model.drift.detected'] });
    const sink = `webhook:${webhook.id}`;
    // A second process's delivery worker on the same database (its own lease holder).
    const other = new DeliveryWorker({ store, clock, hub: parts.hub, random: () => 0.5, options: OPTIONS });
    const reasons = () => receiver.received.map((r) => (JSON.parse(r.body) as { payload: { reason: string } }).payload.reason);
    const holderNow = async () => (await other.describe()).find((s) => s.id === sink)?.lease?.holder ?? null;

    // Both at once: one of them sends it.
    await driftEvent(parts, 'churn', 'one');
    await Promise.all([parts.delivery.deliverDue(), other.deliverDue()]);
    expect(reasons()).toEqual(['one']);
    // The sink says which of the two delivers it (host:pid:id).
    const [first, second] = (await holderNow()) === other.holder ? [other, parts.delivery] : [parts.delivery, other];
    expect(await holderNow()).toBe(first.holder);
    expect(first.holder).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
    expect(second.holder).not.toBe(first.holder);

    // The first holds the sink: the second sends nothing while its lease runs.
    await driftEvent(parts, 'churn', 'two');
    await second.deliverDue();
    expect(reasons()).toEqual(['one']);
    await first.deliverDue();
    expect(reasons()).toEqual(['one', 'two']);

    // The first stops renewing (a process that died): once its lease has run out, the second delivers, and the first no longer does.
    clock.advance(first.options.leaseMs);
    expect(await holderNow()).toBeNull();
    await driftEvent(parts, 'churn', 'three');
    await second.deliverDue();
    expect(reasons()).toEqual(['one', 'two', 'three']);
    await driftEvent(parts, 'churn', 'four');
    await first.deliverDue();
    expect(reasons()).toEqual(['one', 'two', 'three']);
    expect(await holderNow()).toBe(second.holder);

    // A process that stops lets go at once: the first takes the sink back without waiting.
    await second.stop();
    await first.deliverDue();
    expect(reasons()).toEqual(['one', 'two', 'three', 'four']);
    const deliveries = await refit.listDeliveries(sink);
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
    expect(await store.getCursor(sink)).toBe(deliveries[0].eventSeq);
  });
});

describe('delivery across a restart', () => {
  let dir: string;
  let receiver: Receiver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'refit-delivery-'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<{ store: Store; refit: Refit; parts: RefitParts; clock: ManualClock }> {
    const store = await createStore({ url: `sqlite:${join(dir, 'refit.db')}` });
    const clock = new ManualClock(new Date());
    const { refit, parts } = createRefit({ store, clock, executor: inlineExecutor, random: () => 0.5, delivery: { options: OPTIONS } });
    return { store, refit, parts, clock };
  }

  it('loses nothing when the process stops between the commit and the delivery, or in the middle of one', async () => {
    const first = await open();
    const { webhook } = await first.refit.createWebhook({ url: receiver.url, events: ['model.drift.detected'] });
    // Committed, then the process stops before delivering anything.
    await driftEvent(first.parts, 'churn', 'one');
    await driftEvent(first.parts, 'churn', 'two');
    // And it stops while the receiver holds the first delivery: the attempt is never recorded.
    receiver.script('hang');
    const pass = first.parts.delivery.deliverDue();
    await receiver.waitFor(1);
    await first.refit.close();
    await pass;

    const second = await open();
    second.refit.startDelivery();
    await receiver.waitFor(3);
    await second.parts.delivery.deliverDue();
    await second.refit.close();
    const reasons = receiver.received.map((r) => (JSON.parse(r.body) as { payload: { reason: string } }).payload.reason);
    // At least once: the interrupted one again, then the next, in order.
    expect(reasons).toEqual(['one', 'one', 'two']);
    const third = await open();
    const deliveries = await third.refit.listDeliveries(`webhook:${webhook.id}`);
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
    ]);
    await third.refit.close();
  });
});
