import type { ImportSource } from '../../domain/import-source.js';
import type { Selectable } from 'kysely';
import type { JobStage, JobStatus, JobTrigger, RetrainJob, RetrainResult } from '../../domain/entities.js';
import { RefitError } from '../../errors.js';
import type { JobStore } from '../roles/job-store.js';
import type { RetrainJobsTable } from '../schema.js';
import { type KyselyContext, date, dateOrNull, iso, isUniqueViolation } from './kysely-context.js';

function toJob(row: Selectable<RetrainJobsTable>): RetrainJob {
  return {
    id: row.id,
    modelId: row.model_id,
    status: row.status as JobStatus,
    trigger: row.trigger as JobTrigger,
    force: Number(row.force) === 1,
    // Only set when a schedule gave one, so other jobs read as before.
    ...(row.min_samples !== null && row.min_samples !== undefined ? { minSamples: Number(row.min_samples) } : {}),
    stage: row.stage,
    progress: row.progress === null ? null : Number(row.progress),
    stages: JSON.parse(row.stages) as JobStage[],
    attempts: Number(row.attempts),
    result: row.result === null ? null : (JSON.parse(row.result) as RetrainResult),
    error: row.error,
    createdAt: date(row.created_at),
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
    importSource: row.import_source ? (JSON.parse(row.import_source) as ImportSource) : null,
  };
}

/** Retrain jobs on Kysely. */
export function kyselyJobStore(ctx: KyselyContext): JobStore {
  const { db } = ctx;

  const getJob = async (id: string): Promise<RetrainJob | null> => {
    const row = await db.selectFrom('retrain_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : null;
  };

  const findActiveJob = async (modelId: string): Promise<RetrainJob | null> => {
    const row = await db.selectFrom('retrain_jobs').selectAll().where('model_id', '=', modelId).where('status', 'in', ['pending', 'running']).executeTakeFirst();
    return row ? toJob(row) : null;
  };

  return {
    getJob,
    findActiveJob,

    async appendJobLog(jobId, text, at) {
      await db.insertInto('job_logs').values({ job_id: jobId, text, created_at: iso(at) }).execute();
    },

    async getJobLog(jobId) {
      const rows = await db.selectFrom('job_logs').select('text').where('job_id', '=', jobId).orderBy('id').execute();
      return rows.map((r) => r.text).join('');
    },

    async createJob(input) {
      const row = {
        id: input.id,
        model_id: input.modelId,
        status: 'pending',
        trigger: input.trigger,
        force: input.force ? 1 : 0,
        min_samples: input.minSamples ?? null,
        stage: null,
        progress: null,
        stages: '[]',
        attempts: 0,
        result: null,
        error: null,
        created_at: iso(input.at),
        started_at: null,
        finished_at: null,
        owner: input.owner ?? null,
        heartbeat_at: iso(input.at),
        import_source: input.importSource ? JSON.stringify(input.importSource) : null,
      };
      try {
        await db.insertInto('retrain_jobs').values(row).execute();
      } catch (err) {
        // A unique index allows one pending or running job per model: the loser of a race lands here.
        if (isUniqueViolation(err)) return { ok: false, active: await findActiveJob(input.modelId) };
        throw err;
      }
      return { ok: true, job: toJob(row) };
    },

    async updateJob(id, patch) {
      const set: Partial<Record<keyof RetrainJobsTable, unknown>> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.stage !== undefined) set.stage = patch.stage;
      if (patch.progress !== undefined) set.progress = patch.progress;
      if (patch.stages !== undefined) set.stages = JSON.stringify(patch.stages);
      if (patch.attempts !== undefined) set.attempts = patch.attempts;
      if (patch.result !== undefined) set.result = patch.result === null ? null : JSON.stringify(patch.result);
      if (patch.error !== undefined) set.error = patch.error;
      if (patch.startedAt !== undefined) set.started_at = patch.startedAt === null ? null : iso(patch.startedAt);
      if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt === null ? null : iso(patch.finishedAt);
      if (patch.owner !== undefined) set.owner = patch.owner;
      if (patch.heartbeatAt !== undefined) set.heartbeat_at = iso(patch.heartbeatAt);
      if (Object.keys(set).length > 0) {
        await db.updateTable('retrain_jobs').set(set as never).where('id', '=', id).execute();
      }
      const job = await getJob(id);
      // Jobs are never deleted: an unknown id is a caller's bug, not a conflict.
      if (!job) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${id}' does not exist.`);
      return job;
    },

    async listJobs(modelId, page) {
      const rows = await db
        .selectFrom('retrain_jobs')
        .selectAll()
        .where('model_id', '=', modelId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
      const total = await db
        .selectFrom('retrain_jobs')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('model_id', '=', modelId)
        .executeTakeFirstOrThrow();
      return { items: rows.map(toJob), total: Number(total.n) };
    },

    async heartbeatJobs(owner, at) {
      const r = await db.updateTable('retrain_jobs').set({ heartbeat_at: iso(at) }).where('owner', '=', owner).where('status', 'in', ['pending', 'running']).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async failOrphanedJobs(isOrphan, at, reason) {
      const rows = await db.selectFrom('retrain_jobs').selectAll().where('status', 'in', ['pending', 'running']).execute();
      const failed: RetrainJob[] = [];
      for (const r of rows) {
        if (!isOrphan({ owner: r.owner, heartbeatAt: date(r.heartbeat_at ?? r.created_at) })) continue;
        // Compare-and-set on what was read: a job another process took over or renewed meanwhile is left alone.
        const done = await db
          .updateTable('retrain_jobs')
          .set({ status: 'failed', error: reason, finished_at: iso(at), stage: null })
          .where('id', '=', r.id)
          .where('status', '=', r.status)
          .where((eb) => (r.owner === null ? eb('owner', 'is', null) : eb('owner', '=', r.owner)))
          .where((eb) => (r.heartbeat_at === null ? eb('heartbeat_at', 'is', null) : eb('heartbeat_at', '=', r.heartbeat_at)))
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) === 1) failed.push(toJob({ ...r, status: 'failed', error: reason, finished_at: iso(at), stage: null }));
      }
      return failed;
    },
  };
}
