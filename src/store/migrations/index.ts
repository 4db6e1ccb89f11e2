import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { eventDeliveryMigration } from './0040-event-delivery.js';
import { deliveryLeasesMigration } from './0070-delivery-leases.js';

/** The SQL dialects Refit stores on. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Versioned migrations, in order. Each is written once per dialect where the two differ
 * (auto-increment keys, binary columns); everything else is shared.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const double = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    '0001-initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('models')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('spec', 'text', (c) => c.notNull())
          .addColumn('active_version', 'text')
          .addColumn('trained_through_label_id', bigint, (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('model_versions')
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('trainer', 'text', (c) => c.notNull())
          .addColumn('features', 'text', (c) => c.notNull())
          .addColumn('artifact_sha256', 'text', (c) => c.notNull())
          .addColumn('artifact_bytes', bigint, (c) => c.notNull())
          .addColumn('metrics', 'text', (c) => c.notNull())
          .addColumn('champion_metrics', 'text')
          .addColumn('parent_version', 'text')
          .addColumn('label_count', bigint, (c) => c.notNull())
          .addColumn('training_samples', bigint, (c) => c.notNull())
          .addColumn('dataset_hash', 'text', (c) => c.notNull())
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('job_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('model_versions_pk', ['model_id', 'version'])
          .addUniqueConstraint('model_versions_seq_uq', ['model_id', 'seq'])
          .execute();
        await db.schema
          .createTable('labels')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('features', 'text', (c) => c.notNull())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('score_id', 'text')
          .addColumn('occurred_at', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('labels_model_id_idx').on('labels').columns(['model_id', 'id']).execute();
        await db.schema.createIndex('labels_model_occurred_idx').on('labels').columns(['model_id', 'occurred_at']).execute();
        await db.schema
          .createTable('scores')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('version', 'text')
          .addColumn('features', 'text', (c) => c.notNull())
          .addColumn('score', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('scores_model_created_idx').on('scores').columns(['model_id', 'created_at']).execute();
        await db.schema
          .createTable('retrain_jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('trigger', 'text', (c) => c.notNull())
          .addColumn('force', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('stage', 'text')
          .addColumn('progress', double)
          .addColumn('stages', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('result', 'text')
          .addColumn('error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text')
          .addColumn('finished_at', 'text')
          .execute();
        await db.schema.createIndex('retrain_jobs_started_idx').on('retrain_jobs').columns(['started_at']).execute();
        await db.schema.createIndex('retrain_jobs_model_created_idx').on('retrain_jobs').columns(['model_id', 'created_at']).execute();
        // At most one pending or running job per model, enforced by the database itself so that
        // concurrent triggers (even from several processes) can never start a second one.
        await sql`create unique index retrain_jobs_one_active on retrain_jobs (model_id) where status in ('pending', 'running')`.execute(db);
        await db.schema
          .createTable('activations')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('from_version', 'text')
          .addColumn('to_version', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('activations_model_idx').on('activations').columns(['model_id', 'id']).execute();
        await db.schema
          .createTable('events')
          .addColumn('seq', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('event_id', 'text', (c) => c.notNull().unique())
          .addColumn('event_type', 'text', (c) => c.notNull())
          .addColumn('run_id', 'text')
          .addColumn('model_id', 'text')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('occurred_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('artifacts')
          .addColumn('sha256', 'text', (c) => c.primaryKey())
          .addColumn('bytes', binary, (c) => c.notNull())
          .addColumn('size', bigint, (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<any>) {
        for (const t of ['artifacts', 'events', 'activations', 'retrain_jobs', 'scores', 'labels', 'model_versions', 'models']) {
          await db.schema.dropTable(t).ifExists().execute();
        }
      },
    },
    '0002-schedules': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('schedules')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('schedules_model_idx').on('schedules').columns(['model_id']).execute();
        // Keyed by schedule id, for the spec's own schedule (`<model>/default`) and extra ones alike.
        await db.schema
          .createTable('schedule_state')
          .addColumn('schedule_id', 'text', (c) => c.primaryKey())
          .addColumn('last_occurrence_at', 'text')
          .addColumn('last_job_id', 'text')
          .execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable('schedule_state').ifExists().execute();
        await db.schema.dropTable('schedules').ifExists().execute();
      },
    },
    '0003-monitoring': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('model_versions').addColumn('reference_sha256', 'text').execute();
        await db.schema.createIndex('labels_score_idx').on('labels').columns(['model_id', 'score_id']).execute();
        await db.schema
          .createTable('trigger_checks')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('checked_at', 'text', (c) => c.notNull())
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('numbers', 'text', (c) => c.notNull())
          .addColumn('job_id', 'text')
          .execute();
        await db.schema.createIndex('trigger_checks_model_idx').on('trigger_checks').columns(['model_id', 'kind', 'id']).execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable('trigger_checks').ifExists().execute();
        await db.schema.dropIndex('labels_score_idx').ifExists().execute();
        await db.schema.alterTable('model_versions').dropColumn('reference_sha256').execute();
      },
    },
    '0004-rollout': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('scores').addColumn('arm', 'text').execute();
        await db.schema.alterTable('scores').addColumn('latency_ms', double).execute();
        await db.schema.alterTable('scores').addColumn('served', 'integer', (c) => c.notNull().defaultTo(1)).execute();
        await db.schema.alterTable('scores').addColumn('shadow_of', 'text').execute();
        await db.schema.alterTable('scores').addColumn('error', 'text').execute();
        await db.schema.createIndex('scores_shadow_of_idx').on('scores').columns(['shadow_of']).execute();
        await db.schema.alterTable('model_versions').addColumn('artifact_deleted_at', 'text').execute();
        // The database itself keeps a model from having two active versions, whatever crashes.
        await sql`create unique index model_versions_one_active on model_versions (model_id) where status = 'active'`.execute(db);
        await db.schema
          .createTable('rollouts')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('mode', 'text')
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('base_version', 'text')
          .addColumn('share', double)
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('ends_at', 'text', (c) => c.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('reason', 'text')
          .addColumn('numbers', 'text')
          .execute();
        // One running challenger (canary or shadow) and one running watch per model.
        await sql`create unique index rollouts_one_running on rollouts (model_id, kind) where status = 'running'`.execute(db);
        await db.schema
          .createTable('timeline')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('version', 'text')
          .addColumn('from_version', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('numbers', 'text')
          .execute();
        await db.schema.createIndex('timeline_model_idx').on('timeline').columns(['model_id', 'id']).execute();
        await db.schema
          .createTable('rollout_intents')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('model_id', 'text', (c) => c.notNull().references('models.id').onDelete('cascade'))
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('from_version', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .execute();
        // Earlier activations become the start of each model's timeline.
        await sql`insert into timeline (model_id, at, action, version, from_version, actor, reason, numbers)
                  select model_id, created_at, action, to_version, from_version, actor, reason, null from activations order by id`.execute(db);
      },
      async down(db: Kysely<any>) {
        for (const t of ['rollout_intents', 'timeline', 'rollouts']) await db.schema.dropTable(t).ifExists().execute();
        await db.schema.dropIndex('model_versions_one_active').ifExists().execute();
        await db.schema.dropIndex('scores_shadow_of_idx').ifExists().execute();
        await db.schema.alterTable('model_versions').dropColumn('artifact_deleted_at').execute();
        for (const c of ['error', 'shadow_of', 'served', 'latency_ms', 'arm']) await db.schema.alterTable('scores').dropColumn(c).execute();
      },
    },
    '0005-job-owners': {
      // Which process runs a job, and when it last said so: start-up recovery and the periodic
      // sweep fail only jobs whose owner is gone, never those of another live process.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('retrain_jobs').addColumn('owner', 'text').execute();
        await db.schema.alterTable('retrain_jobs').addColumn('heartbeat_at', 'text').execute();
        await db.schema.alterTable('rollout_intents').addColumn('owner', 'text').execute();
      },
      async down(db: Kysely<any>) {
        for (const c of ['heartbeat_at', 'owner']) await db.schema.alterTable('retrain_jobs').dropColumn(c).execute();
        await db.schema.alterTable('rollout_intents').dropColumn('owner').execute();
      },
    },
    '0010-clean-labels-holdout': {
      // Label metadata (exclusion rules), one label per score id (the index), and the rows each
      // version trained, validated and was tested on (the fair holdout).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('labels').addColumn('meta', 'text').execute();
        await db.schema.createIndex('labels_model_score_idx').on('labels').columns(['model_id', 'score_id']).execute();
        await db.schema.alterTable('model_versions').addColumn('data_rows', 'text').execute();
        // When an occurrence last started a job: claims without one (missed, or the floor set when a schedule changes) are not runs.
        await db.schema.alterTable('schedule_state').addColumn('last_run_at', 'text').execute();
        // A schedule's own minimum of usable labels, carried by the jobs it starts.
        await db.schema.alterTable('retrain_jobs').addColumn('min_samples', bigint).execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.alterTable('retrain_jobs').dropColumn('min_samples').execute();
        await db.schema.alterTable('schedule_state').dropColumn('last_run_at').execute();
        await db.schema.alterTable('model_versions').dropColumn('data_rows').execute();
        await db.schema.dropIndex('labels_model_score_idx').ifExists().execute();
        await db.schema.alterTable('labels').dropColumn('meta').execute();
      },
    },
    '0020-byom': {
      // Bring your own model: what an import job evaluates (format and artifact), and the output
      // of command trainers, kept as the job's log.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('retrain_jobs').addColumn('import_source', 'text').execute();
        // Outcomes of externally served models name their version (there is no score to join).
        await db.schema.alterTable('labels').addColumn('version', 'text').execute();
        await db.schema
          .createTable('job_logs')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('job_id', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('job_logs_job_idx').on('job_logs').columns(['job_id', 'id']).execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable('job_logs').ifExists().execute();
        await db.schema.alterTable('retrain_jobs').dropColumn('import_source').execute();
        await db.schema.alterTable('labels').dropColumn('version').execute();
      },
    },
    '0040-event-delivery': eventDeliveryMigration(dialect),
    '0050-auth': {
      // API keys (their sha256 only) and the audit trail. Audit rows keep the model id without a
      // foreign key: the trail of a change outlives what it changed.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema
          .createTable('audit')
          .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('model_id', 'text')
          .addColumn('version', 'text')
          .addColumn('address', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('audit_model_idx').on('audit').columns(['model_id', 'id']).execute();
        await db.schema.createIndex('audit_actor_idx').on('audit').columns(['actor', 'id']).execute();
      },
      async down(db: Kysely<any>) {
        for (const t of ['audit', 'api_keys']) await db.schema.dropTable(t).ifExists().execute();
      },
    },
    '0060-hot-path-indexes': {
      // Every score and label insert maintains each index of its table. Two indexes on labels
      // (model_id, score_id) existed (0003 and 0010 each made one); one is kept, and like the
      // shadow index of scores it now holds only the rows that have the value (most labels carry
      // features rather than a score id; most scores are no shadow), so an insert without one
      // touches neither. Lookups by score id and shadow id (x = ?) still use them.
      async up(db: Kysely<any>) {
        await db.schema.dropIndex('labels_score_idx').ifExists().execute();
        await db.schema.dropIndex('labels_model_score_idx').ifExists().execute();
        await sql`create index labels_model_score_idx on labels (model_id, score_id) where score_id is not null`.execute(db);
        await db.schema.dropIndex('scores_shadow_of_idx').ifExists().execute();
        await sql`create index scores_shadow_of_idx on scores (shadow_of) where shadow_of is not null`.execute(db);
      },
      async down(db: Kysely<any>) {
        await db.schema.dropIndex('scores_shadow_of_idx').ifExists().execute();
        await db.schema.createIndex('scores_shadow_of_idx').on('scores').columns(['shadow_of']).execute();
        await db.schema.dropIndex('labels_model_score_idx').ifExists().execute();
        await db.schema.createIndex('labels_model_score_idx').on('labels').columns(['model_id', 'score_id']).execute();
        await db.schema.createIndex('labels_score_idx').on('labels').columns(['model_id', 'score_id']).execute();
      },
    },
    '0070-delivery-leases': deliveryLeasesMigration(),
    '0080-feedback-without-foreign-keys': {
      // PostgreSQL checked the foreign key of every inserted label and score with a lookup and a
      // row lock of its model: a third of a label batch's time. The store now checks and holds a
      // batch's models once (holdModels in kysely-feedback-store.ts). No model is ever deleted, so
      // the cascade was never used. SQLite keeps its keys: its check is an index probe per row,
      // and dropping one would mean copying the tables.
      async up(db: Kysely<any>) {
        if (dialect !== 'postgres') return;
        await sql`alter table labels drop constraint if exists labels_model_id_fkey`.execute(db);
        await sql`alter table scores drop constraint if exists scores_model_id_fkey`.execute(db);
      },
      async down(db: Kysely<any>) {
        if (dialect !== 'postgres') return;
        await sql`alter table labels add constraint labels_model_id_fkey foreign key (model_id) references models (id) on delete cascade`.execute(db);
        await sql`alter table scores add constraint scores_model_id_fkey foreign key (model_id) references models (id) on delete cascade`.execute(db);
      },
    },
    '0090-external-outcomes-index': {
      // Live performance reads an externally served model's outcomes (labels with a version and
      // no score id) by time. Without an index of their own that read walked every label of the
      // window to find none: 0.5 to 1.6 s a read, growing with the table, in a soak whose labels
      // all carry score ids. This index holds only those labels (none, for a model Refit serves).
      async up(db: Kysely<any>) {
        await sql`create index labels_external_idx on labels (model_id, occurred_at) where score_id is null and version is not null`.execute(db);
      },
      async down(db: Kysely<any>) {
        await db.schema.dropIndex('labels_external_idx').ifExists().execute();
      },
    },
    '0100-rollout-label-watermark': {
      // The newest label id of the model when a rollout started: no label at or below it can be of
      // a score made since, so the rollout's read of its outcomes stops there instead of walking
      // every label of the model (seconds a check under load). Null for rollouts started before
      // this migration: their read walks down to the limit of outcomes or the first label.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('rollouts').addColumn('labels_after_id', bigint).execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.alterTable('rollouts').dropColumn('labels_after_id').execute();
      },
    },
  };
}

/** Kysely migration provider for a dialect. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
