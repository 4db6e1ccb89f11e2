import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, FieldProblem } from '../errors.js';
import { ERROR_CATALOGUE, RefitError } from '../errors.js';

/** Base of every problem `type` URI; `<base><code-in-kebab-case>` names the error. */
export const PROBLEM_TYPE_BASE = 'https://refit.dev/problems/';

/** An RFC 9457 problem document as Refit sends it. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly code: ErrorCode;
  readonly errors?: readonly FieldProblem[];
  readonly [extra: string]: unknown;
}

/** The problem document for an error code. */
export function problem(code: ErrorCode, detail: string, instance: string, extra: { errors?: readonly FieldProblem[]; [k: string]: unknown } = {}): ProblemDocument {
  const def = ERROR_CATALOGUE[code];
  const { errors, ...rest } = extra;
  return {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-'),
    title: def.title,
    status: def.status,
    detail,
    instance,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
    ...rest,
  };
}

/** Map Fastify's own errors (body parsing, limits, schema validation) onto catalogue codes. */
function fromFastify(err: FastifyError): { code: ErrorCode; detail: string; errors?: FieldProblem[] } | null {
  if (Array.isArray(err.validation) && err.validation.length > 0) {
    const where = err.validationContext ?? 'body';
    const base = where === 'body' ? '' : '/' + where;
    const errors = err.validation.flatMap((v) => {
      const at = `${base}${v.instancePath === '/' ? '' : v.instancePath || ''}`;
      // An unknown key is named by its own path, as zodProblems does for the service's own checks.
      const keys = (v.params as { keys?: unknown } | undefined)?.keys;
      if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) return keys.map((k) => ({ path: `${at}/${String(k)}`, message: `unknown field '${String(k)}'` }));
      return [{ path: at || '/', message: v.message ?? 'is invalid' }];
    });
    return { code: 'VALIDATION_FAILED', detail: `The request ${where} failed validation: ${errors.length} problem${errors.length === 1 ? '' : 's'}.`, errors };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE', detail: err.message };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the body as application/json.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'INVALID_JSON', detail: 'The body is empty; send a JSON document.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'INVALID_JSON', detail: err.message };
    default:
      break;
  }
  if (err instanceof SyntaxError || err.name === 'SyntaxError') return { code: 'INVALID_JSON', detail: `The body is not valid JSON: ${err.message}` };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: err.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : err.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', detail: err.message };
  }
  return null;
}

/** Fastify error handler: every error becomes application/problem+json; unknown ones are 500s and logged. */
export function problemErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let doc: ProblemDocument;
  if (err instanceof RefitError) {
    doc = problem(err.code, err.message, request.url, { errors: err.errors, ...err.extra });
    if (err.status >= 500) request.log.error({ err }, err.message);
  } else {
    const mapped = fromFastify(err);
    if (mapped) doc = problem(mapped.code, mapped.detail, request.url, { errors: mapped.errors });
    else {
      request.log.error({ err }, 'unhandled error');
      doc = problem('INTERNAL', 'An unexpected error occurred; it has been logged.', request.url);
    }
  }
  return reply.status(doc.status).type('application/problem+json').send(doc);
}
