import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  Activation,
  FeatureRow,
  FeatureSpec,
  JobStage,
  JobStatus,
  JobTrigger,
  Metrics,
  Model,
  ModelSpec,
  ModelVersion,
  RefitEvent,
  Rollout,
  ScoreArm,
  TimelineEntry,
  RetrainJob,
  RetrainResult,
  ModelSchedule,
  Score,
  ScheduleConfig,
  ScheduleState,
  TrainerSpec,
  TriggerCheck,
  LabelValue,
  TrainingWindow,
  VersionStatus,
  EventType,
} from '../domain/entities.js';
import { RefitError } from '../errors.js';
import { modelNotFound } from './require-model.js';
import type { Dialect } from './migrations/index.js';
import type {
  ActivationsTable,
  Database,
  EventsTable,
  ModelVersionsTable,
  ModelsTable,
  RetrainJobsTable,
  RolloutsTable,
  ScoresTable,
  TimelineTable,
} from './schema.js';
import type {
  ActivationInput,
  JobPatch,
  LabelRow,
  NewEvent,
  NewLabel,
  NewRollout,
  NewTimelineEntry,
  NewTriggerCheck,
  Outcome,
  Page,
  RawLabelRow,
  RolloutIntent,
  RolloutOutcome,
  ServingStats,
  Store,
} from './store.js';
import { parseLabelRow } from './store.js';
import type { JobOwnership } from './store.js';

// ---- mappers: rows <-> entities (MLflow keeps entities apart from its db models) ----

const iso = (d: Date): string => d.toISOString();
const date = (s: string): Date => new Date(s);
const dateOrNull = (s: string | null): Date | null => (s === null ? null : new Date(s));

