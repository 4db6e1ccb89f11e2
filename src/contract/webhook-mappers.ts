import type { Delivery, Webhook } from '../domain/delivery.js';
import type { DeliveryWire, WebhookWire } from './webhook.js';
import { displayUrl } from '../events/delivery/http-sinks.js';

/** A webhook on the wire, without its secret; its URL without user, password, query or fragment (they may hold tokens, and read keys list webhooks). */
export function toWebhookWire(w: Webhook): WebhookWire {
  return { id: w.id, url: displayUrl(w.url), events: [...w.events], description: w.description, enabled: w.enabled, createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString() };
}

/** A delivery on the wire, with its attempts. */
export function toDeliveryWire(d: Delivery): DeliveryWire {
  return {
    id: d.id,
    sink: d.sink,
    eventSeq: d.eventSeq,
    eventId: d.eventId,
    eventType: d.eventType,
    modelId: d.modelId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    history: d.history.map((a) => ({ at: a.at.toISOString(), ok: a.ok, statusCode: a.statusCode, durationMs: a.durationMs, excerpt: a.excerpt })),
  };
}
