import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthSchema, readinessSchema, workerListSchema, type ReadinessWire, type WorkerListWire } from '../../contract/index.js';
import type { Refit } from '../../service/index.js';

/** What the process tells the health routes beyond the store. */
export interface HealthOptions {
  readonly refit: Refit;
  /** Readiness of this process (start-up done, Redis reachable…). Default: ready once the store answers. */
  readonly readiness?: () => Promise<ReadinessWire>;
  /** The live workers. Default: none (retrains run in this process). */
  readonly workers?: () => Promise<WorkerListWire>;
}

/** `GET /healthz` (alive, store reachable), `GET /readyz` (takes traffic) and `GET /api/v1/workers`. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { refit, readiness, workers }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness and store check', response: { 200: healthSchema } } }, async () => ({ status: 'ok' as const, store: await refit.checkStore() }));
  r.get('/readyz', { schema: { tags: ['health'], summary: 'Readiness of this process for its role', response: { 200: readinessSchema, 503: readinessSchema } } }, async (req, reply) => {
    let state: ReadinessWire;
    try {
      state = readiness ? await readiness() : { status: 'ready', role: 'all-in-one', checks: { store: (await refit.checkStore()) && 'ok' } };
    } catch (err) {
      // Open to everyone: no driver message (user names, hosts) in the answer; the log has it.
      req.log.warn({ err }, 'readiness: the store is unreachable');
      state = { status: 'not ready', role: 'all-in-one', checks: { store: 'unreachable' } };
    }
    return reply.status(state.status === 'ready' ? 200 : 503).send(state);
  });
  r.get('/api/v1/workers', { schema: { tags: ['health'], summary: 'The worker processes running retrains, with their current job and last heartbeat', response: { 200: workerListSchema } } }, async () =>
    workers ? workers() : { mode: 'in-process' as const, items: [] },
  );
};
