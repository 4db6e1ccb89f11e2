import type { Kysely, Migration } from 'kysely';

/**
 * A lease per sink, so that with several processes on one database one of them delivers each
 * sink at a time: the holder (a process's delivery worker) and when its claim runs out unless it
 * renews it. Without it, processes raced on a sink's cursor (an event sent twice, an attempt
 * record lost).
 */
export function deliveryLeasesMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('delivery_leases')
        .addColumn('sink', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('delivery_leases').ifExists().execute();
    },
  };
}
