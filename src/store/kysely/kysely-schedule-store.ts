import type { ModelSchedule, ScheduleConfig, ScheduleState, TriggerCheck } from '../../domain/entities.js';
import type { ScheduleStore } from '../roles/schedule-store.js';
import { INSERT_CHUNK, type KyselyContext, atomic, date, dateOrNull, iso } from './kysely-context.js';

/** Schedules, their state and trigger checks on Kysely. */
export function kyselyScheduleStore(ctx: KyselyContext): ScheduleStore {
  const { db } = ctx;
  const toSchedule = (r: { id: string; model_id: string; config: string; created_at: string }): ModelSchedule => ({
    id: r.id,
    modelId: r.model_id,
    config: JSON.parse(r.config) as ScheduleConfig,
    createdAt: date(r.created_at),
  });
  return {
    async createSchedule(sc) {
      await db.insertInto('schedules').values({ id: sc.id, model_id: sc.modelId, config: JSON.stringify(sc.config), created_at: iso(sc.createdAt) }).execute();
    },

    async listSchedules(modelId) {
      let q = db.selectFrom('schedules').selectAll();
      if (modelId !== undefined) q = q.where('model_id', '=', modelId);
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toSchedule);
    },

    async getSchedule(id) {
      const r = await db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toSchedule(r) : null;
    },

    deleteSchedule(id) {
      return atomic(ctx, async (tx) => {
        const res = await tx.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
        await tx.deleteFrom('schedule_state').where('schedule_id', '=', id).execute();
        return Number(res.numDeletedRows) > 0;
      });
    },

    async getScheduleStates(ids) {
      const out = new Map<string, ScheduleState>();
      for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
        const rows = await db.selectFrom('schedule_state').selectAll().where('schedule_id', 'in', ids.slice(i, i + INSERT_CHUNK)).execute();
        for (const r of rows) out.set(r.schedule_id, { scheduleId: r.schedule_id, lastOccurrenceAt: dateOrNull(r.last_occurrence_at), lastJobId: r.last_job_id, lastRunAt: dateOrNull(r.last_run_at) });
      }
      return out;
    },

    async claimOccurrence(scheduleId, occurrence) {
      const at = iso(occurrence);
      const updated = await db
        .updateTable('schedule_state')
        .set({ last_occurrence_at: at })
        .where('schedule_id', '=', scheduleId)
        .where((eb) => eb.or([eb('last_occurrence_at', 'is', null), eb('last_occurrence_at', '<', at)]))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return true;
      const inserted = await db
        .insertInto('schedule_state')
        .values({ schedule_id: scheduleId, last_occurrence_at: at, last_job_id: null, last_run_at: null })
        .onConflict((oc) => oc.column('schedule_id').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async setScheduleJob(scheduleId, jobId) {
      // The occurrence just claimed is the one that ran.
      await db
        .updateTable('schedule_state')
        .set((eb) => ({ last_job_id: jobId, last_run_at: eb.ref('last_occurrence_at') }))
        .where('schedule_id', '=', scheduleId)
        .execute();
    },

    // ---- trigger checks ----

    async insertTriggerCheck(c) {
      const row = {
        model_id: c.modelId,
        kind: c.kind,
        checked_at: iso(c.checkedAt),
        decision: c.decision,
        reason: c.reason,
        numbers: JSON.stringify(c.numbers),
        job_id: c.jobId,
      };
      const inserted = await db.insertInto('trigger_checks').values(row).returning('id').executeTakeFirstOrThrow();
      return { ...c, id: Number(inserted.id) };
    },

    async listTriggerChecks(modelId, options) {
      let q = db.selectFrom('trigger_checks').selectAll().where('model_id', '=', modelId);
      if (options.kind) q = q.where('kind', '=', options.kind);
      if (options.decision) q = q.where('decision', '=', options.decision);
      const rows = await q.orderBy('id', 'desc').limit(options.limit).execute();
      return rows.map(
        (r): TriggerCheck => ({
          id: Number(r.id),
          modelId: r.model_id,
          kind: r.kind as TriggerCheck['kind'],
          checkedAt: date(r.checked_at),
          decision: r.decision as TriggerCheck['decision'],
          reason: r.reason,
          numbers: JSON.parse(r.numbers) as Record<string, unknown>,
          jobId: r.job_id,
        }),
      );
    },
  };
}
