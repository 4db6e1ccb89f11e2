import { z } from 'zod';
import { isoDate, itemsSchema } from './common.js';

/** One declared input of a model. */
export const featureSpecSchema = z.object({ name: z.string(), type: z.enum(['number', 'category', 'boolean', 'text']) });

/** A trainer by name with its parameters (each trainer has its own). */
export const trainerSpecSchema = z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) });

/** When a schedule runs: a cron expression (or nickname such as `@daily`), or a simple form. */
export const scheduleSpecSchema = z.union([
  z.string(),
  z.discriminatedUnion('every', [
    z.object({ every: z.literal('day'), at: z.string() }),
    z.object({ every: z.literal('week'), day: z.string(), at: z.string() }),
    z.object({ every: z.literal('month'), at: z.string() }),
  ]),
]);

/** Which labels a retrain learns from, in the form a spec writes it. */
export const trainingWindowSchema = z.union([z.literal('all'), z.literal('auto'), z.object({ days: z.number() }), z.object({ labels: z.number().int() })]);

const liveThresholds = { minSuccessRate: z.number(), maxErrorRate: z.number(), maxLatencyP95Ms: z.number() };

/** When the monitor retrains by itself, and how often it checks. */
export const triggersSchema = z.object({
  checkSchedule: z.string(),
  performance: z.object({ enabled: z.boolean(), maxDropPct: z.number(), maxErrorRisePct: z.number(), minLabels: z.number(), windowHours: z.number(), cooldownHours: z.number() }),
  drift: z.object({ enabled: z.boolean(), featureShare: z.number(), windowScores: z.number(), minScores: z.number(), delayHours: z.number(), cooldownHours: z.number(), force: z.boolean() }),
  rate: z.object({ enabled: z.boolean(), windowHours: z.number(), lastWindows: z.number(), below: z.number(), minWindows: z.number(), cooldownHours: z.number() }),
});

/** How a challenger reaches traffic, when a promoted version is rolled back, and how many versions are kept. */
export const rolloutPolicySchema = z.object({
  policy: z.enum(['direct', 'canary', 'shadow']),
  canaryShare: z.number(),
  steps: z.array(z.number()).nullable().optional(),
  durationHours: z.number(),
  minLabels: z.number(),
  minScores: z.number(),
  significance: z.number(),
  thresholds: z.object(liveThresholds),
  watchHours: z.number(),
  rollback: z.object({ ...liveThresholds, minLabels: z.number() }),
  keepVersions: z.number(),
});

/** How and when a model retrains, every default filled in (the window in input form). */
export const retrainPolicySchema = z.object({
  schedule: scheduleSpecSchema,
  timezone: z.string().nullable(),
  enabled: z.boolean(),
  catchUp: z.enum(['skip', 'once']),
  minNewLabels: z.number().int(),
  window: trainingWindowSchema,
  autoPromote: z.boolean(),
  gates: z.object({
    minimums: z.record(z.string(), z.number()),
    maxDegradation: z.number(),
    minImprovement: z.number().nullable(),
    guards: z.record(z.string(), z.number()),
    significance: z.object({ alpha: z.number(), resamples: z.number().int(), require: z.boolean() }),
  }),
  labels: z.object({
    exclude: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullable(),
    duplicates: z.enum(['replace', 'refuse']),
  }),
  minSamples: z.number().int(),
  smokeTest: z.object({ rows: z.number().int(), maxLatencyMs: z.number() }),
  seed: z.number().int(),
  timeoutMinutes: z.number(),
  retry: z.object({ retries: z.number().int(), initialDelaySeconds: z.number(), maxDelaySeconds: z.number() }),
  triggers: triggersSchema,
  rollout: rolloutPolicySchema,
});

/** A model as the API shows it: its spec in input form plus its state. */
export const modelSchema = z.object({
  id: z.string(),
  task: z.enum(['binary', 'multiclass', 'regression']),
  description: z.string(),
  features: z.array(featureSpecSchema),
  trainer: trainerSpecSchema,
  scoreRange: z.tuple([z.number(), z.number()]).nullable(),
  defaultScore: z.number(),
  classes: z.array(z.string()).nullable(),
  retrain: retrainPolicySchema,
  /** `refit`, or `external` when the application serves the model and Refit only keeps it fresh. */
  serving: z.enum(['refit', 'external']),
  activeVersion: z.string().nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
/** `GET /api/v1/models`. */
export const modelListSchema = itemsSchema(modelSchema);
/** A model as the API shows it. */
export type ModelWire = z.infer<typeof modelSchema>;
/** A model's retrain policy as the API shows it. */
export type RetrainPolicyWire = z.infer<typeof retrainPolicySchema>;
/** The monitor's triggers. */
export type TriggersWire = z.infer<typeof triggersSchema>;
/** A schedule's timing: cron text or `{every, day?, at}`. */
export type ScheduleSpecWire = z.infer<typeof scheduleSpecSchema>;

/** `GET …/retrain/config` and `PUT …/retrain/config`: the policy, the trainer, and the schedule as resolved now. */
export const retrainConfigSchema = retrainPolicySchema.extend({
  trainer: trainerSpecSchema,
  scheduleDescription: z.string(),
  effectiveTimezone: z.string(),
  nextRunAt: isoDate.nullable(),
});
/** A model's retrain configuration as the API shows it. */
export type RetrainConfigWire = z.infer<typeof retrainConfigSchema>;

/** `POST …/labels` (201): how many labels were stored, and their ids. */
export const labelsAcceptedSchema = z.object({ accepted: z.number().int(), ids: z.array(z.number().int()) });
/** `POST …/labels` (201). */
export type LabelsAcceptedWire = z.infer<typeof labelsAcceptedSchema>;

/** One scored row: the score, the version that made it (null: the default score) and the arm that served it. */
export const scoreItemSchema = z.object({
  scoreId: z.string(),
  /** Binary: P(positive) in the score range; regression: the value; multiclass: probability per class. */
  score: z.union([z.number(), z.record(z.string(), z.number())]),
  /** Multiclass only: the most probable class (null with no version). */
  label: z.string().nullable().optional(),
  version: z.string().nullable(),
  arm: z.enum(['champion', 'challenger']),
});
/** One scored row. */
export type ScoreItemWire = z.infer<typeof scoreItemSchema>;

/** `POST …/score`: one item per row sent, in order. */
export const scoreResponseSchema = itemsSchema(scoreItemSchema);
