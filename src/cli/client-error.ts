import type { FieldProblem } from '../errors.js';
import { ERROR_CATALOGUE, RefitError } from '../errors.js';

/**
 * An error the user can act on, from either client: a problem document from the server or a
 * RefitError raised in-process, reduced to the same fields so both print alike.
 */
export class ClientError extends Error {
  /** Catalogue code, e.g. MODEL_NOT_FOUND (or HTTP_<status> for a non-problem response). */
  readonly code: string;
  /** Short title, e.g. "Model not found". */
  readonly title: string;
  /** HTTP status, when there is one. */
  readonly status: number | null;
  /** Every named problem (`path: message`). */
  readonly errors: readonly FieldProblem[];
  /** Other members of the problem document (e.g. `jobId`). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    fields: { code: string; title: string; detail: string; status?: number | null; errors?: readonly FieldProblem[]; extra?: Record<string, unknown> },
    options?: { cause?: unknown },
  ) {
    super(fields.detail, options);
    this.name = 'ClientError';
    this.code = fields.code;
    this.title = fields.title;
    this.status = fields.status ?? null;
    this.errors = fields.errors ?? [];
    this.extra = fields.extra ?? {};
  }

  /** The same fields from a RefitError raised in this process. */
  static fromRefitError(err: RefitError): ClientError {
    return new ClientError(
      { code: err.code, title: ERROR_CATALOGUE[err.code].title, detail: err.message, status: err.status, errors: err.errors, extra: { ...err.extra } },
      { cause: err },
    );
  }

  /** From an application/problem+json document (RFC 9457). */
  static fromProblem(doc: Record<string, unknown>, status: number): ClientError {
    const { type: _type, title, status: _status, detail, instance: _instance, code, errors, ...extra } = doc;
    const problems = Array.isArray(errors)
      ? errors.map((e: { path?: unknown; message?: unknown }) => ({ path: String(e?.path ?? '/'), message: String(e?.message ?? 'is invalid') }))
      : [];
    return new ClientError({
      code: typeof code === 'string' ? code : `HTTP_${status}`,
      title: typeof title === 'string' ? title : `HTTP ${status}`,
      detail: typeof detail === 'string' ? detail : '',
      status,
      errors: problems,
      extra,
    });
  }
}

/** Run `fn`, turning a RefitError into a ClientError (the direct client's errors read like the server's). */
export async function asClientErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RefitError) throw ClientError.fromRefitError(err);
    throw err;
  }
}
