import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deliveryListSchema, redeliverSchema, sinkListSchema, webhookCreatedSchema, webhookListSchema, webhookSchema, webhookTestSchema } from '../../contract/index.js';
import { deliveriesQuery, sinkDeliveryParams, sinkParams, webhookBody, webhookDeliveryParams, webhookParams } from '../../contract/requests.js';
import { toDeliveryWire, toWebhookWire } from '../../contract/webhook-mappers.js';
import type { Refit } from '../../service/index.js';

/** Webhooks (`/api/v1/webhooks`) and every event sink's deliveries and dead letters (`/api/v1/sinks`). */
export const webhookRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['webhooks'];

  r.post('/api/v1/webhooks', { schema: { tags, summary: 'Register a webhook; the signing secret is in this response only', body: webhookBody, response: { 201: webhookCreatedSchema } } }, async (req, reply) => {
    const { webhook, secret } = await refit.createWebhook(req.body);
    return reply.status(201).header('location', `/api/v1/webhooks/${webhook.id}`).send({ ...toWebhookWire(webhook), secret });
  });

  r.get('/api/v1/webhooks', { schema: { tags, summary: 'Every webhook (without secrets)', response: { 200: webhookListSchema } } }, async () => ({ items: (await refit.listWebhooks()).map(toWebhookWire) }));

  r.get('/api/v1/webhooks/:id', { schema: { tags, summary: 'A webhook (without its secret)', params: webhookParams, response: { 200: webhookSchema } } }, async (req) => toWebhookWire(await refit.getWebhook(req.params.id)));

  r.patch('/api/v1/webhooks/:id', { schema: { tags, summary: "Change a webhook's URL, events, description or enabled flag", params: webhookParams, body: webhookBody, response: { 200: webhookSchema } } }, async (req) =>
    toWebhookWire(await refit.updateWebhook(req.params.id, req.body)),
  );

  r.delete('/api/v1/webhooks/:id', { schema: { tags, summary: 'Remove a webhook and its deliveries', params: webhookParams, response: { 204: z.undefined().describe('Removed: no body') } } }, async (req, reply) => {
    await refit.deleteWebhook(req.params.id);
    return reply.status(204).send();
  });

  r.post('/api/v1/webhooks/:id/test', { schema: { tags, summary: 'Send a signed test event now and report the answer', params: webhookParams, response: { 200: webhookTestSchema } } }, async (req) => {
    const out = await refit.testWebhook(req.params.id);
    return { eventId: out.eventId, ok: out.ok, statusCode: out.statusCode, durationMs: out.durationMs, excerpt: out.excerpt };
  });

  r.get('/api/v1/webhooks/:id/deliveries', { schema: { tags, summary: "A webhook's deliveries with their attempts, newest first", params: webhookParams, querystring: deliveriesQuery, response: { 200: deliveryListSchema } } }, async (req) => {
    const sink = await refit.webhookSinkId(req.params.id);
    return { items: (await refit.listDeliveries(sink, { ...(req.query.status ? { status: req.query.status } : {}), limit: req.query.limit })).map(toDeliveryWire) };
  });

  r.post('/api/v1/webhooks/:id/redeliver', { schema: { tags, summary: "Queue every dead letter of a webhook again", params: webhookParams, response: { 202: redeliverSchema } } }, async (req, reply) => {
    const sink = await refit.webhookSinkId(req.params.id);
    return reply.status(202).send({ queued: await refit.redeliver(sink) });
  });

  r.post('/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver', { schema: { tags, summary: 'Queue one delivery again', params: webhookDeliveryParams, response: { 202: redeliverSchema } } }, async (req, reply) => {
    const sink = await refit.webhookSinkId(req.params.id);
    return reply.status(202).send({ queued: await refit.redeliver(sink, req.params.deliveryId) });
  });

  r.get('/api/v1/sinks', { schema: { tags, summary: 'Every event sink (Redis stream, Slack, webhooks) with its cursor and deliveries per state', response: { 200: sinkListSchema } } }, async () => ({
    items: (await refit.listSinks()).map((s) => ({ id: s.id, kind: s.kind, target: s.target, cursor: s.cursor, deliveredBy: s.lease?.holder ?? null, leaseExpiresAt: s.lease?.expiresAt.toISOString() ?? null, counts: s.counts })),
  }));

  r.get('/api/v1/sinks/:sink/deliveries', { schema: { tags, summary: "A sink's deliveries with their attempts, newest first", params: sinkParams, querystring: deliveriesQuery, response: { 200: deliveryListSchema } } }, async (req) => ({
    items: (await refit.listDeliveries(req.params.sink, { ...(req.query.status ? { status: req.query.status } : {}), limit: req.query.limit })).map(toDeliveryWire),
  }));

  r.post('/api/v1/sinks/:sink/redeliver', { schema: { tags, summary: "Queue every dead letter of a sink again", params: sinkParams, response: { 202: redeliverSchema } } }, async (req, reply) =>
    reply.status(202).send({ queued: await refit.redeliver(req.params.sink) }),
  );

  r.post('/api/v1/sinks/:sink/deliveries/:deliveryId/redeliver', { schema: { tags, summary: 'Queue one delivery again', params: sinkDeliveryParams, response: { 202: redeliverSchema } } }, async (req, reply) =>
    reply.status(202).send({ queued: await refit.redeliver(req.params.sink, req.params.deliveryId) }),
  );
};