function toModel(row: Selectable<ModelsTable>): Model {
  return {
    spec: JSON.parse(row.spec) as ModelSpec,
    activeVersion: row.active_version,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

function toVersion(row: Selectable<ModelVersionsTable>): ModelVersion {
  return {
    modelId: row.model_id,
    version: row.version,
    status: row.status as VersionStatus,
    trainer: JSON.parse(row.trainer) as TrainerSpec,
    features: JSON.parse(row.features) as FeatureSpec[],
    referenceSha256: row.reference_sha256,
    artifactSha256: row.artifact_sha256,
    artifactBytes: Number(row.artifact_bytes),
    metrics: JSON.parse(row.metrics) as Metrics,
    championMetrics: row.champion_metrics === null ? null : (JSON.parse(row.champion_metrics) as Metrics),
    parentVersion: row.parent_version,
    labelCount: Number(row.label_count),
    trainingSamples: Number(row.training_samples),
    datasetHash: row.dataset_hash,
    decision: row.decision,
    jobId: row.job_id,
    createdAt: date(row.created_at),
    // Only set once retention deleted the artifact, so a kept version reads as before 0004.
    ...(row.artifact_deleted_at !== null ? { artifactDeletedAt: date(row.artifact_deleted_at) } : {}),
  };
}

function toJob(row: Selectable<RetrainJobsTable>): RetrainJob {
  return {
    id: row.id,
    modelId: row.model_id,
    status: row.status as JobStatus,
    trigger: row.trigger as JobTrigger,
    force: Number(row.force) === 1,
    stage: row.stage,
    progress: row.progress === null ? null : Number(row.progress),
    stages: JSON.parse(row.stages) as JobStage[],
    attempts: Number(row.attempts),
    result: row.result === null ? null : (JSON.parse(row.result) as RetrainResult),
    error: row.error,
    createdAt: date(row.created_at),
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
  };
}

function toActivation(row: Selectable<ActivationsTable>): Activation {
  return {
    id: Number(row.id),
    modelId: row.model_id,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    action: row.action as Activation['action'],
    reason: row.reason,
    actor: row.actor,
    createdAt: date(row.created_at),
  };
}

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

function toScore(row: Selectable<ScoresTable>): Score {
  return {
    id: row.id,
    modelId: row.model_id,
    version: row.version,
    features: JSON.parse(row.features) as FeatureRow,
    score: JSON.parse(row.score) as number | number[],
    createdAt: date(row.created_at),
    arm: (row.arm ?? 'champion') as ScoreArm,
    latencyMs: row.latency_ms === null ? null : Number(row.latency_ms),
    served: Number(row.served) === 1,
    shadowOf: row.shadow_of,
    error: row.error,
  };
}

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

/** True when a database error is a unique-constraint violation, on either dialect. */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Rows per multi-row insert, well under SQLite's 32,766 bound-parameter limit. */
const INSERT_CHUNK = 500;

/** Most recent latencies per version that a rollout's p95 is computed from. */
const LATENCY_SAMPLE = 20_000;

/** Label rows per page when loading a training window. */
const LABEL_PAGE = 5_000;

/** The Store on Kysely; the same code runs on SQLite and PostgreSQL. */
export class KyselyStore implements Store {
  /** @param db a Kysely instance or an open transaction. */
  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    private readonly inTransaction = false,
  ) {}

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction().execute((trx: Transaction<Database>) => fn(new KyselyStore(trx, this.dialect, true)));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // ---- models ----

  async createModel(spec: ModelSpec, at: Date): Promise<Model> {
    const row = { id: spec.id, spec: JSON.stringify(spec), active_version: null, trained_through_label_id: 0, created_at: iso(at), updated_at: iso(at) };
    try {
      await this.db.insertInto('models').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new RefitError('MODEL_EXISTS', `A model with id '${spec.id}' already exists.`, { cause: err });
      throw err;
    }
    return toModel(row);
  }

  async getModel(id: string): Promise<Model | null> {
    const row = await this.db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toModel(row) : null;
  }

  async lockModel(id: string): Promise<Model | null> {
    let q = this.db.selectFrom('models').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row ? toModel(row) : null;
  }

  async listModels(): Promise<Model[]> {
    const rows = await this.db.selectFrom('models').selectAll().orderBy('id').execute();
    return rows.map(toModel);
  }

  async updateModelSpec(id: string, spec: ModelSpec, at: Date): Promise<void> {
    await this.db.updateTable('models').set({ spec: JSON.stringify(spec), updated_at: iso(at) }).where('id', '=', id).execute();
  }

  async getTrainedThrough(modelId: string): Promise<number> {
    const row = await this.db.selectFrom('models').select('trained_through_label_id').where('id', '=', modelId).executeTakeFirst();
    return row ? Number(row.trained_through_label_id) : 0;
  }

  async setTrainedThrough(modelId: string, labelId: number): Promise<void> {
    await this.db.updateTable('models').set({ trained_through_label_id: labelId }).where('id', '=', modelId).execute();
  }

  // ---- versions ----

  async insertVersion(v: ModelVersion): Promise<void> {
    const last = await this.db
      .selectFrom('model_versions')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('model_id', '=', v.modelId)
      .executeTakeFirst();
    await this.db
      .insertInto('model_versions')
      .values({
        model_id: v.modelId,
        version: v.version,
        seq: Number(last?.seq ?? 0) + 1,
        status: v.status,
        trainer: JSON.stringify(v.trainer),
        features: JSON.stringify(v.features),
        reference_sha256: v.referenceSha256 ?? null,
        artifact_sha256: v.artifactSha256,
        artifact_bytes: v.artifactBytes,
        metrics: JSON.stringify(v.metrics),
        champion_metrics: v.championMetrics === null ? null : JSON.stringify(v.championMetrics),
        parent_version: v.parentVersion,
        label_count: v.labelCount,
        training_samples: v.trainingSamples,
        dataset_hash: v.datasetHash,
        decision: v.decision,
        job_id: v.jobId,
        created_at: iso(v.createdAt),
        artifact_deleted_at: null,
      })
      .execute();
  }

  async getVersion(modelId: string, version: string): Promise<ModelVersion | null> {
    const row = await this.db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? toVersion(row) : null;
  }

  async listVersions(modelId: string): Promise<ModelVersion[]> {
    const rows = await this.db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).orderBy('seq', 'desc').execute();
    return rows.map(toVersion);
  }

  async latestVersion(modelId: string): Promise<ModelVersion | null> {
    const row = await this.db
      .selectFrom('model_versions')
      .selectAll()
      .where('model_id', '=', modelId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toVersion(row) : null;
  }

  async setVersionStatus(modelId: string, version: string, status: VersionStatus): Promise<void> {
    await this.db.updateTable('model_versions').set({ status }).where('model_id', '=', modelId).where('version', '=', version).execute();
  }

  // ---- activation ----

  async activate(input: ActivationInput): Promise<Activation> {
    return this.transaction(async (tx) => (tx as KyselyStore).activateInTx(input));
  }

  private async activateInTx(input: ActivationInput): Promise<Activation> {
    const model = await this.db.selectFrom('models').select('active_version').where('id', '=', input.modelId).executeTakeFirst();
    if (!model) throw modelNotFound(input.modelId);
    const from = model.active_version;
    // Retire whatever is marked active (normally just `from`) before marking the new one: a
    // unique index allows one active version per model.
    await this.db
      .updateTable('model_versions')
      .set({ status: 'retired' })
      .where('model_id', '=', input.modelId)
      .where('status', '=', 'active')
      .where('version', '!=', input.toVersion)
      .execute();
    await this.db
      .updateTable('model_versions')
      .set({ status: 'active' })
      .where('model_id', '=', input.modelId)
      .where('version', '=', input.toVersion)
      .execute();
    await this.db
      .updateTable('models')
      .set({ active_version: input.toVersion, updated_at: iso(input.at) })
      .where('id', '=', input.modelId)
      .execute();
    const row = {
      model_id: input.modelId,
      from_version: from,
      to_version: input.toVersion,
      action: input.action,
      reason: input.reason,
      actor: input.actor,
      created_at: iso(input.at),
    };
    const inserted = await this.db.insertInto('activations').values(row).returning('id').executeTakeFirstOrThrow();
    await this.appendTimeline({
      modelId: input.modelId,
      at: input.at,
      action: input.action,
      version: input.toVersion,
      fromVersion: from,
      actor: input.actor,
      reason: input.reason,
      numbers: input.numbers ?? null,
    });
    return toActivation({ ...row, id: inserted.id });
  }

  async listActivations(modelId: string): Promise<Activation[]> {
    const rows = await this.db.selectFrom('activations').selectAll().where('model_id', '=', modelId).orderBy('id', 'desc').execute();
    return rows.map(toActivation);
  }

  // ---- labels ----

  async insertLabels(modelId: string, labels: readonly NewLabel[], receivedAt: Date): Promise<number[]> {
    if (labels.length === 0) return [];
    return this.transaction(async (tx) => {
      const db = (tx as KyselyStore).db;
      const ids: number[] = [];
      for (let i = 0; i < labels.length; i += INSERT_CHUNK) {
        const chunk = labels.slice(i, i + INSERT_CHUNK).map((l) => ({
          model_id: modelId,
          features: JSON.stringify(l.features),
          label: JSON.stringify(l.label),
          score_id: l.scoreId,
          occurred_at: iso(l.occurredAt),
          received_at: iso(receivedAt),
        }));
        const rows = await db.insertInto('labels').values(chunk).returning('id').execute();
        for (const r of rows) ids.push(Number(r.id));
      }
      return ids;
    });
  }

  async countLabelsAfter(modelId: string, afterId: number): Promise<number> {
    const row = await this.db
      .selectFrom('labels')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('model_id', '=', modelId)
      .where('id', '>', afterId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countLabels(modelId: string): Promise<number> {
    return this.countLabelsAfter(modelId, 0);
  }

  async maxLabelId(modelId: string): Promise<number> {
    const row = await this.db
      .selectFrom('labels')
      .select((eb) => eb.fn.max('id').as('m'))
      .where('model_id', '=', modelId)
      .executeTakeFirst();
    return Number(row?.m ?? 0);
  }

  async loadLabels(modelId: string, window: TrainingWindow, now: Date): Promise<LabelRow[]> {
    return (await this.loadLabelsRaw(modelId, window, now)).map(parseLabelRow);
  }

  async loadLabelsRaw(modelId: string, window: TrainingWindow, now: Date): Promise<RawLabelRow[]> {
    // Read in pages by id so that no single query (synchronous on SQLite) or JSON-parsing pass
    // holds the event loop for long, whatever the window's size.
    let afterId = 0;
    if (window.kind === 'labels') {
      const edge = await this.db
        .selectFrom('labels')
        .select('id')
        .where('model_id', '=', modelId)
        .orderBy('id', 'desc')
        .offset(window.count - 1)
        .limit(1)
        .executeTakeFirst();
      afterId = edge ? Number(edge.id) - 1 : 0;
    }
    const cutoff = window.kind === 'days' ? iso(new Date(now.getTime() - window.days * 86_400_000)) : null;
    const out: RawLabelRow[] = [];
    for (;;) {
      let q = this.db.selectFrom('labels').select(['id', 'features', 'label']).where('model_id', '=', modelId).where('id', '>', afterId);
      if (cutoff !== null) q = q.where('occurred_at', '>=', cutoff);
      const rows = await q.orderBy('id', 'asc').limit(LABEL_PAGE).execute();
      for (const r of rows) out.push({ id: Number(r.id), features: r.features, label: r.label });
      if (rows.length < LABEL_PAGE) return out;
      afterId = Number(rows[rows.length - 1].id);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  // ---- scores ----

  async insertScores(scores: readonly Score[]): Promise<void> {
    if (scores.length === 0) return;
    await this.transaction(async (tx) => {
      const db = (tx as KyselyStore).db;
      for (let i = 0; i < scores.length; i += INSERT_CHUNK) {
        const chunk = scores.slice(i, i + INSERT_CHUNK).map((s) => ({
          id: s.id,
          model_id: s.modelId,
          version: s.version,
          features: JSON.stringify(s.features),
          score: JSON.stringify(s.score),
          created_at: iso(s.createdAt),
          arm: s.arm ?? 'champion',
          latency_ms: s.latencyMs ?? null,
          served: s.served === false ? 0 : 1,
          shadow_of: s.shadowOf ?? null,
          error: s.error ?? null,
        }));
        await db.insertInto('scores').values(chunk).execute();
      }
    });
  }

  async getScores(modelId: string, ids: readonly string[]): Promise<Map<string, Score>> {
    const out = new Map<string, Score>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
      const rows = await this.db
        .selectFrom('scores')
        .selectAll()
        .where('model_id', '=', modelId)
        .where('id', 'in', unique.slice(i, i + INSERT_CHUNK))
        .execute();
      for (const r of rows) out.set(r.id, toScore(r));
    }
    return out;
  }

  // ---- jobs ----

  async createJob(input: { id: string; modelId: string; trigger: JobTrigger; force: boolean; at: Date; owner?: string | null }): Promise<RetrainJob> {
    const row = {
      id: input.id,
      model_id: input.modelId,
      status: 'pending',
      trigger: input.trigger,
      force: input.force ? 1 : 0,
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
    };
    try {
      await this.db.insertInto('retrain_jobs').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        const active = await this.findActiveJob(input.modelId);
        throw new RefitError('RETRAIN_IN_PROGRESS', `Model '${input.modelId}' already has a retrain ${active?.status ?? 'pending'}.`, {
          extra: { jobId: active?.id ?? null },
          cause: err,
        });
      }
      throw err;
    }
    return toJob(row);
  }

  async updateJob(id: string, patch: JobPatch): Promise<RetrainJob> {
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
    if (Object.keys(set).length > 0) {
      await this.db.updateTable('retrain_jobs').set(set as never).where('id', '=', id).execute();
    }
    const job = await this.getJob(id);
    if (!job) throw new RefitError('JOB_NOT_FOUND', `Retrain job '${id}' does not exist.`);
    return job;
  }

  async getJob(id: string): Promise<RetrainJob | null> {
    const row = await this.db.selectFrom('retrain_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async findActiveJob(modelId: string): Promise<RetrainJob | null> {
    const row = await this.db
      .selectFrom('retrain_jobs')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('status', 'in', ['pending', 'running'])
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async listJobs(modelId: string, page: { limit: number; offset: number }): Promise<Page<RetrainJob>> {
    const rows = await this.db
      .selectFrom('retrain_jobs')
      .selectAll()
      .where('model_id', '=', modelId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    const total = await this.db
      .selectFrom('retrain_jobs')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('model_id', '=', modelId)
      .executeTakeFirstOrThrow();
    return { items: rows.map(toJob), total: Number(total.n) };
  }

  async heartbeatJobs(owner: string, at: Date): Promise<number> {
    const r = await this.db
      .updateTable('retrain_jobs')
      .set({ heartbeat_at: iso(at) })
      .where('owner', '=', owner)
      .where('status', 'in', ['pending', 'running'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async failOrphanedJobs(isOrphan: (job: JobOwnership) => boolean, at: Date, reason: string): Promise<RetrainJob[]> {
    const rows = await this.db.selectFrom('retrain_jobs').selectAll().where('status', 'in', ['pending', 'running']).execute();
    const failed: RetrainJob[] = [];
    for (const r of rows) {
      if (!isOrphan({ owner: r.owner, heartbeatAt: date(r.heartbeat_at ?? r.created_at) })) continue;
      // Compare-and-set on what was read: a job another process took over or renewed meanwhile is left alone.
      const done = await this.db
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
  }

  // ---- events ----

  async appendEvent(e: NewEvent): Promise<RefitEvent> {
    const row = {
      event_id: randomUUID(),
      event_type: e.eventType,
      run_id: e.runId,
      model_id: e.modelId,
      payload: JSON.stringify(e.payload),
      occurred_at: iso(e.occurredAt),
    };
    const inserted = await this.db.insertInto('events').values(row).returning('seq').executeTakeFirstOrThrow();
    return toEvent({ ...row, seq: inserted.seq });
  }

  async listEvents(afterSeq: number, limit: number): Promise<RefitEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(toEvent);
  }

  // ---- monitoring ----

  async liveOutcomes(modelId: string, since: Date, until: Date): Promise<Outcome[]> {
    const rows = await this.db
      .selectFrom('labels as l')
      .innerJoin('scores as s', 's.id', 'l.score_id')
      .select(['s.version as version', 's.score as score', 'l.label as label', 'l.occurred_at as occurred_at'])
      .where('l.model_id', '=', modelId)
      .where('l.occurred_at', '>=', iso(since))
      .where('l.occurred_at', '<', iso(until))
      .orderBy('l.occurred_at')
      .orderBy('l.id')
      .execute();
    return rows.map((r) => ({
      version: r.version,
      score: JSON.parse(r.score) as number | number[],
      label: JSON.parse(r.label) as LabelValue,
      occurredAt: date(r.occurred_at),
    }));
  }

  async recentScores(modelId: string, limit: number): Promise<Score[]> {
    // Only what callers received: shadow scores and failed attempts would count rows twice.
    const rows = await this.db
      .selectFrom('scores')
      .selectAll()
      .where('model_id', '=', modelId)
      .where('served', '=', 1)
      .where('error', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toScore);
  }

  async insertTriggerCheck(c: NewTriggerCheck): Promise<TriggerCheck> {
    const row = {
      model_id: c.modelId,
      kind: c.kind,
      checked_at: iso(c.checkedAt),
      decision: c.decision,
      reason: c.reason,
      numbers: JSON.stringify(c.numbers),
      job_id: c.jobId,
    };
    const inserted = await this.db.insertInto('trigger_checks').values(row).returning('id').executeTakeFirstOrThrow();
    return { ...c, id: Number(inserted.id) };
  }

  async listTriggerChecks(modelId: string, options: { kind?: TriggerCheck['kind']; decision?: TriggerCheck['decision']; limit: number }): Promise<TriggerCheck[]> {
    let q = this.db.selectFrom('trigger_checks').selectAll().where('model_id', '=', modelId);
    if (options.kind) q = q.where('kind', '=', options.kind);
    if (options.decision) q = q.where('decision', '=', options.decision);
    const rows = await q.orderBy('id', 'desc').limit(options.limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      modelId: r.model_id,
      kind: r.kind as TriggerCheck['kind'],
      checkedAt: date(r.checked_at),
      decision: r.decision as TriggerCheck['decision'],
      reason: r.reason,
      numbers: JSON.parse(r.numbers) as Record<string, unknown>,
      jobId: r.job_id,
    }));
  }

  // ---- schedules ----

  async createSchedule(sc: ModelSchedule): Promise<void> {
    await this.db.insertInto('schedules').values({ id: sc.id, model_id: sc.modelId, config: JSON.stringify(sc.config), created_at: iso(sc.createdAt) }).execute();
  }

  async listSchedules(modelId?: string): Promise<ModelSchedule[]> {
    let q = this.db.selectFrom('schedules').selectAll();
    if (modelId !== undefined) q = q.where('model_id', '=', modelId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, modelId: r.model_id, config: JSON.parse(r.config) as ScheduleConfig, createdAt: date(r.created_at) }));
  }

  async getSchedule(id: string): Promise<ModelSchedule | null> {
    const r = await this.db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? { id: r.id, modelId: r.model_id, config: JSON.parse(r.config) as ScheduleConfig, createdAt: date(r.created_at) } : null;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      const db = (tx as KyselyStore).db;
      const res = await db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
      await db.deleteFrom('schedule_state').where('schedule_id', '=', id).execute();
      return Number(res.numDeletedRows) > 0;
    });
  }

  async getScheduleStates(ids: readonly string[]): Promise<Map<string, ScheduleState>> {
    const out = new Map<string, ScheduleState>();
    if (ids.length === 0) return out;
    for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
      const rows = await this.db.selectFrom('schedule_state').selectAll().where('schedule_id', 'in', ids.slice(i, i + INSERT_CHUNK)).execute();
      for (const r of rows) out.set(r.schedule_id, { scheduleId: r.schedule_id, lastOccurrenceAt: dateOrNull(r.last_occurrence_at), lastJobId: r.last_job_id });
    }
    return out;
  }

  async claimOccurrence(scheduleId: string, occurrence: Date): Promise<boolean> {
    const at = iso(occurrence);
    const updated = await this.db
      .updateTable('schedule_state')
      .set({ last_occurrence_at: at })
      .where('schedule_id', '=', scheduleId)
      .where((eb) => eb.or([eb('last_occurrence_at', 'is', null), eb('last_occurrence_at', '<', at)]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return true;
    const inserted = await this.db
      .insertInto('schedule_state')
      .values({ schedule_id: scheduleId, last_occurrence_at: at, last_job_id: null })
      .onConflict((oc) => oc.column('schedule_id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async setScheduleJob(scheduleId: string, jobId: string): Promise<void> {
    await this.db.updateTable('schedule_state').set({ last_job_id: jobId }).where('schedule_id', '=', scheduleId).execute();
  }

  // ---- rollout ----

  async rolloutOutcomes(modelId: string, since: Date): Promise<RolloutOutcome[]> {
    const served = await this.db
      .selectFrom('labels as l')
      .innerJoin('scores as s', 's.id', 'l.score_id')
      .select(['s.version as version', 's.arm as arm', 's.score as score', 'l.label as label'])
      .where('l.model_id', '=', modelId)
      .where('s.created_at', '>=', iso(since))
      .where('s.error', 'is', null)
      .execute();
    // A shadow score shares its label with the score that was returned for the same row.
    const shadow = await this.db
      .selectFrom('labels as l')
      .innerJoin('scores as s', 's.shadow_of', 'l.score_id')
      .select(['s.version as version', 's.arm as arm', 's.score as score', 'l.label as label'])
      .where('l.model_id', '=', modelId)
      .where('s.model_id', '=', modelId)
      .where('s.created_at', '>=', iso(since))
      .where('s.error', 'is', null)
      .execute();
    const map = (shadowRow: boolean) => (r: { version: string | null; arm: string | null; score: string; label: string }): RolloutOutcome => ({
      version: r.version,
      arm: (r.arm ?? 'champion') as ScoreArm,
      shadow: shadowRow,
      score: JSON.parse(r.score) as number | number[],
      label: JSON.parse(r.label) as LabelValue,
    });
    return [...served.map(map(false)), ...shadow.map(map(true))];
  }

  async servingStats(modelId: string, since: Date): Promise<ServingStats[]> {
    // Counts in the database; latencies only for the most recent attempts of each version, so an
    // evaluation stays cheap however much traffic a rollout has seen.
    const counts = await this.db
      .selectFrom('scores')
      .select((eb) => ['version', eb.fn.countAll().as('attempts'), eb.fn.count('error').as('errors')])
      .where('model_id', '=', modelId)
      .where('created_at', '>=', iso(since))
      .where('version', 'is not', null)
      .groupBy('version')
      .execute();
    const out: ServingStats[] = [];
    for (const c of counts) {
      const version = c.version as string;
      const rows = await this.db
        .selectFrom('scores')
        .select('latency_ms')
        .where('model_id', '=', modelId)
        .where('version', '=', version)
        .where('created_at', '>=', iso(since))
        .where('latency_ms', 'is not', null)
        .orderBy('created_at', 'desc')
        .limit(LATENCY_SAMPLE)
        .execute();
      out.push({ version, attempts: Number(c.attempts), errors: Number(c.errors), latenciesMs: rows.map((r) => Number(r.latency_ms)) });
    }
    return out;
  }

  async createRollout(r: NewRollout): Promise<Rollout> {
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
    const inserted = await this.db.insertInto('rollouts').values(row).returning('id').executeTakeFirstOrThrow();
    return toRollout({ ...row, id: inserted.id });
  }

  async runningRollouts(modelId: string): Promise<{ challenger: Rollout | null; watch: Rollout | null }> {
    const rows = await this.db.selectFrom('rollouts').selectAll().where('model_id', '=', modelId).where('status', '=', 'running').execute();
    const all = rows.map(toRollout);
    return { challenger: all.find((r) => r.kind === 'challenger') ?? null, watch: all.find((r) => r.kind === 'watch') ?? null };
  }

  async listRunningRollouts(): Promise<Rollout[]> {
    const rows = await this.db.selectFrom('rollouts').selectAll().where('status', '=', 'running').orderBy('id').execute();
    return rows.map(toRollout);
  }

  async finishRollout(id: number, patch: { status: Exclude<Rollout['status'], 'running'>; reason: string; numbers: Readonly<Record<string, unknown>> | null; at: Date }): Promise<boolean> {
    const res = await this.db
      .updateTable('rollouts')
      .set({ status: patch.status, reason: patch.reason, numbers: patch.numbers === null ? null : JSON.stringify(patch.numbers), finished_at: iso(patch.at) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async listRollouts(modelId: string, limit: number): Promise<Rollout[]> {
    const rows = await this.db.selectFrom('rollouts').selectAll().where('model_id', '=', modelId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRollout);
  }

  async appendTimeline(e: NewTimelineEntry): Promise<TimelineEntry> {
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
    const inserted = await this.db.insertInto('timeline').values(row).returning('id').executeTakeFirstOrThrow();
    return toTimeline({ ...row, id: inserted.id });
  }

  async listTimeline(modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>> {
    const rows = await this.db.selectFrom('timeline').selectAll().where('model_id', '=', modelId).orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
    const total = await this.db
      .selectFrom('timeline')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('model_id', '=', modelId)
      .executeTakeFirstOrThrow();
    return { items: rows.map(toTimeline), total: Number(total.n) };
  }

  async beginIntent(i: Omit<RolloutIntent, 'id'>): Promise<number> {
    const inserted = await this.db
      .insertInto('rollout_intents')
      .values({ model_id: i.modelId, action: i.action, version: i.version, from_version: i.fromVersion, actor: i.actor, reason: i.reason, started_at: iso(i.startedAt), owner: i.owner })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(inserted.id);
  }

  async clearIntent(id: number): Promise<void> {
    await this.db.deleteFrom('rollout_intents').where('id', '=', id).execute();
  }

  async listIntents(): Promise<RolloutIntent[]> {
    const rows = await this.db.selectFrom('rollout_intents').selectAll().orderBy('id').execute();
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
  }

  async markArtifactDeleted(modelId: string, version: string, at: Date): Promise<void> {
    await this.db.updateTable('model_versions').set({ artifact_deleted_at: iso(at) }).where('model_id', '=', modelId).where('version', '=', version).execute();
  }

  async countArtifactUses(sha256: string): Promise<number> {
    const row = await this.db
      .selectFrom('model_versions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('artifact_deleted_at', 'is', null)
      .where((eb) => eb.or([eb('artifact_sha256', '=', sha256), eb('reference_sha256', '=', sha256)]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteArtifact(sha256: string): Promise<number> {
    const row = await this.db.selectFrom('artifacts').select('size').where('sha256', '=', sha256).executeTakeFirst();
    if (!row) return 0;
    const res = await this.db.deleteFrom('artifacts').where('sha256', '=', sha256).executeTakeFirst();
    return Number(res.numDeletedRows) > 0 ? Number(row.size) : 0;
  }

  // ---- artifacts ----

  async putArtifact(bytes: Uint8Array, at: Date): Promise<string> {
    const sha = createHash('sha256').update(bytes).digest('hex');
    const exists = await this.db.selectFrom('artifacts').select('sha256').where('sha256', '=', sha).executeTakeFirst();
    if (!exists) {
      await this.db
        .insertInto('artifacts')
        .values({ sha256: sha, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), size: bytes.byteLength, created_at: iso(at) })
        .execute();
    }
    return sha;
  }

  async getArtifact(sha256: string): Promise<Uint8Array | null> {
    const row = await this.db.selectFrom('artifacts').select('bytes').where('sha256', '=', sha256).executeTakeFirst();
    if (!row) return null;
    const bytes = new Uint8Array(row.bytes);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new RefitError('ARTIFACT_CORRUPT', `Artifact ${sha256} failed verification (content hashes to ${actual}).`);
    }
    return bytes;
  }
}
