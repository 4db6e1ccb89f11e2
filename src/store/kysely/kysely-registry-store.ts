import type { DataRows } from '../../domain/quality.js';
import { withQualityDefaults } from '../../domain/quality.js';
import type { Kysely, Selectable } from 'kysely';
import type { Activation, FeatureSpec, Metrics, Model, ModelSpec, ModelVersion, TrainerSpec, VersionStatus } from '../../domain/entities.js';
import { modelNotFound } from '../require-model.js';
import type { ActivationInput, RegistryStore } from '../roles/registry-store.js';
import type { ActivationsTable, Database, ModelVersionsTable, ModelsTable } from '../schema.js';
import { type KyselyContext, atomic, date, iso, isUniqueViolation } from './kysely-context.js';
import { insertTimeline } from './kysely-rollout-store.js';

// ---- mappers: rows <-> entities (MLflow keeps entities apart from its db models) ----

function toModel(row: Selectable<ModelsTable>): Model {
  return {
    spec: withQualityDefaults(JSON.parse(row.spec) as ModelSpec),
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
    // Only set for versions that recorded their rows (0010), so older versions read as before.
    ...(row.data_rows !== null ? { dataRows: JSON.parse(row.data_rows) as DataRows } : {}),
    decision: row.decision,
    jobId: row.job_id,
    createdAt: date(row.created_at),
    // Only set once retention deleted the artifact, so a kept version reads as before 0004.
    ...(row.artifact_deleted_at !== null ? { artifactDeletedAt: date(row.artifact_deleted_at) } : {}),
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

/** The activation's writes, on a transaction. */
async function activateIn(db: Kysely<Database>, input: ActivationInput): Promise<Activation> {
  const model = await db.selectFrom('models').select('active_version').where('id', '=', input.modelId).executeTakeFirst();
  if (!model) throw modelNotFound(input.modelId);
  const from = model.active_version;
  // Retire whatever is marked active (normally just `from`) before marking the new one: a
  // unique index allows one active version per model.
  await db
    .updateTable('model_versions')
    .set({ status: 'retired' })
    .where('model_id', '=', input.modelId)
    .where('status', '=', 'active')
    .where('version', '!=', input.toVersion)
    .execute();
  await db.updateTable('model_versions').set({ status: 'active' }).where('model_id', '=', input.modelId).where('version', '=', input.toVersion).execute();
  await db.updateTable('models').set({ active_version: input.toVersion, updated_at: iso(input.at) }).where('id', '=', input.modelId).execute();
  const row = {
    model_id: input.modelId,
    from_version: from,
    to_version: input.toVersion,
    action: input.action,
    reason: input.reason,
    actor: input.actor,
    created_at: iso(input.at),
  };
  const inserted = await db.insertInto('activations').values(row).returning('id').executeTakeFirstOrThrow();
  await insertTimeline(db, {
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

/** The registry on Kysely. */
export function kyselyRegistryStore(ctx: KyselyContext): RegistryStore {
  const { db, dialect } = ctx;
  return {
    // ---- models ----

    async createModel(spec, at) {
      const row = { id: spec.id, spec: JSON.stringify(spec), active_version: null, trained_through_label_id: 0, created_at: iso(at), updated_at: iso(at) };
      try {
        await db.insertInto('models').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) return { ok: false, reason: 'exists' };
        throw err;
      }
      return { ok: true, model: toModel(row) };
    },

    async getModel(id) {
      const row = await db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toModel(row) : null;
    },

    async lockModel(id) {
      let q = db.selectFrom('models').selectAll().where('id', '=', id);
      if (dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toModel(row) : null;
    },

    async listModels() {
      const rows = await db.selectFrom('models').selectAll().orderBy('id').execute();
      return rows.map(toModel);
    },

    async updateModelSpec(id, spec, at) {
      await db.updateTable('models').set({ spec: JSON.stringify(spec), updated_at: iso(at) }).where('id', '=', id).execute();
    },

    async getTrainedThrough(modelId) {
      const row = await db.selectFrom('models').select('trained_through_label_id').where('id', '=', modelId).executeTakeFirst();
      return row ? Number(row.trained_through_label_id) : 0;
    },

    async setTrainedThrough(modelId, labelId) {
      await db.updateTable('models').set({ trained_through_label_id: labelId }).where('id', '=', modelId).execute();
    },

    // ---- versions ----

    async insertVersion(v) {
      const last = await db
        .selectFrom('model_versions')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('model_id', '=', v.modelId)
        .executeTakeFirst();
      await db
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
          data_rows: v.dataRows ? JSON.stringify(v.dataRows) : null,
          decision: v.decision,
          job_id: v.jobId,
          created_at: iso(v.createdAt),
          artifact_deleted_at: null,
        })
        .execute();
    },

    async getVersion(modelId, version) {
      const row = await db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
      return row ? toVersion(row) : null;
    },

    async listVersions(modelId) {
      const rows = await db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).orderBy('seq', 'desc').execute();
      return rows.map(toVersion);
    },

    async latestVersion(modelId) {
      const row = await db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      return row ? toVersion(row) : null;
    },

    async setVersionStatus(modelId, version, status) {
      await db.updateTable('model_versions').set({ status }).where('model_id', '=', modelId).where('version', '=', version).execute();
    },

    // ---- activation ----

    activate(input) {
      return atomic(ctx, (tx) => activateIn(tx, input));
    },

    async listActivations(modelId) {
      const rows = await db.selectFrom('activations').selectAll().where('model_id', '=', modelId).orderBy('id', 'desc').execute();
      return rows.map(toActivation);
    },

    // ---- artifact references ----

    async markArtifactDeleted(modelId, version, at) {
      await db.updateTable('model_versions').set({ artifact_deleted_at: iso(at) }).where('model_id', '=', modelId).where('version', '=', version).execute();
    },

    async countArtifactUses(sha256) {
      const row = await db
        .selectFrom('model_versions')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('artifact_deleted_at', 'is', null)
        .where((eb) => eb.or([eb('artifact_sha256', '=', sha256), eb('reference_sha256', '=', sha256)]))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    getArtifact(sha256) {
      return ctx.artifacts.get(sha256);
    },
  };
}
