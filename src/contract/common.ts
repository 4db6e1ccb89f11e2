import { z } from 'zod';

/**
 * Building blocks shared by the wire schemas. Every schema in src/contract lists its keys in the
 * order the API sends them: Fastify serializes responses through these schemas, and a zod object
 * writes its keys in schema order.
 */

/** An instant as ISO-8601 text (`2026-11-23T06:00:00.000Z`); plain string at run time, so serializing never rejects one. */
export const isoDate = z.string().meta({ format: 'date-time' });

/**
 * A computed number as JSON carries it: NaN and ±Infinity (a statistic over a constant column)
 * pass through and are written as null by JSON.stringify, as before the schemas existed.
 */
export const jsonNumber = z.custom<number>((v) => typeof v === 'number').meta({ type: 'number' });

/** Metric values by name (accuracy, precision, recall, f1, auc, logLoss, mae, rmse, r2, …). */
export const metricsSchema = z.record(z.string(), jsonNumber);

/**
 * The numbers behind a decision (trigger check, rollout analysis, timeline row): their keys
 * depend on the decision, so the contract leaves them open.
 */
export const numbersSchema = z.record(z.string(), z.unknown());

/** A page of `item` with the total and the paging that produced it. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}

/** `{items: [...]}` without paging. */
export function itemsSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

/** One problem with one field of a request (`/schedule/at`: message). */
export const fieldProblemSchema = z.object({ path: z.string(), message: z.string() });
/** One problem with one field of a request. */
export type FieldProblemWire = z.infer<typeof fieldProblemSchema>;

/**
 * An RFC 9457 problem document as Refit sends it (application/problem+json). Loose: some codes
 * add members, e.g. RETRAIN_IN_PROGRESS its `jobId`.
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  code: z.string(),
  errors: z.array(fieldProblemSchema).optional(),
});
/** An RFC 9457 problem document. */
export type ProblemWire = z.infer<typeof problemSchema>;

/** `GET /healthz`. */
export const healthSchema = z.object({ status: z.literal('ok'), store: z.string() });
/** `GET /healthz`. */
export type HealthWire = z.infer<typeof healthSchema>;

/** `GET /readyz`: whether this process takes traffic (its role, and each check: `ok` or why not). */
export const readinessSchema = z.object({ status: z.enum(['ready', 'not ready']), role: z.enum(['all-in-one', 'api', 'worker']), checks: z.record(z.string(), z.string()) });
/** `GET /readyz`. */
export type ReadinessWire = z.infer<typeof readinessSchema>;

/** One `refit worker` process as it last announced itself (`GET /api/v1/workers`). */
export const workerSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
  currentJob: z.object({ jobId: z.string(), modelId: z.string() }).nullable(),
});
/** `GET /api/v1/workers`: the live workers (none when retrains run in the server's own process). */
export const workerListSchema = z.object({ mode: z.enum(['in-process', 'workers']), items: z.array(workerSchema) });
/** One worker. */
export type WorkerWire = z.infer<typeof workerSchema>;
/** `GET /api/v1/workers`. */
export type WorkerListWire = z.infer<typeof workerListSchema>;

/**
 * `GET /api/v1/events`: text/event-stream frames, each `id: <seq>`, `event: <eventType>` and
 * `data: {eventId, eventType, eventVersion, occurredAt, runId, payload}`; progress frames
 * (`model.retrain.progress`) carry no id and are never replayed.
 */
export const eventStreamSchema = z
  .string()
  .describe('Server-sent events: `id: <seq>`, `event: <eventType>`, `data: {eventId, eventType, eventVersion, occurredAt, runId, payload}` per frame');
