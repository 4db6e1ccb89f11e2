import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { problemSchema } from '../contract/index.js';
import type { Refit } from '../service/index.js';
import { problem, problemErrorHandler, sendProblem } from './problem.js';
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
import { webhookRoutes } from './routes/webhooks.js';

/** Options of the HTTP app. */
export interface AppOptions {
  /** Largest request body in bytes. Default 10 MiB. */
  readonly bodyLimit?: number;
  /** Logger; default: none (tests). */
  readonly logger?: Logger;
  /** Package version shown in the OpenAPI document. Default 0.0.0. */
  readonly version?: string;
  /** Readiness of this process for `/readyz`. Default: ready once the store answers. */
  readonly readiness?: HealthOptions['readiness'];
  /** The live workers for `/api/v1/workers`. Default: none (retrains run in this process). */
  readonly workers?: HealthOptions['workers'];
}

/** The error responses of every route: application/problem+json (RFC 9457). */
const PROBLEM_RESPONSE = { description: 'A problem document (RFC 9457)', content: { 'application/problem+json': { schema: problemSchema } } };

/**
 * Fastify's two info lines per request (incoming, completed) drown what matters: one debug line
 * per request instead. Problems are logged where they are made (problem.ts): 4xx at info, 5xx at error.
 */
class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const http = { method: request.method, url: request.url, status: reply.statusCode, ms };
    const line = `${request.method} ${request.url} ${reply.statusCode} ${ms} ms`;
    // An error here is one in sending the reply (after the handler): the server's, with its stack.
    if (error) reply.log.error({ http, err: error }, `${line}: the reply failed: ${error.message}`);
    else reply.log.debug({ http }, line);
  }
}

/**
 * Build the HTTP server without listening (Fastify's testing guide: tests call `app.inject()`).
 * Every error leaves as application/problem+json.
 */
export async function buildApp(refit: Refit, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024,
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
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
    if (!route.schema || route.schema.hide) return;
    route.schema.response = { ...(route.schema.response as object | undefined), '4XX': PROBLEM_RESPONSE, '5XX': PROBLEM_RESPONSE };
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Refit API', description: 'Keeps machine-learning models fresh.', version: options.version ?? '0.0.0' },
      tags: [{ name: 'models' }, { name: 'retrain' }, { name: 'rollout' }, { name: 'jobs' }, { name: 'schedules' }, { name: 'monitor' }, { name: 'events' }, { name: 'webhooks' }, { name: 'health' }],
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
  await app.register(webhookRoutes, { refit });
  await app.register(staticRoutes);
  return app;
}
