import { createServer, type Server, type Socket } from 'node:net';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { RefitEvent } from '../../src/domain/entities.js';
import { redisSink } from '../../src/events/delivery/redis-sink.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';

const redisUrl = process.env.REFIT_TEST_REDIS_URL;
if (!redisUrl) {
  if (process.env.REFIT_TEST_REDIS_REQUIRED === '1') throw new Error('REFIT_TEST_REDIS_REQUIRED=1 but REFIT_TEST_REDIS_URL is not set');
  console.warn('[refit tests] REFIT_TEST_REDIS_URL is not set: the Redis stream tests that need a Redis do not run. Set it (e.g. redis://127.0.0.1:6379) to run them.');
}

const SPEC = { id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }, { name: 'plan', type: 'category' }], trainer: { type: 'logistic' } };
const LABELS = Array.from({ length: 12 }, (_, i) => ({ features: { age: 20 + i * 4, plan: i % 3 === 0 ? 'pro' : 'basic' }, label: i % 2 }));

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A TCP proxy on `port` to the real Redis: "Redis comes back" is this starting to listen. */
async function proxyTo(port: number, target: URL): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function retrainOnce(refit: Refit): Promise<void> {
  await refit.addLabels('churn', LABELS);
  await refit.retrain('churn');
  await refit.whenIdle();
}

function envelope(e: RefitEvent): Record<string, string> {
  return { eventId: e.eventId, eventType: e.eventType, eventVersion: '1', occurredAt: e.occurredAt, runId: e.runId ?? '', payload: JSON.stringify(e.payload) };
}

describe('the Redis stream sink', () => {
  let refit: Refit;
  let parts: RefitParts;
  let clock: ManualClock;
  let stream: string;
  let reader: Redis | null = null;

  async function open(url: string): Promise<void> {
    const store = await createStore({ url: ':memory:' });
    clock = new ManualClock('2026-11-23T06:00:00Z');
    stream = `refit-test:${process.pid}:${Math.random().toString(36).slice(2)}`;
    ({ refit, parts } = createRefit({
      store,
      clock,
      executor: inlineExecutor,
      random: () => 0.5,
      delivery: { sinks: [redisSink({ url, stream, maxLen: 1000, timeoutMs: 2000 })], options: { maxAttempts: 20, initialDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 2000 } },
    }));
    await refit.createModel(SPEC);
  }
  beforeEach(() => {
    reader = redisUrl ? new Redis(redisUrl) : null;
  });
  afterEach(async () => {
    await refit.close();
    if (reader) {
      await reader.del(stream);
      reader.disconnect();
    }
  });

  it('keeps retraining and scoring while Redis cannot be reached, recording each failed attempt', async () => {
    await open(`redis://127.0.0.1:${await freePort()}`);
    await parts.delivery.deliverDue();
    await retrainOnce(refit);
    expect((await refit.status('churn')).activeVersion).not.toBeNull();
    const [scored] = await refit.score('churn', [{ features: { age: 30, plan: 'basic' } }]);
    expect(scored.version).not.toBeNull();
    await parts.delivery.deliverDue();
    const [pending] = await refit.listDeliveries('redis', { status: 'pending' });
    expect(pending.history[0]).toMatchObject({ ok: false, statusCode: null });
    expect(pending.history[0].excerpt).toMatch(/ECONNREFUSED|connect|closed/i);
  });

  if (redisUrl) {
    it("adds a retrain's events to the stream in order, each exactly the envelope", async () => {
      await open(redisUrl);
      await parts.delivery.deliverDue();
      await retrainOnce(refit);
      await parts.delivery.deliverDue();
      const events = await refit.events(0);
      const retrainEvents = events.filter((e) => e.runId !== null);
      expect(retrainEvents.map((e) => e.eventType)).toEqual(['model.retrain.started', 'model.retrain.completed', 'model.retrained', 'model.activated', 'model.promoted']);
      const entries = await reader!.xrange(stream, '-', '+');
      const messages = entries.map(([, fields]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]])));
      // Every event after the sink started (the model existed before), in outbox order.
      expect(messages).toEqual(events.slice(1).map(envelope));
      expect(Object.keys(messages[0])).toEqual(['eventId', 'eventType', 'eventVersion', 'occurredAt', 'runId', 'payload']);
      const retrained = JSON.parse(messages.find((m) => m.eventType === 'model.retrained')!.payload) as Record<string, unknown>;
      expect(retrained).toMatchObject({ modelId: 'churn', previousVersion: null, promoted: true });
      expect(Object.keys(retrained)).toEqual(expect.arrayContaining(['newVersion', 'metrics', 'improvementPct']));
    });

    it('delivers the events of a retrain that ran while Redis was down once it is back', async () => {
      const port = await freePort();
      await open(`redis://127.0.0.1:${port}`);
      await parts.delivery.deliverDue();
      await retrainOnce(refit);
      await refit.score('churn', [{ features: { age: 30, plan: 'basic' } }]);
      await parts.delivery.deliverDue();
      expect(await reader!.xlen(stream)).toBe(0);
      const proxy = await proxyTo(port, new URL(redisUrl));
      try {
        clock.advance(60_000);
        await parts.delivery.deliverDue();
        const entries = await reader!.xrange(stream, '-', '+');
        const types = entries.map(([, f]) => f[f.indexOf('eventType') + 1]);
        expect(types).toEqual(['model.retrain.started', 'model.retrain.completed', 'model.retrained', 'model.activated', 'model.promoted']);
      } finally {
        await parts.delivery.stop();
        await proxy.close();
      }
    });
  }
});
