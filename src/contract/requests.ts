import { z } from 'zod';
import { parseWindowHours } from '../monitor/performance.js';

/*
 * Every request input, in zod, in one place: the path and query schemas of the HTTP API; the
 * bodies as the routes document them (open records where the facade checks the body itself and
 * names every bad field at once: a model spec, a retrain configuration, a promotion, a schedule);
 * and the schemas the facade checks inputs with, whichever surface they came from (the API, the
 * CLI in direct mode, the library). Messages are the ones users already see.
 */

/** Longest model id in a path. */
export const MAX_MODEL_ID = 64;
/** `:id` of a model. */
export const modelParams = z.object({ id: z.string().min(1).max(MAX_MODEL_ID) });
/** `:id` and `:version` of a model version. */
export const versionParams = modelParams.extend({ version: z.string().min(1).max(64) });
/** `:jobId` of a retrain job. */
export const jobParams = z.object({ jobId: z.string().min(1).max(64) });
/** `:id` of a schedule. */
export const scheduleParams = z.object({ id: z.string().min(1).max(200) });
/** `:modelId/:name` of a model's own schedules (`<model>/default`, `<model>/checks`). */
export const ownScheduleParams = z.object({ modelId: z.string().min(1).max(64), name: z.string().min(1).max(64) });

/** `?limit=&offset=`: default 20 of up to 200, from 0. */
export const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20), offset: z.coerce.number().int().min(0).default(0) });
/** `?limit=&offset=`: default 50 of up to 500, from 0. */
export const timelineQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) });
/** `POST …/retrain?force=true&join=true`: the same switches as the body, for clients that send none. */
export const retrainQuery = z
  .object({
    force: z.enum(['true', 'false']).optional().describe('Train even with fewer new labels than minNewLabels. Default false.'),
    join: z.enum(['true', 'false']).optional().describe('Return the running job instead of 409. Default false.'),
  })
  .strict();
/** `?limit=`: default 50 of up to 500. */
export const checksQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
/** `?modelId=`: only this model's schedules. */
export const schedulesQuery = z.object({ modelId: z.string().min(1).max(64).optional().describe('Only this model’s schedules.') });

/** `?window=24h&windows=7`. */
export const performanceQuery = z.object({
  window: z
    .string()
    .refine((w) => parseWindowHours(w) !== null, 'window must look like 1h, 24h or 7d, from 1h to 366d')
    .default('24h')
    .describe('Length of one window, 1h to 366d. Default 24h.'),
  windows: z.coerce.number().int().min(1).max(366).default(7).describe('How many windows, ending now. Default 7.'),
});

/** `GET /api/v1/events?after=&follow=&modelId=`. */
export const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('Send events after this id. Default: Last-Event-ID, else 0.'),
  follow: z.enum(['true', 'false']).default('true').describe('Keep the stream open. Default true.'),
  modelId: z.string().optional().describe('Only events of this model.'),
  key: z.string().optional().describe('The API key, on this route only: EventSource cannot send an authorization header. Never logged.'),
});

/** Any JSON object; the service checks it and names every bad field. */
export const anyObject = z.record(z.string(), z.unknown());

/** `POST /api/v1/models`. */
export const modelSpecBody = anyObject.describe('A model spec: {id, task, features: [{name, type}], trainer, scoreRange?, defaultScore?, classes?, retrain?, description?}');

/** `PUT …/retrain/config`: checked by the service against the spec's own schema. */
export const retrainConfigBody = anyObject.describe(
  '{schedule?, timezone?, enabled?, catchUp?, timeoutMinutes?, retry?, minNewLabels?, minSamples?, window?, autoPromote?, gates?, labels?, smokeTest?, seed?, trainer?, triggers?, rollout?}: see the README for each field and its default',
);

/** `POST …/promote`: checked by the service, which names every bad field. */
export const promoteBody = anyObject.nullish().describe('{version, reason, actor?}');

/** `POST /api/v1/schedules`: checked by the service. */
export const scheduleBody = anyObject.describe('{modelId, schedule: cron expression or {every: "day"|"week"|"month", day?, at: "HH:MM"}, timezone?, enabled?, catchUp?: "skip"|"once"}');

