/**
 * The error catalogue: every error a client can cause has a stable code, an HTTP status and a
 * title. One handler (src/http/problem.ts) turns any RefitError into application/problem+json
 * (RFC 9457). docs/errors.md documents every code; a test keeps the two in step.
 */

/** One entry of the catalogue. */
export interface ErrorDefinition {
  readonly status: number;
  readonly title: string;
}

/** Every error code Refit returns, with its HTTP status and title. */
export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  VALIDATION_FAILED: { status: 400, title: 'The request failed validation' },
  INVALID_JSON: { status: 400, title: 'The body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be JSON' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  MODEL_NOT_FOUND: { status: 404, title: 'Model not found' },
  MODEL_EXISTS: { status: 409, title: 'A model with this id already exists' },
  VERSION_NOT_FOUND: { status: 404, title: 'Model version not found' },
  JOB_NOT_FOUND: { status: 404, title: 'Retrain job not found' },
  SCORE_NOT_FOUND: { status: 404, title: 'Score not found' },
  SCHEDULE_NOT_FOUND: { status: 404, title: 'Schedule not found' },
  SCHEDULE_IS_DEFAULT: { status: 409, title: "A model's own schedule cannot be deleted" },
  RETRAIN_IN_PROGRESS: { status: 409, title: 'A retrain of this model is already pending or running' },
  JOB_FINISHED: { status: 409, title: 'The retrain job has already finished' },
  ROLLBACK_IMPOSSIBLE: { status: 409, title: 'There is no version to roll back to' },
  PROMOTION_IMPOSSIBLE: { status: 409, title: 'The version cannot be promoted' },
  VERSION_NOT_RETAINED: { status: 409, title: "The version's artifact was deleted by retention" },
  ROLLOUT_NOT_RUNNING: { status: 409, title: 'No canary or shadow is running' },
  PRUNE_IN_PROGRESS: { status: 409, title: 'A prune of old scores and labels is already running' },
  UNAUTHORIZED: { status: 401, title: 'A valid API key is required' },
  FORBIDDEN: { status: 403, title: 'The API key may not do this' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  KEY_NAME_TAKEN: { status: 409, title: 'An API key with this name already exists' },
  WEBHOOK_NOT_FOUND: { status: 404, title: 'Webhook not found' },
  SINK_NOT_FOUND: { status: 404, title: 'Event sink not found' },
  DELIVERY_NOT_FOUND: { status: 404, title: 'Delivery not found' },
  UNKNOWN_TRAINER: { status: 400, title: 'Unknown trainer' },
  EXPORT_UNSUPPORTED: { status: 409, title: 'The version cannot be exported in this format' },
  EXTERNAL_SERVING: { status: 409, title: 'The model is served outside Refit' },
  ARTIFACT_CORRUPT: { status: 500, title: 'A stored model artifact failed its checksum' },
  SERVER_UNAVAILABLE: { status: 503, title: 'The Refit server cannot be reached' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ErrorDefinition>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** One named problem inside a refused request (a field and what is wrong with it). */
export interface FieldProblem {
  /** JSON-pointer-like path, e.g. `/items/3/features/age`. */
  readonly path: string;
  readonly message: string;
}

/** An error that a client caused or can act on; carries its catalogue code. */
export class RefitError extends Error {
  /** Catalogue code. */
  readonly code: ErrorCode;
  /** Every problem found, when the error is about input. */
  readonly errors: readonly FieldProblem[];
  /** Extra members for the problem document (e.g. `jobId`). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { errors?: readonly FieldProblem[]; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RefitError';
    this.code = code;
    this.errors = options.errors ?? [];
    this.extra = options.extra ?? {};
  }

  /** HTTP status from the catalogue. */
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/**
 * A failure that retrying cannot fix (bad data, an invalid spec, a gate refusal); the job runner
 * never retries these (BullMQ's UnrecoverableError).
 */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}

/** Normalise anything thrown into an Error, keeping the original as `cause` (graphile-worker's coerceError). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const message = typeof thrown === 'string' ? thrown : safeStringify(thrown);
  return new Error(message, { cause: thrown });
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
