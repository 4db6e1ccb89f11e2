import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { eventStreamSchema } from '../../contract/index.js';
import { eventsQuery } from '../../contract/requests.js';
import type { RefitEvent } from '../../domain/entities.js';
import type { Refit } from '../../service/index.js';

/** How often a following stream re-reads the outbox even without a notification (other processes write too). */
const POLL_MS = 1000;
/** Comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

function frame(e: RefitEvent): string {
  const { seq, ...envelope } = e;
  return `id: ${seq}\nevent: ${e.eventType}\ndata: ${JSON.stringify(envelope)}\n\n`;
}

/**
 * `GET /api/v1/events`: the outbox as server-sent events. Resumes after `Last-Event-ID` (or
 * `?after=`); `?follow=false` sends what is there and closes.
 */
export const eventRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Server-sent events from the outbox',
        querystring: eventsQuery,
        // Not JSON: a text/event-stream (each frame `id`, `event` and a JSON `data` envelope), so no serializer; described for the document only.
        response: { 200: { description: 'Server-sent events', content: { 'text/event-stream': { schema: eventStreamSchema } } } },
      },
    },
    async (req, reply) => {
      const header = Number(req.headers['last-event-id']);
      let after = req.query.after ?? (Number.isInteger(header) && header >= 0 ? header : 0);
      const modelId = req.query.modelId;
      const keep = (e: RefitEvent) => modelId === undefined || e.payload.modelId === modelId;

      if (req.query.follow === 'false') {
        const chunks: string[] = [];
        for (;;) {
          const batch = await refit.events(after, 500);
          for (const e of batch) if (keep(e)) chunks.push(frame(e));
          if (batch.length < 500) break;
          after = batch[batch.length - 1].seq;
        }
        return reply.type('text/event-stream').header('cache-control', 'no-cache').send(chunks.join(''));
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': connected\n\n');
      let closed = false;
      let draining: Promise<void> | null = null;
      let again = false;
      const drain = (): void => {
        if (closed) return;
        if (draining) {
          again = true;
          return;
        }
        draining = (async () => {
          do {
            again = false;
            for (;;) {
              const batch = await refit.events(after, 500);
              for (const e of batch) if (keep(e) && !closed) res.write(frame(e));
              if (batch.length > 0) after = batch[batch.length - 1].seq;
              if (batch.length < 500) break;
            }
          } while (again && !closed);
        })()
          .catch((err: unknown) => req.log.warn({ err }, 'event stream read failed'))
          .finally(() => {
            draining = null;
          });
      };
      const off = refit.subscribeOutbox(drain);
      // Progress is live-only (not kept in the outbox): frames without an id, never replayed.
      const offProgress = refit.onEvent('retrain:progress', (p) => {
        if (closed || (modelId !== undefined && p.modelId !== modelId)) return;
        // The envelope of stored events (so one parser reads both); the id is fresh, as a progress frame is never stored.
        const envelope = { eventId: randomUUID(), eventType: 'model.retrain.progress', eventVersion: 1, occurredAt: p.at.toISOString(), runId: p.jobId, payload: { modelId: p.modelId, stage: p.stage, progress: p.progress } };
        res.write(`event: model.retrain.progress\ndata: ${JSON.stringify(envelope)}\n\n`);
      });
      const poll = setInterval(drain, POLL_MS);
      const beat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      req.raw.on('close', () => {
        closed = true;
        off();
        offProgress();
        clearInterval(poll);
        clearInterval(beat);
      });
      drain();
    },
  );
};
