import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookWithSecret } from '../../domain/delivery.js';
import { matchesEventType } from '../../domain/delivery.js';
import type { RefitEvent } from '../../domain/entities.js';
import { type Sink, type SinkOutcome, envelopeOf, excerpt } from './sink.js';
import { slackMessage } from './slack-message.js';

/** A new webhook secret as the Standard Webhooks specification writes it: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The `webhook-signature` header of the Standard Webhooks specification: `v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body`, keyed with the secret's bytes (after `whsec_`).
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** A URL as shown only by its host: for URLs whose path is the secret (a Slack incoming webhook's). */
export function hostOnlyUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** A URL as shown to people: without user, password, query or fragment (they may hold tokens). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<SinkOutcome> {
  // No redirects: a signed event goes to the URL registered, nowhere else.
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'refit', ...headers }, body, signal, redirect: 'manual' });
  const text = await res.text();
  return { ok: res.status >= 200 && res.status < 300, statusCode: res.status, excerpt: excerpt(text) };
}

/** POST one event to a webhook, signed (Standard Webhooks); `webhook-id` is the event id, the same on every retry. */
export function sendToWebhook(w: Pick<WebhookWithSecret, 'url' | 'secret'>, e: RefitEvent, signal: AbortSignal, at: Date): Promise<SinkOutcome> {
  const body = JSON.stringify(envelopeOf(e));
  const ts = Math.floor(at.getTime() / 1000);
  return post(w.url, body, { 'webhook-id': e.eventId, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(w.secret, e.eventId, ts, body) }, signal);
}

/** The sink of a registered webhook. */
export function webhookSink(w: WebhookWithSecret): Sink {
  return {
    id: `webhook:${w.id}`,
    kind: 'webhook',
    target: displayUrl(w.url),
    accepts: (e) => matchesEventType(w.events, e.eventType),
    deliver: (e, signal, at) => sendToWebhook(w, e, signal, at),
  };
}

/** Options of the Slack-compatible sink. */
export interface SlackSinkOptions {
  /** The incoming-webhook URL. */
  readonly url: string;
  /** Event types to post about (patterns as for webhooks). */
  readonly events: readonly string[];
  /** Base URL of the dashboard for links; default none (no link). */
  readonly publicUrl?: string | null;
}

/** A Slack-compatible incoming webhook: a short message for the events that need a person. */
export function slackSink(options: SlackSinkOptions): Sink {
  const publicUrl = options.publicUrl ?? null;
  return {
    id: 'slack',
    kind: 'slack',
    // A Slack incoming webhook's path is its credential: show the host only (read keys list sinks).
    target: hostOnlyUrl(options.url),
    // Events with nothing to tell a person (a retrain that promoted, when promotions are not asked for) are passed over.
    accepts: (e) => matchesEventType(options.events, e.eventType) && slackMessage(e, publicUrl) !== null,
    deliver: (e, signal) => post(options.url, JSON.stringify({ text: slackMessage(e, publicUrl) ?? e.eventType }), {}, signal),
  };
}
