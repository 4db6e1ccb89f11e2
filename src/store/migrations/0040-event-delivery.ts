import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './index.js';

/**
 * Delivery of outbox events to sinks: webhooks registered through the API, one cursor per sink
 * (the last outbox seq it has finished with), a row per event delivered (or being retried, or
 * dead-lettered) and a row per attempt.
 */
export function eventDeliveryMigration(dialect: Dialect): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('delivery_cursors')
        .addColumn('sink', 'text', (c) => c.primaryKey())
        .addColumn('seq', bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('deliveries')
        .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('sink', 'text', (c) => c.notNull())
        .addColumn('event_seq', bigint, (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('model_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('deliveries_sink_event_uq', ['sink', 'event_seq'])
        .execute();
      await db.schema.createIndex('deliveries_sink_status_idx').on('deliveries').columns(['sink', 'status', 'event_seq']).execute();
      await db.schema
        .createTable('delivery_attempts')
        .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('delivery_id', bigint, (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('excerpt', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('delivery_attempts_delivery_idx').on('delivery_attempts').columns(['delivery_id', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['delivery_attempts', 'deliveries', 'delivery_cursors', 'webhooks']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
