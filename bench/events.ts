/**
 * Event delivery throughput: events per second from the outbox to local sinks.
 *
 *   npm run bench:events -- [--events 2000] [--webhooks 1] [--store sqlite|postgres://…] [--redis redis://127.0.0.1:6379]
 *
 * Appends N events to the outbox (100 per transaction, not timed), then times the delivery
 * worker until every sink's cursor has reached the last event: each webhook is a local HTTP
 * receiver on 127.0.0.1 answering 200 (every event signed, POSTed, its attempt and delivery row
 * written, the cursor moved); with --redis, the Redis stream sink too (XADD). Sinks run
 * concurrently, each in order. Prints one JSON line per sink kind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { systemClock } from '../src/domain/clock.js';
import { redisSink } from '../src/events/delivery/redis-sink.js';
import type { Sink } from '../src/events/delivery/sink.js';
import { appendEvent, commitWithEvents } from '../src/events/outbox.js';
import { createRefit } from '../src/service/index.js';
import { createStore } from '../src/store/create-store.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const events = Number(flag('events') ?? 2000);
const webhooks = Number(flag('webhooks') ?? 1);
const storeFlag = flag('store') ?? 'sqlite';
const redisUrl = flag('redis');

const dir = mkdtempSync(join(tmpdir(), 'refit-bench-events-'));
let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(200).end('ok');
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const stream = `refit-bench:${process.pid}`;
const store = await createStore({ url: storeFlag === 'sqlite' ? `sqlite:${join(dir, 'refit.db')}` : storeFlag, ...(storeFlag === 'sqlite' ? {} : { schema: `refit_bench_${process.pid}` }) });
const sinks: Sink[] = redisUrl ? [redisSink({ url: redisUrl, stream, maxLen: events * 2 })] : [];
const { refit, parts } = createRefit({ store, clock: systemClock, delivery: { sinks } });
for (let i = 0; i < webhooks; i++) await refit.createWebhook({ url, events: ['*'] });
// First sight of the settings' sinks: their cursors start at the outbox's end, before the events.
await parts.delivery.deliverDue();

const at = new Date();
for (let i = 0; i < events; i += 100) {
  await commitWithEvents(store, parts.hub, async (tx) => {
    for (let j = i; j < Math.min(events, i + 100); j++) {
      await appendEvent(tx, { type: 'model.retrain.completed', modelId: `model-${j % 10}`, runId: `job-${j}`, at, body: { previousVersion: '1.0.0', newVersion: '1.1.0', metrics: { auc: 0.91, accuracy: 0.87 }, promoted: true, decision: 'promoted' } });
    }
  });
}
const last = await store.lastEventSeq();

const sinkIds = (await parts.delivery.sinks()).map((s) => s.id);
const started = performance.now();
const finished = new Map<string, number>();
// Each sink on its own, concurrently, as the worker runs them: its time ends when its cursor reaches the last event.
await Promise.all(
  sinkIds.map(async (id) => {
    while ((await store.getCursor(id)) !== last) await parts.delivery.deliverDue(id);
    finished.set(id, performance.now() - started);
  }),
);
const seconds = (performance.now() - started) / 1000;
const webhookSeconds = Math.max(...sinkIds.filter((s) => s.startsWith('webhook:')).map((s) => finished.get(s)! / 1000), 0);
if (webhooks > 0) {
  console.log(JSON.stringify({ sink: 'webhook', store: store.dialect, events, webhooks, delivered: received, seconds: +webhookSeconds.toFixed(3), events_per_second: Math.round((events * webhooks) / webhookSeconds) }));
}
if (redisUrl) {
  const redisSeconds = finished.get('redis')! / 1000;
  const reader = new Redis(redisUrl);
  const length = await reader.xlen(stream);
  await reader.del(stream);
  reader.disconnect();
  console.log(JSON.stringify({ sink: 'redis', store: store.dialect, events, delivered: length, seconds: +redisSeconds.toFixed(3), events_per_second: Math.round(events / redisSeconds) }));
}
console.log(JSON.stringify({ total_seconds: +seconds.toFixed(3) }));
await refit.close();
server.close();
rmSync(dir, { recursive: true, force: true });
