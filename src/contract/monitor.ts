import { z } from 'zod';
import { isoDate, itemsSchema, jsonNumber, metricsSchema, numbersSchema } from './common.js';

const featureKind = z.enum(['number', 'category', 'boolean']);

/** A feature whose current window held no value: nothing was tested. */
const untestedFeatureSchema = z.object({
  name: z.string(),
  kind: featureKind,
  test: z.literal('none'),
  statistic: jsonNumber,
  threshold: jsonNumber,
  drifted: z.boolean(),
  currentRows: z.number().int(),
  // Never sent for an untested feature; declared (last, so the order above stays) so that both
  // variants read alike: `f.pValue` is `number | undefined` on any feature.
  pValue: jsonNumber.optional(),
  distance: jsonNumber.optional(),
  ksStatistic: jsonNumber.optional(),
  psi: jsonNumber.optional(),
  wasserstein: jsonNumber.optional(),
  chiSquare: jsonNumber.optional(),
  dof: z.number().optional(),
});

/** A tested feature: ks / chi2 decide by p-value < threshold, wasserstein / jensen-shannon by distance > threshold. */
const testedFeatureSchema = z.object({
  name: z.string(),
  kind: featureKind,
  /** KS p-value for numbers, chi-square p-value for categories. */
  pValue: jsonNumber.optional(),
  /** Normalised Wasserstein distance for numbers, Jensen-Shannon distance (base 2) for categories. */
  distance: jsonNumber.optional(),
  currentRows: z.number().int(),
  /** Numbers only. */
  ksStatistic: jsonNumber.optional(),
  psi: jsonNumber.optional(),
  wasserstein: jsonNumber.optional(),
  /** Categories only. */
  chiSquare: jsonNumber.optional(),
  dof: z.number().optional(),
  test: z.enum(['ks', 'wasserstein', 'chi2', 'jensen-shannon']),
  statistic: jsonNumber,
  threshold: jsonNumber,
  drifted: z.boolean(),
});

/** Drift of one feature (or of the score) between the version's training data and recent scores. */
export const featureDriftSchema = z.union([untestedFeatureSchema, testedFeatureSchema]);
/** Drift of one feature. */
export type FeatureDriftWire = z.infer<typeof featureDriftSchema>;

/** Reference and current shares per bucket of one feature, for charts. */
export const distributionSchema = z.object({
  name: z.string(),
  buckets: z.array(z.object({ label: z.string(), reference: jsonNumber, current: jsonNumber })),
});
/** Chart buckets of one feature. */
export type DistributionWire = z.infer<typeof distributionSchema>;

/** `GET …/drift`: the drift report of the active version over the most recent scores. */
export const driftSchema = z.object({
  modelId: z.string(),
  version: z.string().nullable(),
  computedAt: isoDate,
  featureShare: z.number(),
  /** True when at least `featureShare` of the features drifted. */
  drifted: z.boolean(),
  driftedShare: jsonNumber,
  driftedFeatures: z.array(z.string()),
  features: z.array(featureDriftSchema),
  /** The predicted score distribution, compared the same way (not counted in the share). */
  score: featureDriftSchema.nullable(),
  distributions: z.array(distributionSchema),
  /** `ok` when a report was computed; otherwise why not. */
  status: z.enum(['ok', 'no-version', 'no-reference', 'insufficient']),
  reason: z.string(),
  referenceRows: z.number().int(),
  currentRows: z.number().int(),
});
/** A drift report as the API shows it. */
export type DriftWire = z.infer<typeof driftSchema>;

/** Live metrics of one version in one window. */
export const performanceWindowSchema = z.object({
  version: z.string().nullable(),
  start: isoDate,
  end: isoDate,
  /** Labelled outcomes in the window. */
  count: z.number().int(),
  metrics: metricsSchema,
  /** Binary only: share of outcomes whose feedback was positive. */
  acceptRate: jsonNumber.nullable(),
  /** True when the window had more outcomes than one report reads (50,000 over all its windows): its numbers are those of its most recent outcomes. */
  sampled: z.boolean(),
});
/** One performance window. */
export type PerformanceWindowWire = z.infer<typeof performanceWindowSchema>;

/** `GET …/performance`: live metrics per version per window, with each version's baseline (its test metrics). */
export const performanceSchema = z.object({
  modelId: z.string(),
  activeVersion: z.string().nullable(),
  primaryMetric: z.string(),
  windowHours: z.number(),
  baselines: z.record(z.string(), metricsSchema),
  windows: z.array(performanceWindowSchema),
});
/** Live performance as the API shows it. */
export type PerformanceWire = z.infer<typeof performanceSchema>;

const triggerKind = z.enum(['performance', 'drift', 'rate']);
const triggerDecision = z.enum(['fire', 'ok', 'cooldown', 'waiting', 'insufficient', 'disabled']);

/** One trigger's conclusion in a check. */
export const triggerOutcomeSchema = z.object({ kind: triggerKind, decision: triggerDecision, reason: z.string(), numbers: numbersSchema });
/** One trigger's conclusion. */
export type TriggerOutcomeWire = z.infer<typeof triggerOutcomeSchema>;

/** `GET …/retrain-needed` and `POST …/checks`: whether a retrain is needed, with every trigger's reasoning. */
export const retrainNeededSchema = z.object({
  modelId: z.string(),
  checkedAt: isoDate,
  needed: z.boolean(),
  reasons: z.array(z.string()),
  triggers: z.array(triggerOutcomeSchema),
  /** Set when the check started (or joined) a retrain. */
  jobId: z.string().nullable(),
});
/** A trigger evaluation as the API shows it. */
export type RetrainNeededWire = z.infer<typeof retrainNeededSchema>;

/** One stored trigger check. */
export const triggerCheckSchema = z.object({
  id: z.number().int(),
  modelId: z.string(),
  kind: triggerKind,
  checkedAt: isoDate,
  decision: triggerDecision,
  reason: z.string(),
  numbers: numbersSchema,
  jobId: z.string().nullable(),
});
/** A stored trigger check as the API shows it. */
export type TriggerCheckWire = z.infer<typeof triggerCheckSchema>;

/** `GET …/checks`: stored checks, newest first. */
export const triggerCheckListSchema = itemsSchema(triggerCheckSchema);

/** `GET …/versions/{version}/importance`: gain and split count per feature (tree models only). */
export const importanceSchema = z.object({
  modelId: z.string(),
  version: z.string(),
  /** The predictor kind of the version, e.g. `gbdt`. */
  trainer: z.string(),
  available: z.boolean(),
  reason: z.string(),
  features: z.array(z.object({ feature: z.string(), gain: jsonNumber, splits: z.number().int() })),
});
/** Feature importance as the API shows it. */
export type ImportanceWire = z.infer<typeof importanceSchema>;
