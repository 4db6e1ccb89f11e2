import fastJson from 'fast-json-stringify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_MODEL_ID, modelParams } from '../contract/requests.js';

/**
 * A route's serializer compiler for its hottest answers (the score and label routes): a 2xx body
 * is written by fast-json-stringify, compiled once from the JSON Schema of the route's zod
 * response schema (the same schema the OpenAPI document shows), instead of being checked by zod
 * and then stringified on every request, which cost about a tenth of a single-row score. The
 * handler builds these bodies itself, so checking each one again bought nothing. Other statuses
 * (problem documents) go through the app's zod serializer as everywhere else.
 */
export function compiledResponses<T>(route: FastifyRouteSchemaDef<T>): (data: unknown) => string {
  if (!String(route.httpStatus).startsWith('2')) return serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]);
  const stringify = fastJson(z.toJSONSchema(route.schema as z.ZodType, { target: 'draft-7', io: 'output' }) as Parameters<typeof fastJson>[0]);
  return (data) => stringify(data);
}

/** What a batch route checks of its body before the facade: an object (whose `items` the facade checks, item by item). */
const batchEnvelope = z.looseObject({ items: z.unknown() });

/**
 * A batch route's validator compiler (score and label batches): the body is checked only for being
 * an object, because the facade checks `items` whole and item by item, naming every problem, and
 * zod's parse of the documented item schema (which the OpenAPI document still shows) walked all
 * 5,000 items of a label batch once more for nothing. Params go through the app's zod validator.
 */
export function batchValidator<T>(route: FastifyRouteSchemaDef<T>): ReturnType<typeof validatorCompiler> {
  const compile = validatorCompiler as unknown as (r: unknown) => ReturnType<typeof validatorCompiler>;
  if (route.httpPart !== 'params' || route.schema !== modelParams) return compile(route.httpPart === 'body' ? { ...route, schema: batchEnvelope } : route);
  // The path's model id: one string compared against the schema's bounds needs no zod parse on
  // every request; an id within them passes as it is, anything else
  // goes to zod, which words the problem as on every other route.
  const checked = compile(route);
  return (params: unknown) => {
    const id = (params as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && id.length >= 1 && id.length <= MAX_MODEL_ID && Object.keys(params as object).length === 1) return { value: params };
    return checked(params);
  };
}
