import { Redis } from 'ioredis';
import { matchesEventType } from '../../domain/delivery.js';
import type { Sink } from './sink.js';
import { displayUrl } from './http-sinks.js';

/** Options of the Redis stream sink. */
export interface RedisSinkOptions {
  /** `redis://…` URL. */
  readonly url: string;
  /** Stream key. Default `ml:run-events`. */
  readonly stream?: string;
  /** Approximate length the stream is trimmed to (`XADD … MAXLEN ~ n`). Default 10000. */
  readonly maxLen?: number;
  /** Event types added (patterns as for webhooks). Default every event. */
  readonly events?: readonly string[];
  /** Connect and command timeout in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
}

/**
 * Adds each event to a Redis stream with `XADD`, the envelope's six fields as the message
 * (`eventId`, `eventType`, `eventVersion`, `occurredAt`, `runId` (empty when none), `payload` as
 * JSON). The connection is opened on first use and, after it fails, again on the next attempt: no
 * reconnect loop and no offline queue, so an attempt while Redis is down fails at once and the
 * delivery worker's backoff decides when to try again.
 */
export function redisSink(options: RedisSinkOptions): Sink {
  const stream = options.stream ?? 'ml:run-events';
  const maxLen = options.maxLen ?? 10_000;
  const events = options.events ?? ['*'];
  const timeoutMs = options.timeoutMs ?? 5000;
  let client: Redis | null = null;

  async function connected(): Promise<Redis> {
    if (client && client.status === 'ready') return client;
    client?.disconnect();
    const c = new Redis(options.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, commandTimeout: timeoutMs });
    // Errors reach the attempt that runs into them; without a listener ioredis would print them.
    c.on('error', () => {});
    client = c;
    await c.connect();
    return c;
  }

  return {
    id: 'redis',
    kind: 'redis',
    target: `${displayUrl(options.url)} ${stream}`,
    accepts: (e) => matchesEventType(events, e.eventType),
    async deliver(e, signal) {
      const c = await connected();
      if (signal.aborted) throw signal.reason;
      const id = await c.xadd(stream, 'MAXLEN', '~', String(maxLen), '*', 'eventId', e.eventId, 'eventType', e.eventType, 'eventVersion', String(e.eventVersion), 'occurredAt', e.occurredAt, 'runId', e.runId ?? '', 'payload', JSON.stringify(e.payload));
      return { ok: true, statusCode: null, excerpt: `XADD ${stream} ${id ?? ''}`.trim() };
    },
    async close() {
      client?.disconnect();
      client = null;
    },
  };
}
