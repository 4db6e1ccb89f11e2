import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler, preParsingHookHandler } from 'fastify';
import type { ApiKey, Scope } from '../domain/auth.js';
import { allows } from '../domain/auth.js';
import type { KeyRefusal } from '../auth/keys.js';
import type { Refit } from '../service/index.js';
import { problem, sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key that authenticated this request; null without one. */
    refitKey: ApiKey | null;
    /** What the handler adds to this request's audit row (the version it activated, a job id). */
    auditNote: { version?: string | null; detail?: Record<string, unknown> } | null;
    /** The problem code this request was refused with, if any (the audit row's outcome). */
    problemCode: string | null;
  }
}

/** Options of the access control. */
export interface AccessOptions {
  /** `required`: every API route needs a key with the route's scope. Default `off`. */
  readonly auth?: 'off' | 'required';
}

/**
 * The scope a route needs, from its method and pattern (`/api/v1/models/:id/score`), or null when
 * it needs none: everything outside `/api/` (liveness and readiness, the dashboard's files, the
 * API docs), CORS preflights, and `GET /api/v1/auth`, which says whether a key is needed. Every
 * other GET needs `read` (the key list and the storage report: `admin`); scoring and labels `score`; retrains, checks,
 * job cancels and the retrain config `train`; any other change `admin`, also for routes added
 * later, so a new route is closed until it is placed.
 */
export function requiredScope(method: string, route: string): Scope | null {
  if (method === 'OPTIONS' || !route.startsWith('/api/')) return null;
  if (route === '/api/v1/auth') return null;
  if (method === 'GET' || method === 'HEAD') return route.startsWith('/api/v1/keys') || route.startsWith('/api/v1/storage') ? 'admin' : 'read';
  if (/^\/api\/v1\/models\/:id\/(score|labels)$/.test(route)) return 'score';
  if (/^\/api\/v1\/models\/:id\/(retrain|checks|retrain\/config)$/.test(route) || route === '/api/v1/jobs/:jobId/cancel') return 'train';
  return 'admin';
}

/** The audit action of a change, or null for requests that are not audited (reads, scores, labels). */
export function auditAction(method: string, route: string): string | null {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || !route.startsWith('/api/')) return null;
  const known: Record<string, string> = {
    'POST /api/v1/models': 'model.create',
    'POST /api/v1/models/:id/retrain': 'retrain.start',
    'PUT /api/v1/models/:id/retrain/config': 'retrain.config',
    'POST /api/v1/models/:id/checks': 'checks.run',
    'POST /api/v1/jobs/:jobId/cancel': 'job.cancel',
    'POST /api/v1/models/:id/rollback': 'model.rollback',
    'POST /api/v1/models/:id/versions': 'version.import',
    'POST /api/v1/models/:id/promote': 'model.promote',
    'POST /api/v1/models/:id/rollout/evaluate': 'rollout.evaluate',
    'POST /api/v1/models/:id/rollout/abort': 'rollout.abort',
    'POST /api/v1/models/:id/retention/cleanup': 'retention.cleanup',
    'POST /api/v1/schedules': 'schedule.create',
    'DELETE /api/v1/schedules/:id': 'schedule.delete',
    'POST /api/v1/keys': 'key.create',
    'DELETE /api/v1/keys/:id': 'key.revoke',
    'POST /api/v1/webhooks': 'webhook.create',
    'PATCH /api/v1/webhooks/:id': 'webhook.update',
    'DELETE /api/v1/webhooks/:id': 'webhook.delete',
    'POST /api/v1/webhooks/:id/test': 'webhook.test',
    'POST /api/v1/webhooks/:id/redeliver': 'delivery.redeliver',
    'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver': 'delivery.redeliver',
    'POST /api/v1/sinks/:sink/redeliver': 'delivery.redeliver',
    'POST /api/v1/sinks/:sink/deliveries/:deliveryId/redeliver': 'delivery.redeliver',
    'POST /api/v1/storage/prune': 'storage.prune',
  };
  if (/\/(score|labels)$/.test(route)) return null;
  return known[`${method} ${route}`] ?? `${method} ${route}`;
}

/** The key a request presents: `authorization: Bearer <key>`, or `?key=` on the event stream only. */
function presentedKey(request: FastifyRequest, route: string): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.length > 0) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : header;
  }
  // EventSource cannot set headers: the dashboard's stream sends its key in the query, here only.
  if (route === '/api/v1/events') {
    const q = (request.query as { key?: unknown } | undefined)?.key;
    if (typeof q === 'string' && q.length > 0) return q;
  }
  return null;
}

const REFUSAL_TEXT = {
  malformed: 'The API key is not in the form refit_<id>_<secret>.',
  unknown: 'The API key is not known to this server.',
  revoked: 'The API key was revoked.',
  expired: 'The API key has expired.',
} as const;

