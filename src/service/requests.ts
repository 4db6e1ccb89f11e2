import { z } from 'zod';

/**
 * Every request input the facade (and the HTTP routes in front of it) accepts, as zod schemas in
 * one place. Messages are the ones users already see: a schema names each problem by its path.
 */

/** Largest number of items in one labels or score request. */
export const MAX_BATCH_ITEMS = 10_000;

/** Longest entity key accepted on a score item. */
export const MAX_ENTITY_KEY = 256;

/** The `items` of a labels request: 1 to MAX_BATCH_ITEMS of anything (each item is checked by `labelItemSchema`). */
export const labelBatchSchema = z
  .array(z.unknown(), { error: 'must be an array' })
  .min(1, 'must hold at least one item')
  .max(MAX_BATCH_ITEMS, `at most ${MAX_BATCH_ITEMS} items per request`);

/** One labels item as received: features or the id of an earlier score, and the label (checked against the model). */
export const labelItemSchema = z
  .object({
    features: z.unknown().optional(),
    scoreId: z.string().min(1).max(64).optional(),
    label: z.unknown(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const scoreBatchMessage = `must be an array of 1 to ${MAX_BATCH_ITEMS} items`;

/** The `items` of a score request: 1 to MAX_BATCH_ITEMS of anything (each item is checked by `scoreItemSchema`). */
export const scoreBatchSchema = z.array(z.unknown(), { error: scoreBatchMessage }).min(1, scoreBatchMessage).max(MAX_BATCH_ITEMS, scoreBatchMessage);

const entityKeyMessage = `must be a string of 1 to ${MAX_ENTITY_KEY} characters`;

/** One score item: its features (checked against the model) and an optional entity key for sticky canary routing. */
export const scoreItemSchema = z
  .object(
    {
      features: z.unknown().optional(),
      entityKey: z.string({ error: entityKeyMessage }).min(1, entityKeyMessage).max(MAX_ENTITY_KEY, entityKeyMessage).nullish(),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object with features' : undefined) },
  )
  .strict();

/** The per-model retrain configuration accepted by `PUT …/retrain/config` (every field optional). */
export const retrainConfigInputSchema = z
  .object({
    // Checked by parseSchedule (through parseModelSpec), which names the exact problem.
    schedule: z.unknown().optional(),
    timezone: z.unknown().optional(),
    triggers: z.record(z.string(), z.unknown()).optional(),
    enabled: z.unknown().optional(),
    catchUp: z.unknown().optional(),
    minNewLabels: z.number().int().min(0).optional(),
    window: z.union([z.literal('all'), z.object({ days: z.number().positive().max(36_500) }).strict(), z.object({ labels: z.number().int().positive() }).strict()]).optional(),
    autoPromote: z.boolean().optional(),
    gates: z.object({ minimums: z.record(z.string(), z.number().finite()).optional(), maxDegradation: z.number().min(0).max(1).optional() }).strict().optional(),
    seed: z.number().int().optional(),
    timeoutMinutes: z.number().positive().max(24 * 60).optional(),
    retry: z
      .object({ retries: z.number().int().min(0).max(10).optional(), initialDelaySeconds: z.number().min(0).max(86_400).optional(), maxDelaySeconds: z.number().min(0).max(86_400).optional() })
      .strict()
      .optional(),
    trainer: z.union([z.string().min(1), z.object({ type: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() }).strict()]).optional(),
    // Checked whole by parseModelSpec, which names every bad field.
    rollout: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** `POST …/promote`: the version, why (required: it is audited), and optionally who. */
export const promoteInputSchema = z
  .object({
    version: z.string().min(1).max(128),
    reason: z.string().trim().min(1, 'required: say why the version is promoted past its checks').max(2000),
    actor: z.string().min(1).max(200).optional(),
  })
  .strict();

/**
 * `POST /api/v1/schedules`: the model and kind; every other field (`schedule`, `timezone`,
 * `enabled`, `catchUp`) passes through to parseSchedule, which names its own problems.
 */
export const scheduleInputSchema = z.looseObject(
  {
    modelId: z.string({ error: 'required: the id of the model to retrain' }).min(1, 'required: the id of the model to retrain'),
    kind: z.literal('retrain', { error: "the only kind is 'retrain'" }).optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) },
);

/**
 * `POST …/rollback`: which version (default: the one active before), why, and who (default 'api').
 * Nullish: a POST without a body means "the previous version".
 */
export const rollbackBodySchema = z
  .object({ version: z.string().min(1).optional(), reason: z.string().min(1).max(2000).optional(), actor: z.string().min(1).max(200).optional() })
  .strict()
  .nullish();

/** `POST …/rollout/abort`: an optional reason. Nullish: a POST without a body aborts with none. */
export const abortBodySchema = z.object({ reason: z.string().min(1).max(2000).optional() }).strict().nullish();

/** `POST …/retrain`: force and join, both default false. Nullish: a POST without a body starts a plain manual retrain. */
export const retrainBodySchema = z
  .object({
    force: z.boolean().optional().describe('Train even with fewer new labels than minNewLabels. Default false.'),
    join: z.boolean().optional().describe('Return the running job instead of 409. Default false.'),
  })
  .strict()
  .nullish();
