import type { Selectable, Updateable } from 'kysely';
import type { Delivery, DeliveryAttempt, DeliveryStatus, WebhookWithSecret } from '../../domain/delivery.js';
import type { DeliveryStore } from '../roles/delivery-store.js';
import type { DeliveriesTable, DeliveryAttemptsTable, WebhooksTable } from '../schema.js';
import { type KyselyContext, atomic, date, dateOrNull, INSERT_CHUNK, iso } from './kysely-context.js';

function toWebhook(row: Selectable<WebhooksTable>): WebhookWithSecret {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    description: row.description,
    secret: row.secret,
    enabled: Number(row.enabled) === 1,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

function toAttempt(row: Selectable<DeliveryAttemptsTable>): DeliveryAttempt {
  return { at: date(row.at), ok: Number(row.ok) === 1, statusCode: row.status_code === null ? null : Number(row.status_code), durationMs: Number(row.duration_ms), excerpt: row.excerpt };
}

function toDelivery(row: Selectable<DeliveriesTable>, history: DeliveryAttempt[]): Delivery {
  return {
    id: Number(row.id),
    sink: row.sink,
    eventSeq: Number(row.event_seq),
    eventId: row.event_id,
    eventType: row.event_type,
    modelId: row.model_id,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: dateOrNull(row.next_attempt_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    history,
  };
}

/** Event delivery state on Kysely. */
export function kyselyDeliveryStore(ctx: KyselyContext): DeliveryStore {
  const { db } = ctx;

  async function withHistory(rows: Selectable<DeliveriesTable>[]): Promise<Delivery[]> {
    const byId = new Map<number, DeliveryAttempt[]>();
    const ids = rows.map((r) => Number(r.id));
    for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
      const chunk = ids.slice(i, i + INSERT_CHUNK);
      const attempts = await db.selectFrom('delivery_attempts').selectAll().where('delivery_id', 'in', chunk).orderBy('id').execute();
      for (const a of attempts) {
        const list = byId.get(Number(a.delivery_id)) ?? [];
        list.push(toAttempt(a));
        byId.set(Number(a.delivery_id), list);
      }
    }
    return rows.map((r) => toDelivery(r, byId.get(Number(r.id)) ?? []));
  }

  return {
    async createWebhook(w) {
      await db
        .insertInto('webhooks')
        .values({ id: w.id, url: w.url, events: JSON.stringify(w.events), description: w.description, secret: w.secret, enabled: w.enabled ? 1 : 0, created_at: iso(w.createdAt), updated_at: iso(w.updatedAt) })
        .execute();
    },

    async listWebhooks() {
      const rows = await db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toWebhook);
    },

    async getWebhook(id) {
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toWebhook(row) : null;
    },

    async updateWebhook(id, patch) {
      const values: Updateable<WebhooksTable> = { updated_at: iso(patch.updatedAt) };
      if (patch.url !== undefined) values.url = patch.url;
      if (patch.events !== undefined) values.events = JSON.stringify(patch.events);
      if (patch.description !== undefined) values.description = patch.description;
      if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
      const res = await db.updateTable('webhooks').set(values).where('id', '=', id).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return null;
      const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toWebhook(row);
    },

    async deleteWebhook(id) {
      return atomic(ctx, async (t) => {
        const sink = `webhook:${id}`;
        const res = await t.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
        if (Number(res.numDeletedRows) === 0) return false;
        await t.deleteFrom('delivery_attempts').where('delivery_id', 'in', t.selectFrom('deliveries').select('id').where('sink', '=', sink)).execute();
        await t.deleteFrom('deliveries').where('sink', '=', sink).execute();
        await t.deleteFrom('delivery_cursors').where('sink', '=', sink).execute();
        await t.deleteFrom('delivery_leases').where('sink', '=', sink).execute();
        return true;
      });
    },

    async getCursor(sink) {
      const row = await db.selectFrom('delivery_cursors').select('seq').where('sink', '=', sink).executeTakeFirst();
      return row ? Number(row.seq) : null;
    },

    async setCursor(sink, seq) {
      await db
        .insertInto('delivery_cursors')
        .values({ sink, seq })
        .onConflict((oc) => oc.column('sink').doUpdateSet({ seq }).where('delivery_cursors.seq', '<', seq))
        .execute();
    },

    async claimSinkLease(sink, holder, now, until) {
      // Insert, or take over a lease that is ours or has run out; a lease another holder still
      // has is left as it is, and then no row comes back. Times are ISO strings of one length, so
      // they compare as text.
      const expiresAt = iso(until);
      const row = await db
        .insertInto('delivery_leases')
        .values({ sink, holder, expires_at: expiresAt })
        .onConflict((oc) =>
          oc
            .column('sink')
            .doUpdateSet({ holder, expires_at: expiresAt })
            .where((eb) => eb.or([eb('delivery_leases.holder', '=', holder), eb('delivery_leases.expires_at', '<=', iso(now))])),
        )
        .returning('holder')
        .executeTakeFirst();
      return row !== undefined;
    },

    async releaseSinkLeases(holder) {
      await db.deleteFrom('delivery_leases').where('holder', '=', holder).execute();
    },

    async getSinkLease(sink) {
      const row = await db.selectFrom('delivery_leases').select(['holder', 'expires_at']).where('sink', '=', sink).executeTakeFirst();
      return row ? { holder: row.holder, expiresAt: date(row.expires_at) } : null;
    },

    async lastEventSeq() {
      const row = await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
      return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
    },

    async pendingDeliveries(sink) {
      const rows = await db.selectFrom('deliveries').selectAll().where('sink', '=', sink).where('status', '=', 'pending').orderBy('event_seq').execute();
      return withHistory(rows);
    },

    async recordAttempt(r, at) {
      return atomic(ctx, async (t) => {
        const existing = await t.selectFrom('deliveries').select('id').where('sink', '=', r.sink).where('event_seq', '=', r.event.seq).executeTakeFirst();
        const state = { status: r.status, attempts: r.attempts, next_attempt_at: r.nextAttemptAt ? iso(r.nextAttemptAt) : null, updated_at: iso(at) };
        let id: number;
        if (existing) {
          id = Number(existing.id);
          await t.updateTable('deliveries').set(state).where('id', '=', id).execute();
        } else {
          const modelId = typeof r.event.payload.modelId === 'string' ? r.event.payload.modelId : null;
          const inserted = await t
            .insertInto('deliveries')
            .values({ sink: r.sink, event_seq: r.event.seq, event_id: r.event.eventId, event_type: r.event.eventType, model_id: modelId, created_at: iso(at), ...state })
            .returning('id')
            .executeTakeFirstOrThrow();
          id = Number(inserted.id);
        }
        const a = r.attempt;
        await t
          .insertInto('delivery_attempts')
          .values({ delivery_id: id, at: iso(a.at), ok: a.ok ? 1 : 0, status_code: a.statusCode, duration_ms: Math.round(a.durationMs), excerpt: a.excerpt })
          .execute();
        return id;
      });
    },

    async listDeliveries(sink, options) {
      let q = db.selectFrom('deliveries').selectAll().where('sink', '=', sink);
      if (options.status) q = q.where('status', '=', options.status);
      const rows = await q.orderBy('event_seq', 'desc').limit(options.limit).execute();
      return withHistory(rows);
    },

    async getDelivery(id) {
      const row = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? (await withHistory([row]))[0] : null;
    },

    async requeueDeliveries(sink, which, at) {
      if (which !== 'dead' && which.length === 0) return 0;
      let q = db.updateTable('deliveries').set({ status: 'pending', attempts: 0, next_attempt_at: iso(at), updated_at: iso(at) }).where('sink', '=', sink);
      q = which === 'dead' ? q.where('status', '=', 'dead') : q.where('id', 'in', [...which]).where('status', '!=', 'pending');
      const res = await q.executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async deliveryCounts(sink) {
      const rows = await db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll().as('n')]).where('sink', '=', sink).groupBy('status').execute();
      const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
      for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
      return out;
    },
  };
}
