/**
 * Delivery of outbox events to sinks (webhooks, a Redis stream, a Slack-style channel): the
 * webhook registrations and the record of every delivery and attempt.
 */

/** A webhook registered through the API; its secret is shown once, at creation. */
export interface Webhook {
  readonly id: string;
  /** http(s) URL the events are POSTed to. */
  readonly url: string;
  /** Event types it receives: exact names, `prefix.*`, or `*` for every event. */
  readonly events: readonly string[];
  readonly description: string | null;
  /** A disabled webhook keeps its cursor and receives nothing until enabled again. */
  readonly enabled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A webhook with its signing secret (`whsec_<base64>`), as the store keeps it. */
export interface WebhookWithSecret extends Webhook {
  readonly secret: string;
}

/** `pending`: being tried (or waiting for its next attempt); `delivered`; `dead`: attempts exhausted, kept for redelivery. */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** One attempt to hand an event to a sink. */
export interface DeliveryAttempt {
  readonly at: Date;
  readonly ok: boolean;
  /** The HTTP status when the sink answered over HTTP; null otherwise (Redis, a timeout, a refused connection). */
  readonly statusCode: number | null;
  readonly durationMs: number;
  /** The start of the response body, or the error. */
  readonly excerpt: string;
}

/** An event's delivery to one sink, with its attempts (oldest first). */
export interface Delivery {
  readonly id: number;
  /** `webhook:<id>`, `redis` or `slack`. */
  readonly sink: string;
  readonly eventSeq: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly modelId: string | null;
  readonly status: DeliveryStatus;
  /** Attempts since it was (re)queued. */
  readonly attempts: number;
  /** When the next attempt is due; null once delivered or dead. */
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly history: readonly DeliveryAttempt[];
}

/** True when `type` matches one of `patterns` (exact, `prefix.*`, or `*`). */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}
