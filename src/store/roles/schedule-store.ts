import type { ModelSchedule, ScheduleState, TriggerCheck } from '../../domain/entities.js';

/** A trigger check to store. */
export type NewTriggerCheck = Omit<TriggerCheck, 'id'>;

/**
 * When retrains are considered: extra schedules, their state (last occurrence claimed, last job),
 * and the record of trigger checks (what each look at drift and live performance decided).
 */
export interface ScheduleStore {
  /** Insert a schedule. */
  createSchedule(s: ModelSchedule): Promise<void>;
  /** Extra schedules, of one model or of all; oldest first. */
  listSchedules(modelId?: string): Promise<ModelSchedule[]>;
  /** A schedule by id, or null. */
  getSchedule(id: string): Promise<ModelSchedule | null>;
  /** Remove a schedule and its state; false when there was none. */
  deleteSchedule(id: string): Promise<boolean>;
  /** The state of these schedules (those never run are absent from the map). */
  getScheduleStates(ids: readonly string[]): Promise<Map<string, ScheduleState>>;
  /**
   * Record `occurrence` as a schedule's last one, only if it is later than the one recorded
   * (compare-and-set): true when this caller claimed it, so an occurrence runs once even with
   * several processes.
   */
  claimOccurrence(scheduleId: string, occurrence: Date): Promise<boolean>;
  /** Remember the job a schedule's occurrence started. */
  setScheduleJob(scheduleId: string, jobId: string): Promise<void>;

  /** Store a trigger check; returns it with its id. */
  insertTriggerCheck(c: NewTriggerCheck): Promise<TriggerCheck>;
  /** Newest first; optionally of one kind and one decision. */
  listTriggerChecks(modelId: string, options: { kind?: TriggerCheck['kind']; decision?: TriggerCheck['decision']; limit: number }): Promise<TriggerCheck[]>;
}