// ---- what the facade checks (every surface) ----


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
    /** Externally served models: the version that made the prediction this outcome is about. */
    version: z.string().min(1).max(64).optional(),
    label: z.unknown(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    /** Metadata a spec's `labels.exclude` rule can match (flat: strings, numbers, booleans, null). */
    meta: z
      .record(z.string().min(1).max(128), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
      .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
      .optional(),
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
    window: z.union([z.literal('all'), z.literal('auto'), z.object({ days: z.number().positive().max(36_500) }).strict(), z.object({ labels: z.number().int().positive() }).strict()]).optional(),
    autoPromote: z.boolean().optional(),
    // Checked whole by parseModelSpec (gates, labels and smokeTest), which names every bad field.
    gates: z.record(z.string(), z.unknown()).optional(),
    labels: z.record(z.string(), z.unknown()).optional(),
    minSamples: z.unknown().optional(),
    smokeTest: z.record(z.string(), z.unknown()).optional(),
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

/** `POST …/labels` as documented. Loose items: unknown keys reach the facade, which refuses them by name instead of dropping them. */
export const labelsBody = z.object({
  items: z
    .array(
      z.looseObject({
        features: anyObject.optional(),
        scoreId: z.string().optional(),
        label: z.unknown(),
        occurredAt: z.string().optional(),
        meta: anyObject.optional(),
      }),
    )
    .describe(`1 to ${MAX_BATCH_ITEMS} items, each with features or the scoreId of an earlier score`),
});

/** `POST …/score` as documented; the facade checks each item. */
export const scoreBody = z.object({ items: z.array(z.unknown()).describe(`1 to ${MAX_BATCH_ITEMS} items of {features, entityKey?}; entityKey makes canary routing sticky`) });

/** `POST /api/v1/keys`: `{name, scopes, expiresAt?}`. */
export const keyCreateBody = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, "must be 1 to 64 letters, digits or '_ - . @', starting with a letter or digit")
      .describe('Who holds the key, as the audit trail names them'),
    scopes: z.array(z.enum(['read', 'score', 'train', 'admin'])).min(1),
    expiresAt: z.iso.datetime({ offset: true }).nullish().describe('When it stops working; default never'),
  })
  .strict();
/** `:id` of an API key (its id or its name). */
export const keyParams = z.object({ id: z.string().min(1).max(64) });
/** `GET /api/v1/audit?modelId=&actor=&action=&since=&limit=`. */
export const auditQuery = z.object({
  modelId: z.string().min(1).max(64).optional(),
  actor: z.string().min(1).max(64).optional(),
  action: z.string().min(1).max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this moment (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
/** `?format=` of an import: the model file's format (checked by the service, which names the field). */
export const importQuery = z.object({ format: z.string().optional() });

/** `?format=` of an export; only `xgboost-json` today. */
export const exportQuery = z.object({ format: z.string().optional() });

// ---- webhooks and event delivery ----

/** `:id` of a webhook. */
export const webhookParams = z.object({ id: z.string().min(1).max(64) });
/** `:id` of a webhook and `:deliveryId` of one of its deliveries. */
export const webhookDeliveryParams = webhookParams.extend({ deliveryId: z.coerce.number().int().min(1) });
/** `:sink` (`webhook:<id>`, `redis`, `slack`). */
export const sinkParams = z.object({ sink: z.string().min(1).max(80) });
/** `:sink` and `:deliveryId`. */
export const sinkDeliveryParams = sinkParams.extend({ deliveryId: z.coerce.number().int().min(1) });
/** `?status=&limit=`: default every state, 50 of up to 500. */
export const deliveriesQuery = z.object({
  status: z.enum(['pending', 'delivered', 'dead']).optional().describe('Only deliveries in this state.'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** `POST /api/v1/webhooks` and `PATCH …/{id}`: checked by the service, which names every bad field. */
export const webhookBody = anyObject.describe('{url: http(s) URL, events: ["model.retrained", "model.*", "*", …], description?, enabled?}');

const httpUrl = z
  .string({ error: 'required: an http(s) URL' })
  .max(2000)
  .refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

const eventPattern = z.string().regex(/^(\*|[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*(\.\*)?)$/, 'must be an event type (model.retrained), a prefix with .* (model.*), or *');

/** A webhook as created: URL, the events it receives, and an optional description. */
export const webhookInputSchema = z
  .object({
    url: httpUrl,
    events: z.array(eventPattern, { error: 'required: a list of event types' }).min(1, 'must name at least one event type (or "*")').max(100),
    description: z.string().max(500).nullish(),
    enabled: z.boolean().optional(),
  })
  .strict();

/** A webhook change: any of its fields. */
export const webhookPatchSchema = webhookInputSchema.partial().strict();

// ---- storage ----

/** `POST /api/v1/storage/prune`: checked by the service, which names every bad field. Nullish: a POST without a body prunes both tables. */
export const pruneBody = anyObject.nullish().describe('{dryRun?: true to count what would go and delete nothing (default false), tables?: ["scores", "labels"] (default both)}');

/** A prune as asked: a dry run or not, and which tables. */
export const pruneInputSchema = z
  .object({
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
    tables: z
      .array(z.enum(['scores', 'labels'], { error: "must be 'scores' or 'labels'" }), { error: 'must be a list of tables: ["scores", "labels"]' })
      .min(1, 'must name at least one table')
      .max(2)
      .optional(),
  })
  .strict()
  .nullish();
