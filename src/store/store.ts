import type { ArtifactStore } from './artifact-store.js';
import type { AuthStore } from './roles/auth-store.js';
import type { DeliveryStore } from './roles/delivery-store.js';
import type { FeedbackStore } from './roles/feedback-store.js';
import type { JobStore } from './roles/job-store.js';
import type { LabelWindowStore } from './roles/label-window-store.js';
import type { OutboxStore } from './roles/outbox-store.js';
import type { RegistryStore } from './roles/registry-store.js';
import type { RetentionStore } from './roles/retention-store.js';
import type { RolloutStore } from './roles/rollout-store.js';
import type { ScheduleStore } from './roles/schedule-store.js';

// The role interfaces and their value types, re-exported so that `store.js` still names them all.
export type { ArtifactStore } from './artifact-store.js';
export type { AuditFilter, AuthStore, NewAuditEntry } from './roles/auth-store.js';
export type { AttemptRecord, DeliveryStore, WebhookPatch } from './roles/delivery-store.js';
export type { FeedbackStore, LabelRow, NewLabel, Outcome, RawLabelRow, RolloutOutcome, ServingStats } from './roles/feedback-store.js';
export { parseLabelRow } from './roles/feedback-store.js';
export type { CreateJobResult, JobOwnership, JobPatch, JobStore, NewJob } from './roles/job-store.js';
export type { LabelSpan, LabelWindowStore } from './roles/label-window-store.js';
export type { NewEvent, OutboxStore } from './roles/outbox-store.js';
export type { Page } from './roles/page.js';
export type { ActivationInput, CreateModelResult, RegistryStore } from './roles/registry-store.js';
export type { LabelPruneRule, PruneBatch, PruneBatchResult, RetentionStore, ScorePruneRule, StorageStats, TableStorage } from './roles/retention-store.js';
export type { NewRollout, NewTimelineEntry, RolloutIntent, RolloutStore } from './roles/rollout-store.js';
export type { NewTriggerCheck, ScheduleStore } from './roles/schedule-store.js';

/**
 * Everything Refit keeps: every role's store over one database, plus transactions (MLflow's store
 * abstraction). Implemented with Kysely for SQLite and PostgreSQL; nothing outside src/store sees
 * SQL. A module that needs only some roles types its dependency as those roles (e.g.
 * `FeedbackStore & RegistryStore`); one that needs `transaction` takes the whole Store.
 */
export interface Store extends RegistryStore, FeedbackStore, LabelWindowStore, JobStore, ScheduleStore, RolloutStore, OutboxStore, AuthStore, DeliveryStore, RetentionStore {
  /** The dialect in use. */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Where artifact bytes live (the database, or a directory). Inside a transaction it is bound to
   * it: bytes deleted there go when it commits and stay when it rolls back.
   */
  readonly artifacts: ArtifactStore;
  /**
   * Run `fn` in one transaction, handing it a Store bound to that transaction: everything it writes
   * through it commits together or not at all (a promotion, its history row and its event). Inside
   * a transaction, joins it.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /**
   * SQLite only: a number that changes whenever another process commits to the database (SQLite's
   * data_version), so that a cache of what this process last read can tell when it is stale.
   * Absent on PostgreSQL.
   */
  dataVersion?(): number;
  /** Release connections. */
  close(): Promise<void>;
}
