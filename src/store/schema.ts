import type { Generated } from 'kysely';

/**
 * Database rows. Timestamps are ISO-8601 UTC text (fixed width, so they sort) and structured
 * values are JSON text, so that one schema reads the same on SQLite and PostgreSQL.
 */
export interface ModelsTable {
  id: string;
  spec: string;
  active_version: string | null;
  /** Highest label id used by the last retrain that trained; newer labels count as new. */
  trained_through_label_id: number;
  created_at: string;
  updated_at: string;
}

export interface ModelVersionsTable {
  model_id: string;
  version: string;
  seq: number;
  status: string;
  trainer: string;
  features: string;
  reference_sha256: string | null;
  artifact_sha256: string;
  artifact_bytes: number;
  metrics: string;
  champion_metrics: string | null;
  parent_version: string | null;
  label_count: number;
  training_samples: number;
  dataset_hash: string;
  decision: string;
  job_id: string | null;
  created_at: string;
  /** Set when retention deleted the version's artifact. */
  artifact_deleted_at: string | null;
  /** JSON DataRows: which label ids the version trained, validated and was tested on (0010). */
  data_rows: string | null;
}

export interface LabelsTable {
  id: Generated<number>;
  model_id: string;
  features: string;
  label: string;
  score_id: string | null;
  occurred_at: string;
  received_at: string;
  /** JSON object sent with the label (0010); null when none. */
  meta: string | null;
  /** Externally served models: the version the outcome is about; null otherwise. */
  version: string | null;
}

export interface ScoresTable {
  id: string;
  model_id: string;
  version: string | null;
  features: string;
  score: string;
  created_at: string;
  /** `champion` or `challenger` (null on rows logged before 0004). */
  arm: string | null;
  latency_ms: number | null;
  /** 1 when returned to the caller; 0 for shadow scores. */
  served: Generated<number>;
  shadow_of: string | null;
  error: string | null;
}

export interface RetrainJobsTable {
  id: string;
  model_id: string;
  status: string;
  trigger: string;
  force: number;
  stage: string | null;
  progress: number | null;
  stages: string;
  attempts: number;
  result: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The process that runs the job (see retrain/job-owner.ts); null for jobs from before owners were kept. */
  owner: string | null;
  /** When the owner last confirmed it still runs the job. */
  heartbeat_at: string | null;
  /** The starting schedule's minSamples (0010); null: the spec's. */
  min_samples: number | null;
  /** Import jobs: JSON `{format, sha256}` of the model file to evaluate; null for retrains. */
  import_source: string | null;
}

export interface JobLogsTable {
  id: Generated<number>;
  job_id: string;
  text: string;
  created_at: string;
}

export interface ActivationsTable {
  id: Generated<number>;
  model_id: string;
  from_version: string | null;
  to_version: string | null;
  action: string;
  reason: string;
  actor: string;
  created_at: string;
}

export interface EventsTable {
  seq: Generated<number>;
  event_id: string;
  event_type: string;
  run_id: string | null;
  model_id: string | null;
  payload: string;
  occurred_at: string;
}

export interface ArtifactsTable {
  sha256: string;
  bytes: Uint8Array;
  size: number;
  created_at: string;
}

export interface SchedulesTable {
  id: string;
  model_id: string;
  config: string;
  created_at: string;
}

export interface ScheduleStateTable {
  schedule_id: string;
  last_occurrence_at: string | null;
  last_job_id: string | null;
  /** The occurrence that last started a job (0010). */
  last_run_at: string | null;
}

export interface TriggerChecksTable {
  id: Generated<number>;
  model_id: string;
  kind: string;
  checked_at: string;
  decision: string;
  reason: string;
  numbers: string;
  job_id: string | null;
}

export interface RolloutsTable {
  id: Generated<number>;
  model_id: string;
  kind: string;
  mode: string | null;
  version: string;
  base_version: string | null;
  share: number | null;
  status: string;
  started_at: string;
  ends_at: string;
  finished_at: string | null;
  reason: string | null;
  numbers: string | null;
  /** Newest label id of the model when the rollout started (null before migration 0100). */
  labels_after_id: number | string | null;
}

export interface TimelineTable {
  id: Generated<number>;
  model_id: string;
  at: string;
  action: string;
  version: string | null;
  from_version: string | null;
  actor: string;
  reason: string;
  numbers: string | null;
}

/** A promotion or rollback that has begun and not yet committed; what is left after a crash. */
export interface RolloutIntentsTable {
  id: Generated<number>;
  model_id: string;
  action: string;
  version: string;
  from_version: string | null;
  actor: string;
  reason: string;
  started_at: string;
  /** The process making the change; null for intents from before owners were kept. */
  owner: string | null;
}

/** API keys: only the sha256 of each key is kept. */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** JSON array of scopes. */
  scopes: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** The audit trail: who changed what, when, from where, and the outcome. */
export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  model_id: string | null;
  version: string | null;
  address: string | null;
  outcome: string;
  detail: string | null;
}

/** A webhook registered through the API. */
export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON array of event-type patterns. */
  events: string;
  description: string | null;
  secret: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** Per sink, the last outbox seq it has finished with. */
export interface DeliveryCursorsTable {
  sink: string;
  seq: number;
}

/** Per sink, the delivery worker that delivers it now and until when (see DeliveryStore.claimSinkLease). */
export interface DeliveryLeasesTable {
  sink: string;
  holder: string;
  expires_at: string;
}

/** An event's delivery to one sink. */
export interface DeliveriesTable {
  id: Generated<number>;
  sink: string;
  event_seq: number;
  event_id: string;
  event_type: string;
  model_id: string | null;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One attempt of a delivery. */
export interface DeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  at: string;
  ok: number;
  status_code: number | null;
  duration_ms: number;
  excerpt: string;
}

/** The whole database, for Kysely. */
export interface Database {
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  labels: LabelsTable;
  scores: ScoresTable;
  retrain_jobs: RetrainJobsTable;
  job_logs: JobLogsTable;
  activations: ActivationsTable;
  events: EventsTable;
  artifacts: ArtifactsTable;
  schedules: SchedulesTable;
  schedule_state: ScheduleStateTable;
  trigger_checks: TriggerChecksTable;
  rollouts: RolloutsTable;
  timeline: TimelineTable;
  rollout_intents: RolloutIntentsTable;
  api_keys: ApiKeysTable;
  audit: AuditTable;
  webhooks: WebhooksTable;
  delivery_cursors: DeliveryCursorsTable;
  delivery_leases: DeliveryLeasesTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
}
