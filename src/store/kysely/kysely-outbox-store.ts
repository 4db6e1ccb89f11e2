import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { EventType, RefitEvent } from '../../domain/entities.js';
import type { OutboxStore } from '../roles/outbox-store.js';
import type { EventsTable } from '../schema.js';
import { type KyselyContext, iso } from './kysely-context.js';

function toEvent(row: Selectable<EventsTable>): RefitEvent {
  return {
    eventId: row.event_id,
    seq: Number(row.seq),
    eventType: row.event_type as EventType,
    eventVersion: 1,
    occurredAt: row.occurred_at,
    runId: row.run_id,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

/** The outbox on Kysely. */
export function kyselyOutboxStore(ctx: KyselyContext): OutboxStore {
  const { db } = ctx;
  return {
    async appendEvent(e) {
      const row = {
        event_id: randomUUID(),
        event_type: e.eventType,
        run_id: e.runId,
        model_id: e.modelId,
        payload: JSON.stringify(e.payload),
        occurred_at: iso(e.occurredAt),
      };
      const inserted = await db.insertInto('events').values(row).returning('seq').executeTakeFirstOrThrow();
      return toEvent({ ...row, seq: inserted.seq });
    },

    async lockAppends() {
      // A transaction-scoped advisory lock (released at commit or rollback); the key is arbitrary but fixed.
      if (ctx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(727001)`.execute(db);
    },

    async listEvents(afterSeq, limit) {
      const rows = await db.selectFrom('events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
      return rows.map(toEvent);
    },
  };
}
