import { z } from 'zod';
import { isoDate, numbersSchema, pageSchema } from './common.js';
import { rolloutPolicySchema } from './model.js';

/** A canary or shadow (kind `challenger`), or the watch after a promotion (kind `watch`). */
export const rolloutSchema = z.object({
  id: z.number().int(),
  modelId: z.string(),
  kind: z.enum(['challenger', 'watch']),
  /** Challenger only: how it receives traffic. */
  mode: z.enum(['canary', 'shadow']).nullable(),
  /** The challenger, or the watched version. */
  version: z.string(),
  /** The champion it is compared with, or the version a watch rolls back to. */
  baseVersion: z.string().nullable(),
  /** Canary only: the challenger's share of traffic. */
  share: z.number().nullable(),
  status: z.enum(['running', 'promoted', 'aborted', 'passed', 'rolled-back', 'ended']),
  startedAt: isoDate,
  /** When it is decided at the latest. */
  endsAt: isoDate,
  finishedAt: isoDate.nullable(),
  reason: z.string().nullable(),
  numbers: numbersSchema.nullable(),
});
/** A rollout as the API shows it. */
export type RolloutWire = z.infer<typeof rolloutSchema>;

/** A running canary or shadow with what its live analysis concludes now. */
export const challengerEvaluationSchema = z.object({
  rollout: rolloutSchema,
  decision: z.enum(['promote', 'abort', 'continue']),
  reason: z.string(),
  numbers: numbersSchema,
});

/** A running watch with what its live analysis concludes now. */
export const watchEvaluationSchema = z.object({
  rollout: rolloutSchema,
  decision: z.enum(['rollback', 'pass', 'continue']),
  reason: z.string(),
  numbers: numbersSchema,
});

const evaluationShape = {
  modelId: z.string(),
  evaluatedAt: isoDate,
  activeVersion: z.string().nullable(),
  challenger: challengerEvaluationSchema.nullable(),
  watch: watchEvaluationSchema.nullable(),
  /** True when the decisions were carried out (the periodic check), false for a read-only look. */
  applied: z.boolean(),
};

/** `POST …/rollout/evaluate`: one evaluation of the model's rollouts, acted on. */
export const rolloutEvaluationSchema = z.object(evaluationShape);
/** A rollout evaluation as the API shows it. */
export type RolloutEvaluationWire = z.infer<typeof rolloutEvaluationSchema>;
/** A canary or shadow under evaluation. */
export type ChallengerEvaluationWire = z.infer<typeof challengerEvaluationSchema>;
/** A watch under evaluation. */
export type WatchEvaluationWire = z.infer<typeof watchEvaluationSchema>;

/** `GET …/rollout`: the policy, the evaluation as it stands (not acted on), and recent rollouts. */
export const rolloutStateSchema = z.object({ policy: rolloutPolicySchema, ...evaluationShape, recent: z.array(rolloutSchema) });
/** The rollout state as the API shows it. */
export type RolloutStateWire = z.infer<typeof rolloutStateSchema>;

/** One row of a model's history: what happened, to which version, who or what did it and why. */
export const timelineEntrySchema = z.object({
  id: z.number().int(),
  modelId: z.string(),
  at: isoDate,
  /** e.g. `promote`, `rollback`, `force-promote`, `canary.started`, `shadow.stopped`, `watch.passed`, `retention.cleanup`, `interrupted`. */
  action: z.string(),
  version: z.string().nullable(),
  fromVersion: z.string().nullable(),
  actor: z.string(),
  reason: z.string(),
  numbers: numbersSchema.nullable(),
});
/** A timeline row as the API shows it. */
export type TimelineEntryWire = z.infer<typeof timelineEntrySchema>;

/** `GET …/timeline`: newest first. */
export const timelinePageSchema = pageSchema(timelineEntrySchema);
/** A page of the timeline. */
export type TimelinePageWire = z.infer<typeof timelinePageSchema>;

/** `POST …/retention/cleanup`: what was kept (and why), what was deleted and the bytes freed. */
export const retentionReportSchema = z.object({
  modelId: z.string(),
  keepVersions: z.number().int(),
  kept: z.array(z.object({ version: z.string(), reasons: z.array(z.string()) })),
  deleted: z.array(z.object({ version: z.string(), freedBytes: z.number() })),
  freedBytes: z.number(),
});
/** A retention report as the API shows it. */
export type RetentionReportWire = z.infer<typeof retentionReportSchema>;
