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

/** A URL as it may be logged or echoed: the event stream's `?key=` is replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, '$1[redacted]');
}

/** The problem document for an error code (`instance` with any key in it redacted). */
export function problem(code: ErrorCode, detail: string, instance: string, extra: { errors?: readonly FieldProblem[]; [k: string]: unknown } = {}): ProblemDocument {
  const def = ERROR_CATALOGUE[code];
  const { errors, ...rest } = extra;
  return {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-'),
    title: def.title,
    status: def.status,
    detail,
    instance: redactUrl(instance),
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

/**
 * Log a problem once, readably: one a client caused (4xx) at info without a stack, since the
 * server is fine; a server error (5xx) at error with the error and its stack.
 */
export function logProblem(request: FastifyRequest, doc: ProblemDocument, err?: unknown): void {
  const url = redactUrl(request.url);
  const http = { method: request.method, url, status: doc.status, code: doc.code };
  const what = `${request.method} ${url} ${doc.status} ${doc.code}`;
  // A 500's detail tells the client nothing; the log names the error itself.
  if (doc.status >= 500) request.log.error({ http, err }, `${what}: ${err instanceof Error ? err.message : doc.detail}`);
  else request.log.info({ http }, `${what}: ${doc.detail}`);
}

/** Log a problem (see {@link logProblem}) and send it as application/problem+json. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, doc: ProblemDocument, err?: unknown): FastifyReply {
  // The audit row of a refused change records this code as its outcome.
  (request as { problemCode?: string | null }).problemCode = doc.code;
  logProblem(request, doc, err);
  return reply.status(doc.status).type('application/problem+json').send(doc);
}

/** Fastify error handler: every error becomes application/problem+json, logged by {@link logProblem}; unknown ones are 500s. */
export function problemErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let doc: ProblemDocument;
  if (err instanceof RefitError) {
    doc = problem(err.code, err.message, request.url, { errors: err.errors, ...err.extra });
  } else {
    const mapped = fromFastify(err);
    doc = mapped ? problem(mapped.code, mapped.detail, request.url, { errors: mapped.errors }) : problem('INTERNAL', 'An unexpected error occurred; it has been logged.', request.url);
  }
  return sendProblem(request, reply, doc, err);
}