/**
 * Authentication, scopes and the audit trail on every API route: an `onRequest` hook finds the key,
 * a `preParsing` hook (when keys are required) refuses (401, 403, as problem+json) before the body
 * is read; an `onResponse` hook on the routes that change something writes one audit row per
 * change with the key's name (or `anonymous` on a server running open). Call it before the routes
 * are registered (the hooks are added to each route as it is registered).
 */
export function installAccess(app: FastifyInstance, refit: Refit, options: AccessOptions = {}): void {
  const required = options.auth === 'required';
  // Why a presented key was refused, kept from onRequest to preParsing.
  const refusals = new WeakMap<FastifyRequest, KeyRefusal>();
  app.decorateRequest('refitKey', null);
  app.decorateRequest('auditNote', null);
  app.decorateRequest('problemCode', null);

  // The hooks go on each API route as it is added (route-level hooks), made for its pattern, rather
  // than on every request: a hook that only returns is still a call on every score, and
  // `request.routeOptions` builds an object per access. Routes outside /api/ need none.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (!url.startsWith('/api/')) return;

    // Find the key first (the first onRequest hook of the route), so the rate limit (a route-level
    // onRequest hook that the rate-limit plugin adds after this one) counts per key; refuse
    // afterwards (preParsing, before any body is read), so refused requests count against the
    // address too. Without a key presented there is nothing to wait for.
    const findKey: onRequestHookHandler = (request, _reply, done) => {
      const presented = presentedKey(request, url);
      if (presented === null) return done();
      refit.verifyKey(presented).then((check) => {
        if (check.ok) request.refitKey = check.key;
        else refusals.set(request, check.why);
        done();
      }, done);
    };
    route.onRequest = [findKey, ...hookList(route.onRequest)];

    // Open, a bad key changes nothing (as before keys existed): the check runs only when keys are
    // required, and then even where no scope is needed.
    if (required) {
      const refuse: preParsingHookHandler = async (request, reply, payload) => {
        const why = refusals.get(request);
        if (why !== undefined) return refuse401(request, reply, REFUSAL_TEXT[why]);
        const scope = requiredScope(request.method, url);
        if (scope === null) return payload;
        if (!request.refitKey) return refuse401(request, reply, 'This server requires an API key: send authorization: Bearer <key>.');
        if (!allows(request.refitKey.scopes, scope)) {
          const doc = problem('FORBIDDEN', `The key '${request.refitKey.name}' lacks the '${scope}' scope this route needs (it has: ${request.refitKey.scopes.join(', ')}).`, request.url, {
            scope,
            scopes: [...request.refitKey.scopes],
          });
          writeAudit(refit, request, url, doc.status, doc.code);
          return sendProblem(request, reply, doc);
        }
        return payload;
      };
      route.preParsing = [refuse, ...hookList(route.preParsing)];
    }

    // One audit row per change; reads, scores and labels are not audited, so their routes get no hook.
    if ([route.method].flat().some((method) => auditAction(method, url) !== null)) {
      const audit: onResponseHookHandler = (request, reply, done) => {
        // A refused scope was audited where it was refused; 401s and 429s are not (anyone can cause them).
        if (request.problemCode !== 'FORBIDDEN' && reply.statusCode !== 401 && reply.statusCode !== 429) writeAudit(refit, request, url, reply.statusCode, request.problemCode);
        done();
      };
      route.onResponse = [...hookList(route.onResponse), audit];
    }
  });
}

/** A route option's hooks as a list (Fastify takes one function or an array). */
function hookList<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

function refuse401(request: FastifyRequest, reply: FastifyReply, detail: string) {
  request.problemCode = 'UNAUTHORIZED';
  reply.header('www-authenticate', 'Bearer realm="refit"');
  return sendProblem(request, reply, problem('UNAUTHORIZED', detail, request.url));
}

function writeAudit(refit: Refit, request: FastifyRequest, route: string, status: number, code: string | null): void {
  const action = auditAction(request.method, route);
  if (action === null) return;
  const params = (request.params ?? {}) as { id?: string; sink?: string };
  const body = (request.body ?? {}) as { id?: unknown; modelId?: unknown; version?: unknown };
  // The model: in the path, or in the body (a new model's id, a new schedule's model).
  const fromBody = route === '/api/v1/models' ? body.id : body.modelId;
  const modelId = route.startsWith('/api/v1/models/:id') ? (params.id ?? null) : typeof fromBody === 'string' ? fromBody : null;
  const note = request.auditNote;
  const version = note?.version !== undefined ? note.version : typeof body.version === 'string' ? body.version : null;
  refit.auditLater({
    actor: request.refitKey?.name ?? 'anonymous',
    action,
    modelId,
    version,
    address: request.ip,
    outcome: status < 400 ? 'ok' : (code ?? `HTTP_${status}`),
    detail: { ...(!route.startsWith('/api/v1/models/:id') && (params.id ?? params.sink) ? { target: params.id ?? params.sink } : {}), ...note?.detail },
  });
}

/** Who a change is recorded as: the key's name, else what the client said, else `api` (a server running open). */
export function actorOf(request: FastifyRequest, claimed?: string): string {
  return request.refitKey?.name ?? claimed ?? 'api';
}
