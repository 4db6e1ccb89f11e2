import type { Delivery, DeliveryAttempt, DeliveryStatus, WebhookWithSecret } from '../../domain/delivery.js';
import type { RefitEvent } from '../../domain/entities.js';

/** What may change on a webhook. */
export interface WebhookPatch {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly description?: string | null;
  readonly enabled?: boolean;
  readonly updatedAt: Date;
}

/** One attempt's outcome and what it means for the delivery. */
export interface AttemptRecord {
  readonly sink: string;
  readonly event: RefitEvent;
  readonly attempt: DeliveryAttempt;
  /** The delivery's state after this attempt. */
  readonly status: DeliveryStatus;
  /** Attempts since it was (re)queued, this one included. */
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
}

/**
 * Where event delivery keeps its state: webhooks, a cursor per sink (the last outbox seq it has
 * finished with, delivered or dead-lettered), a lease per sink (which process delivers it), and
 * each delivery with its attempts.
 */
export interface DeliveryStore {
  /** Register a webhook. */
  createWebhook(w: WebhookWithSecret): Promise<void>;
  /** Every webhook, oldest first. */
  listWebhooks(): Promise<WebhookWithSecret[]>;
  /** A webhook, or null. */
  getWebhook(id: string): Promise<WebhookWithSecret | null>;
  /** Change a webhook; null when there is none. */
  updateWebhook(id: string, patch: WebhookPatch): Promise<WebhookWithSecret | null>;
  /** Remove a webhook with its cursor and deliveries; false when there was none. */
  deleteWebhook(id: string): Promise<boolean>;
  /** The sink's cursor, or null before its first use. */
  getCursor(sink: string): Promise<number | null>;
  /** Move the sink's cursor (never backwards). */
  setCursor(sink: string, seq: number): Promise<void>;
  /**
   * Claim the sink for `holder` until `until`, or renew its claim: true when the sink had no
   * holder, its holder's claim had run out at `now`, or `holder` already held it; false (nothing
   * changed) while another holder's claim runs. One statement, so two claimants never both win.
   */
  claimSinkLease(sink: string, holder: string, now: Date, until: Date): Promise<boolean>;
  /** Let go of every sink `holder` holds (a delivery worker stopping), so that others take them over at once. */
  releaseSinkLeases(holder: string): Promise<void>;
  /** The sink's lease as stored (it may have run out), or null when no worker has claimed it. */
  getSinkLease(sink: string): Promise<{ readonly holder: string; readonly expiresAt: Date } | null>;
  /** The highest outbox seq so far (0 when empty). */
  lastEventSeq(): Promise<number>;
  /** The sink's pending deliveries, oldest event first. */
  pendingDeliveries(sink: string): Promise<Delivery[]>;
  /** Record an attempt: creates or updates the event's delivery row and appends the attempt; returns the delivery's id. */
  recordAttempt(r: AttemptRecord, at: Date): Promise<number>;
  /** The sink's deliveries, newest event first, with their attempts; `status` filters. */
  listDeliveries(sink: string, options: { status?: DeliveryStatus; limit: number }): Promise<Delivery[]>;
  /** One delivery with its attempts, or null. */
  getDelivery(id: number): Promise<Delivery | null>;
  /** Queue deliveries again (attempts start over, due at `at`): the given ids, or every dead one of the sink. Returns those queued. */
  requeueDeliveries(sink: string, which: readonly number[] | 'dead', at: Date): Promise<number>;
  /** How many of the sink's deliveries are in each state. */
  deliveryCounts(sink: string): Promise<Record<DeliveryStatus, number>>;
}
