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
  /**
   * Within a transaction: wait for, and hold until it ends, the right to append events, so that
   * outbox rows commit in the order of their seq (PostgreSQL hands out a serial at insert, not at
   * commit: without this a reader could pass a seq whose transaction commits later). No-op on
   * SQLite, which has one writer at a time anyway.
   */
  lockAppends(): Promise<void>;
  /** Events with seq greater than `afterSeq`, oldest first. */
  listEvents(afterSeq: number, limit: number): Promise<RefitEvent[]>;
}
