import { z } from 'zod';
import { parseWindowHours } from '../monitor/performance.js';

/*
 * Path and query schemas of the HTTP API, and the bodies the routes take as open records because
 * the service checks them itself (a model spec, a retrain configuration, a promotion, a schedule)
 * and names every bad field at once. Bodies with a fixed shape (retrain, rollback, abort) are the
 * service's own schemas (src/service/requests.ts); labels and score bodies stay beside their route.
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

/** `PUT …/retrain/config`: checked by the service against the spec's own schema. */
export const retrainConfigBody = anyObject.describe(
  '{schedule?, timezone?, enabled?, catchUp?, timeoutMinutes?, retry?, minNewLabels?, window?, autoPromote?, gates?, seed?, trainer?, triggers?, rollout?}: see the README for each field and its default',
);

/** `POST …/promote`: checked by the service, which names every bad field. */
export const promoteBody = anyObject.nullish().describe('{version, reason, actor?}');

/** `POST /api/v1/schedules`: checked by the service. */
export const scheduleBody = anyObject.describe('{modelId, schedule: cron expression or {every: "day"|"week"|"month", day?, at: "HH:MM"}, timezone?, enabled?, catchUp?: "skip"|"once"}');
