import type { RefitEvent } from '../../domain/entities.js';

/** What a sink answered to one attempt. */
export interface SinkOutcome {
  readonly ok: boolean;
  /** The HTTP status, for sinks that speak HTTP; null otherwise. */
  readonly statusCode: number | null;
  /** The start of the answer, or what went wrong. */
  readonly excerpt: string;
}

/** Somewhere events go: a webhook, the Redis stream, a Slack-style channel. */
export interface Sink {
  /** Stable id, the key of its cursor and deliveries: `webhook:<id>`, `redis`, `slack`. */
  readonly id: string;
  readonly kind: 'webhook' | 'redis' | 'slack';
  /** Where it delivers, for people (a URL without credentials, or a stream name). */
  readonly target: string;
  /** Whether this event is for this sink; events it does not take are passed over. */
  accepts(e: RefitEvent): boolean;
  /** One attempt; `signal` aborts it when the attempt's time is up. May throw (counted as a failed attempt). */
  deliver(e: RefitEvent, signal: AbortSignal, at: Date): Promise<SinkOutcome>;
  /** Release connections. Default: nothing to release. */
  close?(): Promise<void>;
}

/** The envelope every sink sends: the stored event without its outbox position. */
export function envelopeOf(e: RefitEvent): { eventId: string; eventType: string; eventVersion: 1; occurredAt: string; runId: string | null; payload: Readonly<Record<string, unknown>> } {
  return { eventId: e.eventId, eventType: e.eventType, eventVersion: e.eventVersion, occurredAt: e.occurredAt, runId: e.runId, payload: e.payload };
}

/** At most `n` characters of `text`, for attempt records. */
export function excerpt(text: string, n = 500): string {
  return text.length > n ? `${text.slice(0, n)}…` : text;
}

/** An error's message, for attempt records (the cause of a failed fetch says more than "fetch failed"). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? `${err.message}: ${cause.message}` : err.message;
}
