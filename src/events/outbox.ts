import type { EventType, Metrics, RefitEvent } from '../domain/entities.js';
import type { OutboxStore } from '../store/roles/outbox-store.js';
import type { Store } from '../store/store.js';
import type { EventHub } from './hub.js';

/**
 * The one way an event enters the outbox: `appendEvent` builds the envelope inside the caller's
 * transaction (so the event commits with the change it reports, or not at all), and
 * `commitWithEvents` runs that transaction and, once it has committed, announces the new outbox
 * rows once (the live stream and, later, the sinks read them from the store).
 */

/** What every event's payload carries besides its model: the versions before and after and the metrics, plus what the event adds. */
export interface EventBody {
  readonly previousVersion: string | null;
  readonly newVersion: string | null;
  readonly metrics: Metrics | null;
  readonly [extra: string]: unknown;
}

/** An event as its producer describes it. */
export interface OutboxEvent {
  readonly type: EventType;
  /** The model it is about; null only when the model is unknown (e.g. a job whose model is gone). */
  readonly modelId: string | null;
  /** The retrain job it belongs to. Default null. */
  readonly runId?: string | null;
  readonly at: Date;
  readonly body: EventBody;
}

/** Append one event to the outbox within the caller's transaction; the envelope's payload always starts with `modelId`. */
export function appendEvent(tx: OutboxStore, e: OutboxEvent): Promise<RefitEvent> {
  return tx.appendEvent({ eventType: e.type, runId: e.runId ?? null, modelId: e.modelId, occurredAt: e.at, payload: { modelId: e.modelId, ...e.body } });
}

/**
 * Run `change` in one transaction of `store`; after it commits, announce `outbox:appended` once.
 * A change that throws rolls back and announces nothing.
 */
export async function commitWithEvents<T>(store: Store, hub: EventHub, change: (tx: Store) => Promise<T>): Promise<T> {
  const out = await store.transaction(async (tx) => {
    // First, before any row lock: event-writing transactions commit one after another, in seq
    // order, so a delivery cursor never passes an event that commits later.
    await tx.lockAppends();
    return change(tx);
  });
  hub.emit('outbox:appended', {});
  return out;
}
