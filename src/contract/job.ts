import { z } from 'zod';
import { isoDate, jsonNumber, metricsSchema, pageSchema } from './common.js';

/** Lifecycle of a retrain job. */
export const jobStatusSchema = z.enum(['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled']);

/** The outcome summary of a retrain run. */
export const retrainResultSchema = z.object({
  oldVersion: z.string().nullable(),
  newVersion: z.string().nullable(),
  promoted: z.boolean(),
  oldMetrics: metricsSchema.nullable(),
  newMetrics: metricsSchema.nullable(),
  /** Relative change of the primary metric in percent (positive is better), when both exist. */
  improvementPct: jsonNumber.nullable(),
  primaryMetric: z.string(),
  trainingSamples: z.number(),
  trainingMs: z.number(),
  labelCount: z.number(),
  decision: z.string(),
});

/** A retrain job as the API shows it (dates as ISO-8601, duration derived). */
export const jobSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  status: jobStatusSchema,
  trigger: z.enum(['manual', 'schedule', 'drift', 'performance', 'demo', 'import']),
  force: z.boolean(),
  stage: z.string().nullable(),
  progress: z.number().nullable(),
  stages: z.array(z.object({ name: z.string(), startedAt: isoDate, durationMs: z.number() })),
  attempts: z.number().int(),
  result: retrainResultSchema.nullable(),
  error: z.string().nullable(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  /** finishedAt - startedAt, once both exist. */
  durationMs: z.number().nullable(),
});
/** A retrain job as the API shows it. */
export type JobWire = z.infer<typeof jobSchema>;
/** The outcome summary of a retrain run. */
export type RetrainResultWire = z.infer<typeof retrainResultSchema>;
/** A job's lifecycle state. */
export type JobStatusWire = z.infer<typeof jobStatusSchema>;

/** `GET …/retrain/history`: jobs, newest first. */
export const jobPageSchema = pageSchema(jobSchema);
/** A page of retrain jobs. */
export type JobPageWire = z.infer<typeof jobPageSchema>;

/** `POST …/retrain`: the job started (202) or joined (200). */
export const retrainStartedSchema = z.object({ jobId: z.string(), status: jobStatusSchema, joined: z.boolean() });
/** `POST …/retrain`. */
export type RetrainStartedWire = z.infer<typeof retrainStartedSchema>;

/** `GET …/retrain/status`: what the model's retraining is doing now and did last. */
export const retrainStatusSchema = z.object({
  modelId: z.string(),
  status: z.union([z.literal('idle'), jobStatusSchema]),
  stage: z.string().nullable(),
  progress: z.number().nullable(),
  activeVersion: z.string().nullable(),
  /** The pending or running job, if any. */
  currentJob: jobSchema.nullable(),
  /** The most recent job that ended. */
  lastJob: jobSchema.nullable(),
  newLabels: z.number().int(),
  minNewLabels: z.number().int(),
  /** The next run of the model's own schedule; null when disabled. */
  nextRunAt: isoDate.nullable(),
});
/** A model's retrain status as the API shows it. */
export type RetrainStatusWire = z.infer<typeof retrainStatusSchema>;

/** `GET /api/v1/jobs/{id}/log`: a job's log (its command trainer's standard output and error). */
export const jobLogSchema = z.object({ jobId: z.string(), status: jobStatusSchema, log: z.string() });
/** A job's log. */
export type JobLogWire = z.infer<typeof jobLogSchema>;

/** `POST /api/v1/models/{id}/versions?format=…`: the import job (202). */
export const importStartedSchema = z.object({ jobId: z.string(), status: jobStatusSchema });
/** The import job started. */
export type ImportStartedWire = z.infer<typeof importStartedSchema>;

/** `GET …/versions/{v}/export?format=xgboost-json`: XGBoost's own `save_model` JSON, loadable by `xgboost.Booster(model_file=…)`. */
export const xgboostModelFileSchema = z.looseObject({ learner: z.record(z.string(), z.unknown()), version: z.array(z.number()) });
