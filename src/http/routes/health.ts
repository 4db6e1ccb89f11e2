import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { healthSchema } from '../../contract/index.js';
import type { Refit } from '../../service/index.js';

/** `GET /healthz`: answers without touching training; checks the store is reachable. */
export const healthRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'Liveness and store check', response: { 200: healthSchema } } },
    async () => ({ status: 'ok' as const, store: await refit.checkStore() }),
  );
};
