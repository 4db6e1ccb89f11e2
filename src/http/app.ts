import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from 'helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController, type onRequestHookHandler } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { FastifyChildLoggerFactory } from 'fastify/types/logger.js';
import type { Logger } from 'pino';
import { problemSchema } from '../contract/index.js';
import { RefitError } from '../errors.js';
import type { Refit } from '../service/index.js';
import { installAccess, requiredScope } from './access.js';
import { problem, problemErrorHandler, redactUrl, sendProblem } from './problem.js';
import { accessRoutes } from './routes/access.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes, type HealthOptions } from './routes/health.js';
import { byomRoutes } from './routes/byom.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { retrainRoutes } from './routes/retrain.js';
import { rolloutRoutes } from './routes/rollout.js';
import { monitorRoutes } from './routes/monitor.js';
import { scheduleRoutes } from './routes/schedules.js';
import { staticRoutes } from './routes/static.js';
import { storageRoutes } from './routes/storage.js';
import { webhookRoutes } from './routes/webhooks.js';

/** Options of the HTTP app. */
export interface AppOptions {
  /** Largest request body in bytes. Default 10 MiB. */
  readonly bodyLimit?: number;
  /** Logger; default: none (tests). */
  readonly logger?: Logger;
  /** Package version shown in the OpenAPI document. Default 0.0.0. */
  readonly version?: string;
  /** `required`: every API route needs an API key with its scope (src/http/access.ts). Default `off`. */
  readonly auth?: 'off' | 'required';
  /** Requests per minute per key, or per address without one (loopback without a key is not limited); 0: no limit. Default 600. */
  readonly rateLimit?: number;
  /** Origins CORS allows; default none: no CORS headers, browsers keep other sites out. */
  readonly corsOrigins?: readonly string[];
  /** Readiness of this process for `/readyz`. Default: ready once the store answers. */
  readonly readiness?: HealthOptions['readiness'];
  /** The live workers for `/api/v1/workers`. Default: none (retrains run in this process). */
  readonly workers?: HealthOptions['workers'];
}

/** Body limit of a route that takes a small document (a config, a promotion, a key): 64 KiB, or the app's limit if smaller. */
export const SMALL_BODY_LIMIT = 64 * 1024;
/** Body limit of a model spec: 1 MiB, or the app's limit if smaller. */
export const SPEC_BODY_LIMIT = 1024 * 1024;

/** Loopback addresses: the machine itself. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address) || /^::ffff:127\./.test(address);
}

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles, images and API only (Vite
 * builds external module scripts and style sheets, nothing inline). No `upgrade-insecure-requests`:
 * Refit serves plain HTTP unless a proxy adds TLS.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  upgradeInsecureRequests: null,
};

/**
 * The security headers of API answers (JSON, never rendered by a browser): OWASP's set for REST
 * APIs (REST Security Cheat Sheet, "Security headers"). Helmet's other headers govern how a
 * browser treats a page, so they go on the dashboard and the docs; leaving them off the API
 * halves the headers written on every score.
 */
const API_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** The error responses of every route: application/problem+json (RFC 9457). */
const PROBLEM_RESPONSE = { description: 'A problem document (RFC 9457)', content: { 'application/problem+json': { schema: problemSchema } } };

/**
 * Fastify's two info lines per request (incoming, completed) drown what matters: one debug line
 * per request instead. Problems are logged where they are made (problem.ts): 4xx at info, 5xx at error.
 */
class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Nothing to build when the line would be dropped (the common case: info and above).
    if (!error && reply.log.level !== 'debug' && reply.log.level !== 'trace') return;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const url = redactUrl(request.url);
    const http = { method: request.method, url, status: reply.statusCode, ms };
    const line = `${request.method} ${url} ${reply.statusCode} ${ms} ms`;
    // An error here is one in sending the reply (after the handler): the server's, with its stack.
    if (error) reply.log.error({ http, err: error }, `${line}: the reply failed: ${error.message}`);
    else reply.log.debug({ http }, line);
  }
}

