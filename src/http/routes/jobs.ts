import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Refit } from '../../service/index.js';
import { jobDto } from '../dto.js';

const jobParams = z.object({ jobId: z.string().min(1).max(64) });

/** Retrain jobs by id. */
export const jobRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/jobs/:jobId', { schema: { tags: ['jobs'], summary: 'One retrain job', params: jobParams } }, async (req) => jobDto(await refit.getJob(req.params.jobId)));
  r.post('/api/v1/jobs/:jobId/cancel', { schema: { tags: ['jobs'], summary: 'Cancel a pending or running job', params: jobParams } }, async (req, reply) =>
    reply.status(202).send(jobDto(await refit.cancelJob(req.params.jobId))),
  );
};
