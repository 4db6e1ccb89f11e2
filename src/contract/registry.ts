import { z } from 'zod';
import { isoDate, itemsSchema, metricsSchema } from './common.js';
import { featureSpecSchema, trainerSpecSchema } from './model.js';

const rowSet = z.object({ from: z.number().int(), to: z.number().int(), count: z.number().int(), sha256: z.string() });

/** One trained version of a model as the API shows it. */
export const versionSchema = z.object({
  modelId: z.string(),
  version: z.string(),
  status: z.enum(['active', 'candidate', 'rejected', 'retired', 'canary', 'shadow']),
  trainer: trainerSpecSchema,
  features: z.array(featureSpecSchema),
  /** sha256 of the drift reference sample; null when none was kept. */
  referenceSha256: z.string().nullable(),
  artifactSha256: z.string(),
  artifactBytes: z.number().int(),
  metrics: metricsSchema,
  championMetrics: metricsSchema.nullable(),
  parentVersion: z.string().nullable(),
  labelCount: z.number().int(),
  trainingSamples: z.number().int(),
  datasetHash: z.string(),
  /** Which label rows the version trained, validated and was tested on (id range, count, sha256 of the ids); null for versions from before the fair holdout. */
  dataRows: z
    .object({
      holdout: z.literal('recent'),
      train: rowSet,
      validation: rowSet,
      test: rowSet,
      excludedAsChampionTraining: z.number().int(),
    })
    .nullable(),
  decision: z.string(),
  jobId: z.string().nullable(),
  createdAt: isoDate,
  /** When retention deleted the artifact; null while kept. */
  artifactDeletedAt: isoDate.nullable(),
});
/** A model version as the API shows it. */
export type VersionWire = z.infer<typeof versionSchema>;

/** `GET …/versions`: the active version and every version, newest first. */
export const versionListSchema = z.object({ activeVersion: z.string().nullable(), items: z.array(versionSchema) });
/** `GET …/versions`. */
export type VersionListWire = z.infer<typeof versionListSchema>;

/** A change of the active version (promotion or rollback). */
export const activationSchema = z.object({
  id: z.number().int(),
  modelId: z.string(),
  fromVersion: z.string().nullable(),
  toVersion: z.string().nullable(),
  action: z.enum(['promote', 'rollback', 'force-promote']),
  reason: z.string(),
  actor: z.string(),
  createdAt: isoDate,
});
/** An activation as the API shows it. */
export type ActivationWire = z.infer<typeof activationSchema>;

/** `GET …/activations`: newest first. */
export const activationListSchema = itemsSchema(activationSchema);
