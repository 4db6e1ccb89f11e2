import { z } from 'zod';
import { isoDate, itemsSchema } from './common.js';

/** A webhook as the API shows it (never with its secret, except once at creation). */
export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  /** Event types it receives: exact names, `prefix.*`, or `*`. */
  events: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
/** A webhook as the API shows it. */
export type WebhookWire = z.infer<typeof webhookSchema>;

/** `POST /api/v1/webhooks`: the webhook and its signing secret, shown this once. */
export const webhookCreatedSchema = webhookSchema.extend({ secret: z.string().describe('Signing secret (`whsec_…`), shown only in this response') });
/** A new webhook with its secret. */
export type WebhookCreatedWire = z.infer<typeof webhookCreatedSchema>;

/** `GET /api/v1/webhooks`. */
export const webhookListSchema = itemsSchema(webhookSchema);

/** One attempt to deliver an event. */
export const deliveryAttemptSchema = z.object({
  at: isoDate,
  ok: z.boolean(),
  statusCode: z.number().int().nullable(),
  durationMs: z.number(),
  excerpt: z.string(),
});
/** One attempt. */
export type DeliveryAttemptWire = z.infer<typeof deliveryAttemptSchema>;

/** An event's delivery to one sink with its attempts. */
export const deliverySchema = z.object({
  id: z.number().int(),
  sink: z.string(),
  eventSeq: z.number().int(),
  eventId: z.string(),
  eventType: z.string(),
  modelId: z.string().nullable(),
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number().int(),
  nextAttemptAt: isoDate.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  history: z.array(deliveryAttemptSchema),
});
/** A delivery. */
export type DeliveryWire = z.infer<typeof deliverySchema>;

/** `GET …/deliveries`. */
export const deliveryListSchema = itemsSchema(deliverySchema);

/** A sink (webhook, Redis stream, Slack) with its cursor and deliveries per state. */
export const sinkSchema = z.object({
  id: z.string(),
  kind: z.enum(['webhook', 'redis', 'slack']),
  target: z.string(),
  cursor: z.number().int().nullable(),
  /** The API process delivering it now (`host:pid:id`, the holder of its lease), or null when none does. */
  deliveredBy: z.string().nullable(),
  /** When that lease runs out unless renewed. */
  leaseExpiresAt: isoDate.nullable(),
  counts: z.object({ pending: z.number().int(), delivered: z.number().int(), dead: z.number().int() }),
});
/** A sink. */
export type SinkWire = z.infer<typeof sinkSchema>;

/** `GET /api/v1/sinks`. */
export const sinkListSchema = itemsSchema(sinkSchema);

/** `POST …/test`: what the receiver answered to a test event. */
export const webhookTestSchema = z.object({ eventId: z.string(), ok: z.boolean(), statusCode: z.number().int().nullable(), durationMs: z.number(), excerpt: z.string() });
/** The result of a test event. */
export type WebhookTestWire = z.infer<typeof webhookTestSchema>;

/** `POST …/redeliver`: how many deliveries were queued again. */
export const redeliverSchema = z.object({ queued: z.number().int() });
