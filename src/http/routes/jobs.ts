import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { jobSchema } from '../../contract/index.js';
import { toJobWire } from '../../contract/mappers.js';
import { jobParams } from '../../contract/requests.js';
import type { Refit } from '../../service/index.js';

/** Retrain jobs by id. */
export const jobRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/jobs/:jobId', { schema: { tags: ['jobs'], summary: 'One retrain job', params: jobParams, response: { 200: jobSchema } } }, async (req) =>
    toJobWire(await refit.getJob(req.params.jobId)),
  );
  r.post(
    '/api/v1/jobs/:jobId/cancel',
    { schema: { tags: ['jobs'], summary: 'Cancel a pending or running job', params: jobParams, response: { 202: jobSchema } } },
    async (req, reply) => reply.status(202).send(toJobWire(await refit.cancelJob(req.params.jobId))),
  );
};
