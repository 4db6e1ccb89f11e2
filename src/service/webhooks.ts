import { randomUUID } from 'node:crypto';
import { zodProblems } from '../config/model-spec.js';
import { webhookInputSchema, webhookPatchSchema } from '../contract/requests.js';
import type { Delivery, DeliveryStatus, Webhook, WebhookWithSecret } from '../domain/delivery.js';
import { RefitError } from '../errors.js';
import type { SinkView } from '../events/delivery/delivery-worker.js';
import { newWebhookSecret, sendToWebhook } from '../events/delivery/http-sinks.js';
import type { SinkOutcome } from '../events/delivery/sink.js';
import type { RefitParts } from './parts.js';

function withoutSecret(w: WebhookWithSecret): Webhook {
  const { secret: _secret, ...rest } = w;
  return rest;
}

async function requireWebhook(p: RefitParts, id: string): Promise<WebhookWithSecret> {
  const w = await p.store.getWebhook(id);
  if (!w) throw new RefitError('WEBHOOK_NOT_FOUND', `No webhook '${id}'.`);
  return w;
}

/** Register a webhook: `{url, events, description?, enabled?}`; returns it with its secret, which is shown this once. */
export async function createWebhook(p: RefitParts, input: unknown): Promise<{ webhook: Webhook; secret: string }> {
  const r = webhookInputSchema.safeParse(input ?? {});
  if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The webhook is invalid.', { errors: zodProblems(r.error) });
  const now = p.clock.now();
  const w: WebhookWithSecret = { id: randomUUID(), url: r.data.url, events: r.data.events, description: r.data.description ?? null, enabled: r.data.enabled ?? true, secret: newWebhookSecret(), createdAt: now, updatedAt: now };
  // It receives the events committed from its creation on: the cursor starts at the outbox's end.
  await p.store.transaction(async (tx) => {
    await tx.createWebhook(w);
    await tx.setCursor(`webhook:${w.id}`, await tx.lastEventSeq());
  });
  p.delivery.kick();
  return { webhook: withoutSecret(w), secret: w.secret };
}

/** Every webhook, without secrets. */
export async function listWebhooks(p: RefitParts): Promise<Webhook[]> {
  return (await p.store.listWebhooks()).map(withoutSecret);
}

/** A webhook without its secret, or WEBHOOK_NOT_FOUND. */
export async function getWebhook(p: RefitParts, id: string): Promise<Webhook> {
  return withoutSecret(await requireWebhook(p, id));
}

/** Change a webhook's URL, events, description or enabled flag; refused whole with every problem named. */
export async function updateWebhook(p: RefitParts, id: string, input: unknown): Promise<Webhook> {
  const r = webhookPatchSchema.safeParse(input ?? {});
  if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The webhook change is invalid.', { errors: zodProblems(r.error) });
  const updated = await p.store.updateWebhook(id, { ...r.data, updatedAt: p.clock.now() });
  if (!updated) throw new RefitError('WEBHOOK_NOT_FOUND', `No webhook '${id}'.`);
  p.delivery.kick();
  return withoutSecret(updated);
}

/** Remove a webhook with its deliveries. */
export async function deleteWebhook(p: RefitParts, id: string): Promise<void> {
  if (!(await p.store.deleteWebhook(id))) throw new RefitError('WEBHOOK_NOT_FOUND', `No webhook '${id}'.`);
  p.delivery.kick();
}

/** Send a signed `webhook.test` event now (not through the outbox) and report what the receiver answered. */
export async function testWebhook(p: RefitParts, id: string): Promise<SinkOutcome & { eventId: string; durationMs: number }> {
  const w = await requireWebhook(p, id);
  const at = p.clock.now();
  const eventId = `test_${randomUUID()}`;
  const event = { eventId, seq: 0, eventType: 'webhook.test', eventVersion: 1, occurredAt: at.toISOString(), runId: null, payload: { webhookId: w.id, message: 'A test event from Refit.' } } as const;
  const ctrl = new AbortController();
  const timeoutMs = p.delivery.options.timeoutMs;
  const cancel = p.clock.setTimeout(() => ctrl.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  const started = performance.now();
  try {
    // The test type is not one of the stored event types; the envelope is the same.
    const out = await sendToWebhook(w, event as unknown as Parameters<typeof sendToWebhook>[1], ctrl.signal, at);
    return { eventId, ...out, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const reason = ctrl.signal.aborted ? ctrl.signal.reason : err;
    return { eventId, ok: false, statusCode: null, excerpt: reason instanceof Error ? reason.message : String(reason), durationMs: Math.round(performance.now() - started) };
  } finally {
    cancel();
  }
}

async function requireSink(p: RefitParts, sink: string): Promise<void> {
  if (!(await p.delivery.sink(sink))) throw new RefitError('SINK_NOT_FOUND', `No event sink '${sink}'.`);
}

/** Every sink (Redis stream, Slack, webhooks) with its cursor and deliveries per state. */
export function listSinks(p: RefitParts): Promise<SinkView[]> {
  return p.delivery.describe();
}

/** A sink's deliveries, newest event first, with their attempts. */
export async function listDeliveries(p: RefitParts, sink: string, options: { status?: DeliveryStatus; limit: number }): Promise<Delivery[]> {
  await requireSink(p, sink);
  return p.store.listDeliveries(sink, options);
}

/** Queue one delivery (by id) or every dead letter of a sink again; returns how many were queued. */
export async function redeliver(p: RefitParts, sink: string, deliveryId?: number): Promise<number> {
  await requireSink(p, sink);
  if (deliveryId === undefined) return p.delivery.redeliver(sink, 'dead');
  const d = await p.store.getDelivery(deliveryId);
  if (!d || d.sink !== sink) throw new RefitError('DELIVERY_NOT_FOUND', `No delivery ${deliveryId} of sink '${sink}'.`);
  return p.delivery.redeliver(sink, [deliveryId]);
}

/** The sink id of a webhook, after checking it exists. */
export async function webhookSinkId(p: RefitParts, id: string): Promise<string> {
  await requireWebhook(p, id);
  return `webhook:${id}`;
}
