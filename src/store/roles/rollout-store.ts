import type { Rollout, TimelineEntry } from '../../domain/entities.js';
import type { Page } from './page.js';

/** A rollout to start. */
export interface NewRollout {
  readonly modelId: string;
  readonly kind: Rollout['kind'];
  readonly mode: Rollout['mode'];
  readonly version: string;
  readonly baseVersion: string | null;
  readonly share: number | null;
  readonly startedAt: Date;
  readonly endsAt: Date;
}

/** A timeline row to append. */
export type NewTimelineEntry = Omit<TimelineEntry, 'id'>;

/** A promotion or rollback about to be made (kept until its transaction commits). */
export interface RolloutIntent {
  readonly id: number;
  readonly modelId: string;
  readonly action: string;
  readonly version: string;
  readonly fromVersion: string | null;
  readonly actor: string;
  readonly reason: string;
  readonly startedAt: Date;
  /** The process making the change (see retrain/job-owner.ts). */
  readonly owner: string | null;
}

/** Rollouts (canary, shadow, watch), a model's timeline, and the intents of changes in progress. */
export interface RolloutStore {
  /**
   * Start a rollout. The caller holds the model's lock and has closed any running rollout of the
   * same kind first, so a second running one is a bug, not a conflict: it throws (a unique index).
   */
  createRollout(r: NewRollout): Promise<Rollout>;
  /** The running challenger (canary or shadow) and the running watch of a model. */
  runningRollouts(modelId: string): Promise<{ challenger: Rollout | null; watch: Rollout | null }>;
  /** Every running rollout, of every model. */
  listRunningRollouts(): Promise<Rollout[]>;
  /** Close a running rollout; false when it was no longer running (someone else decided it). */
  finishRollout(id: number, patch: { status: Exclude<Rollout['status'], 'running'>; reason: string; numbers: Readonly<Record<string, unknown>> | null; at: Date }): Promise<boolean>;
  /** Newest first. */
  listRollouts(modelId: string, limit: number): Promise<Rollout[]>;

  /** Append a row to a model's timeline. */
  appendTimeline(e: NewTimelineEntry): Promise<TimelineEntry>;
  /** Newest first. */
  listTimeline(modelId: string, page: { limit: number; offset: number }): Promise<Page<TimelineEntry>>;

  /** Record a promotion or rollback before its transaction starts (committed on its own). */
  beginIntent(i: Omit<RolloutIntent, 'id'>): Promise<number>;
  /** Remove an intent (inside the change's transaction, so it goes exactly when the change commits). */
  clearIntent(id: number): Promise<void>;
  /** Intents not yet cleared: those of a process that stopped mid-change, and those in progress. */
  listIntents(): Promise<RolloutIntent[]>;
}
