import type { Kysely, Selectable } from 'kysely';
import type { Rollout, TimelineEntry } from '../../domain/entities.js';
import type { NewTimelineEntry, RolloutStore } from '../roles/rollout-store.js';
import type { Database, RolloutsTable, TimelineTable } from '../schema.js';
import { type KyselyContext, date, dateOrNull, iso } from './kysely-context.js';

function toRollout(row: Selectable<RolloutsTable>): Rollout {
  return {
    id: Number(row.id),
    modelId: row.model_id,
    kind: row.kind as Rollout['kind'],
    mode: row.mode as Rollout['mode'],
    version: row.version,
    baseVersion: row.base_version,
    share: row.share === null ? null : Number(row.share),
    status: row.status as Rollout['status'],
    startedAt: date(row.started_at),
    endsAt: date(row.ends_at),
    finishedAt: dateOrNull(row.finished_at),
    reason: row.reason,
    numbers: row.numbers === null ? null : (JSON.parse(row.numbers) as Record<string, unknown>),
    labelsAfterId: row.labels_after_id === null ? 0 : Number(row.labels_after_id),
  };
}

function toTimeline(row: Selectable<TimelineTable>): TimelineEntry {
  return {
    id: Number(row.id),
    modelId: row.model_id,
    at: date(row.at),
    action: row.action,
    version: row.version,
    fromVersion: row.from_version,
    actor: row.actor,
    reason: row.reason,
    numbers: row.numbers === null ? null : (JSON.parse(row.numbers) as Record<string, unknown>),
  };
}

/** Append a timeline row on a connection (the registry's activation writes one in its transaction). */
export async function insertTimeline(db: Kysely<Database>, e: NewTimelineEntry): Promise<TimelineEntry> {
  const row = {
    model_id: e.modelId,
    at: iso(e.at),
    action: e.action,
    version: e.version,
    from_version: e.fromVersion,
    actor: e.actor,
    reason: e.reason,
    numbers: e.numbers === null ? null : JSON.stringify(e.numbers),
  };
  const inserted = await db.insertInto('timeline').values(row).returning('id').executeTakeFirstOrThrow();
  return toTimeline({ ...row, id: inserted.id });
}

/** Rollouts, timeline and intents on Kysely. */
export function kyselyRolloutStore(ctx: KyselyContext): RolloutStore {
  const { db } = ctx;
  return {
    async createRollout(r) {
      const row = {
        model_id: r.modelId,
        kind: r.kind,
        mode: r.mode,
        version: r.version,
        base_version: r.baseVersion,
        share: r.share,
        status: 'running',
        started_at: iso(r.startedAt),
        ends_at: iso(r.endsAt),
        finished_at: null,
        reason: null,
        numbers: null,
      };
      // The watermark is read in the same statement (the (model_id, id) index: one probe).
      const inserted = await db
        .insertInto('rollouts')
        .values({ ...row, labels_after_id: (eb) => eb.selectFrom('labels').select((l) => l.fn.coalesce(l.fn.max('id'), l.lit(0)).as('m')).where('model_id', '=', r.modelId) })
        .returning(['id', 'labels_after_id'])
        .executeTakeFirstOrThrow();
      return toRollout({ ...row, id: inserted.id, labels_after_id: inserted.labels_after_id });
    },

    async runningRollouts(modelId) {
      const rows = await db.selectFrom('rollouts').selectAll().where('model_id', '=', modelId).where('status', '=', 'running').execute();
      const all = rows.map(toRollout);
      return { challenger: all.find((r) => r.kind === 'challenger') ?? null, watch: all.find((r) => r.kind === 'watch') ?? null };
    },

    async listRunningRollouts() {
      const rows = await db.selectFrom('rollouts').selectAll().where('status', '=', 'running').orderBy('id').execute();
      return rows.map(toRollout);
    },

    async finishRollout(id, patch) {
      const res = await db
        .updateTable('rollouts')
        .set({ status: patch.status, reason: patch.reason, numbers: patch.numbers === null ? null : JSON.stringify(patch.numbers), finished_at: iso(patch.at) })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async listRollouts(modelId, limit) {
      const rows = await db.selectFrom('rollouts').selectAll().where('model_id', '=', modelId).orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRollout);
    },

    appendTimeline(e) {
      return insertTimeline(db, e);
    },

    async listTimeline(modelId, page) {
      const rows = await db.selectFrom('timeline').selectAll().where('model_id', '=', modelId).orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
      const total = await db
        .selectFrom('timeline')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('model_id', '=', modelId)
        .executeTakeFirstOrThrow();
      return { items: rows.map(toTimeline), total: Number(total.n) };
    },

    async beginIntent(i) {
      const inserted = await db
        .insertInto('rollout_intents')
        .values({ model_id: i.modelId, action: i.action, version: i.version, from_version: i.fromVersion, actor: i.actor, reason: i.reason, started_at: iso(i.startedAt), owner: i.owner })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(inserted.id);
    },

    async clearIntent(id) {
      await db.deleteFrom('rollout_intents').where('id', '=', id).execute();
    },

    async listIntents() {
      const rows = await db.selectFrom('rollout_intents').selectAll().orderBy('id').execute();
      return rows.map((r) => ({
        id: Number(r.id),
        modelId: r.model_id,
        action: r.action,
        version: r.version,
        fromVersion: r.from_version,
        actor: r.actor,
        reason: r.reason,
        startedAt: date(r.started_at),
        owner: r.owner,
      }));
    },
  };
}
