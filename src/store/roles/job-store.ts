import type { ImportSource } from '../../domain/import-source.js';
import type { JobStage, JobStatus, JobTrigger, RetrainJob, RetrainResult } from '../../domain/entities.js';
import type { Page } from './page.js';

/** What recovery reads of a pending or running job to decide whether its owner is gone. */
export interface JobOwnership {
  /** `<host>/<pid>/<instance>` of the process running it; null for jobs from before owners were kept. */
  readonly owner: string | null;
  /** Last heartbeat; the creation time when none was recorded. */
  readonly heartbeatAt: Date;
}

/** A retrain job to create. */
export interface NewJob {
  readonly id: string;
  readonly modelId: string;
  readonly trigger: JobTrigger;
  readonly force: boolean;
  /** The starting schedule's minimum of usable labels. Default null (the spec's). */
  readonly minSamples?: number | null;
  readonly at: Date;
  /** The process that will run it (see retrain/job-owner.ts); its heartbeat starts at `at`. Default: none. */
  readonly owner?: string | null;
  /** An import job's model file. Default: none (a retrain). */
  readonly importSource?: ImportSource | null;
}

/**
 * What `createJob` did: created the job, or met the model's pending or running one (null when it
 * ended between the refusal and the read). The caller decides what a conflict means.
 */
export type CreateJobResult = { readonly ok: true; readonly job: RetrainJob } | { readonly ok: false; readonly active: RetrainJob | null };

/** Fields of a job that the runner updates as it goes. */
export interface JobPatch {
  readonly status?: JobStatus;
  readonly stage?: string | null;
  readonly progress?: number | null;
  readonly stages?: readonly JobStage[];
  readonly attempts?: number;
  readonly result?: RetrainResult | null;
  readonly error?: string | null;
  readonly startedAt?: Date | null;
  readonly finishedAt?: Date | null;
  /** The process now running it (a worker taking the job over); its heartbeat restarts at `heartbeatAt`. */
  readonly owner?: string | null;
  /** Heartbeat time written with a new owner. Default: unchanged. */
  readonly heartbeatAt?: Date;
}

/** Retrain jobs: at most one pending or running per model, with their owner process and its heartbeat. */
export interface JobStore {
  /** Create a pending job, unless the model has one pending or running (then `{ ok: false }`). */
  createJob(input: NewJob): Promise<CreateJobResult>;
  /** Update a job; returns it as it now is (throws JOB_NOT_FOUND for an unknown id). */
  updateJob(id: string, patch: JobPatch): Promise<RetrainJob>;
  /** A job by id, or null. */
  getJob(id: string): Promise<RetrainJob | null>;
  /** The pending or running job of a model, if any. */
  findActiveJob(modelId: string): Promise<RetrainJob | null>;
  /** Newest first. */
  listJobs(modelId: string, page: { limit: number; offset: number }): Promise<Page<RetrainJob>>;
  /** Renew the heartbeat of an owner's pending and running jobs. Returns how many. */
  heartbeatJobs(owner: string, at: Date): Promise<number>;
  /**
   * Mark failed the pending or running jobs that `isOrphan` says their owner left (each a
   * compare-and-set on the owner and heartbeat read). Returns them.
   */
  failOrphanedJobs(isOrphan: (job: JobOwnership) => boolean, at: Date, reason: string): Promise<RetrainJob[]>;
  /** Append output to a job's log (command trainers' standard output and error). */
  appendJobLog(jobId: string, text: string, at: Date): Promise<void>;
  /** A job's whole log, oldest first ('' when it has none). */
  getJobLog(jobId: string): Promise<string>;
}