/**
 * A request's logger, made only when something is logged: Fastify gives every request a child
 * logger bound to its request id, and making pino's child (its bindings serialised, redaction set
 * up) is work on every request of the score route, where almost no request logs
 * anything. The methods Refit and Fastify call on a request's logger are here; the child they
 * reach is the one Fastify would have made.
 */
class DeferredChildLogger {
  #child: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: Record<string, unknown>,
  ) {}

  #made(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    // A route's own log level (Fastify passes it as the child's option) before the child exists.
    return this.#child?.level ?? (typeof this.options.level === 'string' ? this.options.level : this.parent.level);
  }

  set level(level: string) {
    this.#made().level = level;
  }

  fatal(...args: unknown[]): void {
    (this.#made().fatal as (...a: unknown[]) => void)(...args);
  }
  error(...args: unknown[]): void {
    (this.#made().error as (...a: unknown[]) => void)(...args);
  }
  warn(...args: unknown[]): void {
    (this.#made().warn as (...a: unknown[]) => void)(...args);
  }
  info(...args: unknown[]): void {
    (this.#made().info as (...a: unknown[]) => void)(...args);
  }
  debug(...args: unknown[]): void {
    (this.#made().debug as (...a: unknown[]) => void)(...args);
  }
  trace(...args: unknown[]): void {
    (this.#made().trace as (...a: unknown[]) => void)(...args);
  }
  silent(): void {}
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): FastifyBaseLogger {
    return this.#made().child(bindings, options);
  }
}

/**
 * The headers helmet's middleware sets with these options (it sets the same ones on every response
 * unless CSP nonces are on, which Refit does not use). Refit speaks plain HTTP: TLS, and so HSTS,
 * is a proxy's business.
 */
function securityHeaders(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return headers;
}

/**
 * Build the HTTP server without listening (Fastify's testing guide: tests call `app.inject()`).
 * Every error leaves as application/problem+json.
 */
export async function buildApp(refit: Refit, options: AppOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 10 * 1024 * 1024;
  const app = Fastify({
    bodyLimit,
    ...(options.logger
      ? {
          loggerInstance: options.logger as FastifyBaseLogger,
          childLoggerFactory: ((logger: FastifyBaseLogger, bindings: Record<string, unknown>, childOptions: Record<string, unknown>) =>
            new DeferredChildLogger(logger, bindings, childOptions) as unknown as FastifyBaseLogger) as unknown as FastifyChildLoggerFactory,
        }
      : { logger: false }),
    logController: new RequestLogController(),
    // Reject the prototype-pollution keys outright rather than silently dropping them.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Errors Fastify raises before routing (a malformed URL) bypass setErrorHandler; send them as problems too.
    frameworkErrors: (err, request, reply) => {
      problemErrorHandler(err, request, reply);
    },
  });
  // Fastify parses text/plain by default; Refit takes JSON only, so anything else is a 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler((request, reply) => {
    const doc = problem('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`, request.url);
    return sendProblem(request, reply, doc);
  });

  // Every documented route answers its errors with a problem document: say so in /openapi.json.
  app.addHook('onRoute', (route) => {
    // Bodies per route: batches of scores and labels and imported model files take the app's
    // limit, a spec 1 MiB, anything else 64 KiB.
    if (route.bodyLimit === undefined && route.url.startsWith('/api/')) {
      const batch = /\/(score|labels)$/.test(route.url) || route.url === '/api/v1/models/:id/versions';
      route.bodyLimit = batch ? bodyLimit : Math.min(bodyLimit, route.url === '/api/v1/models' ? SPEC_BODY_LIMIT : SMALL_BODY_LIMIT);
    }
    if (!route.schema || route.schema.hide) return;
    route.schema.response = { ...(route.schema.response as object | undefined), '4XX': PROBLEM_RESPONSE, '5XX': PROBLEM_RESPONSE };
    // Say in /openapi.json which scope each route needs, and which need no key at all.
    for (const method of [route.method].flat()) {
      const scope = requiredScope(method, route.url);
      if (scope === null) route.schema.security = [];
      else route.schema.description ??= `Needs a key with the \`${scope}\` scope (or \`admin\`) when the server requires keys.`;
    }
  });

  // Keys and scopes first (an onRequest hook on every route), so the rate limit can count per key.
  installAccess(app, refit, { auth: options.auth ?? 'off' });
  const perMinute = options.rateLimit ?? 600;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      // The limit goes on every route below, behind the trust check.
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => (req.refitKey ? `key:${req.refitKey.id}` : `ip:${req.ip}`),
      errorResponseBuilder: (req, ctx) =>
        new RefitError('RATE_LIMITED', `More than ${ctx.max} requests a minute from ${req.refitKey ? `the key '${req.refitKey.name}'` : 'this address'}; retry in ${ctx.after}.`, { extra: { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) } }),
    });
    const limit = app.rateLimit();
    // The machine itself without a key (the CLI, a benchmark, the demo, an app beside the server)
    // is trusted as before keys existed: that is decided here, synchronously, before the plugin's
    // handler, whose asynchronous steps (its key, its allow list, then the verdict) every such
    // request would otherwise go through only to be let through. Everyone else is counted by the
    // plugin as before.
    const limited: onRequestHookHandler = (request, reply, done) => {
      if (!request.refitKey && isLoopback(request.ip)) return done();
      limit.call(app, request, reply).then(() => done(), done);
    };
    app.addHook('onRoute', (route) => {
      route.onRequest = route.onRequest === undefined ? [limited] : [route.onRequest, limited].flat();
    });
  }
  // Helmet's security headers, worked out once rather than per request (@fastify/helmet builds
  // helmet's middleware on every request, which cost more than scoring a row). Swagger UI runs an
  // inline script: its pages keep helmet's other headers but not the dashboard's CSP.
  const secured = securityHeaders({ contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES }, strictTransportSecurity: false });
  const securedDocs = securityHeaders({ contentSecurityPolicy: false, strictTransportSecurity: false });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith('/api/') ? API_HEADERS : request.url.startsWith('/docs') ? securedDocs : secured);
    done();
  });
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins.includes('*') ? '*' : [...options.corsOrigins], allowedHeaders: ['authorization', 'content-type', 'last-event-id'], exposedHeaders: ['retry-after', 'location'] });
  }

  await app.register(swagger, {
    openapi: {
      info: { title: 'Refit API', description: 'Keeps machine-learning models fresh.', version: options.version ?? '0.0.0' },
      tags: [{ name: 'models' }, { name: 'retrain' }, { name: 'rollout' }, { name: 'jobs' }, { name: 'schedules' }, { name: 'monitor' }, { name: 'events' }, { name: 'webhooks' }, { name: 'access' }, { name: 'storage' }, { name: 'health' }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'authorization: Bearer <key> (refit keys create); required when the server runs with REFIT_AUTH=required' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { refit, ...(options.readiness ? { readiness: options.readiness } : {}), ...(options.workers ? { workers: options.workers } : {}) });
  await app.register(modelRoutes, { refit });
  await app.register(retrainRoutes, { refit });
  await app.register(rolloutRoutes, { refit });
  await app.register(jobRoutes, { refit });
  await app.register(byomRoutes, { refit });
  await app.register(scheduleRoutes, { refit });
  await app.register(monitorRoutes, { refit });
  await app.register(eventRoutes, { refit });
  await app.register(accessRoutes, { refit, required: options.auth === 'required' });
  await app.register(webhookRoutes, { refit });
  await app.register(storageRoutes, { refit });
  await app.register(staticRoutes);
  return app;
}
