import { z } from 'zod';
import { parseWindowHours } from '../monitor/performance.js';

/*
 * Path, query and body schemas of the HTTP API. Bodies that the service checks itself (a model
 * spec, a retrain configuration, a promotion, a schedule) are open records here, so that its
 * messages name every bad field at once; labels and score bodies stay beside their route, whose
 * description names the service's batch limit.
 */

/** `:id` of a model. */
export const modelParams = z.object({ id: z.string().min(1).max(64) });
/** `:id` and `:version` of a model version. */
export const versionParams = modelParams.extend({ version: z.string().min(1).max(64) });
/** `:jobId` of a retrain job. */
export const jobParams = z.object({ jobId: z.string().min(1).max(64) });
/** `:id` of a schedule. */
export const scheduleParams = z.object({ id: z.string().min(1).max(200) });

/** `?limit=&offset=`: default 20 of up to 200, from 0. */
export const historyQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20), offset: z.coerce.number().int().min(0).default(0) });
/** `?limit=&offset=`: default 50 of up to 500, from 0. */
export const timelineQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) });
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
});

/** Any JSON object; the service checks it and names every bad field. */
export const anyObject = z.record(z.string(), z.unknown());

/** `POST /api/v1/models`. */
export const modelSpecBody = anyObject.describe('A model spec: {id, task, features: [{name, type}], trainer, scoreRange?, defaultScore?, classes?, retrain?, description?}');

/** `POST …/retrain`; nullish: a POST without a body starts a plain manual retrain. */
export const retrainBody = z
  .object({
    force: z.boolean().optional().describe('Train even with fewer new labels than minNewLabels. Default false.'),
    join: z.boolean().optional().describe('Return the running job instead of 409. Default false.'),
  })
  .strict()
  .nullish();

/** `PUT …/retrain/config`: checked by the service against the spec's own schema. */
export const retrainConfigBody = anyObject.describe(
  '{schedule?, timezone?, enabled?, catchUp?, timeoutMinutes?, retry?, minNewLabels?, window?, autoPromote?, gates?, seed?, trainer?, triggers?, rollout?}: see the README for each field and its default',
);

/**
 * `POST …/rollback`; nullish: a POST without a body means "the previous version". `actor`: who
 * asks (recorded on the activation and the timeline), as for promote; default 'api'.
 */
export const rollbackBody = z
  .object({ version: z.string().min(1).optional(), reason: z.string().min(1).max(2000).optional(), actor: z.string().min(1).max(200).optional() })
  .strict()
  .nullish();

/** `POST …/rollout/abort`. */
export const abortBody = z.object({ reason: z.string().min(1).max(2000).optional() }).strict().nullish();

/** `POST …/promote`: checked by the service, which names every bad field. */
export const promoteBody = anyObject.nullish().describe('{version, reason, actor?}');

/** `POST /api/v1/schedules`: checked by the service. */
export const scheduleBody = anyObject.describe('{modelId, schedule: cron expression or {every: "day"|"week"|"month", day?, at: "HH:MM"}, timezone?, enabled?, catchUp?: "skip"|"once"}');
