import type { EventType, RefitEvent } from '../../domain/entities.js';

/** An event to append to the outbox. */
export interface NewEvent {
  readonly eventType: EventType;
  readonly runId: string | null;
  readonly modelId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly occurredAt: Date;
}

/**
 * The transactional outbox: an event appended in the transaction of the change it reports commits
 * with it; readers page through events by their sequence number.
 */
export interface OutboxStore {
  /** Append an event; returns it with its id and sequence number. */
  appendEvent(e: NewEvent): Promise<RefitEvent>;
  /** Events with seq greater than `afterSeq`, oldest first. */
  listEvents(afterSeq: number, limit: number): Promise<RefitEvent[]>;
}
