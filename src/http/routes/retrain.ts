import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Refit } from '../../service/index.js';
import { retrainBodySchema } from '../../service/index.js';
import { jobDto } from '../dto.js';

const modelParams = z.object({ id: z.string().min(1).max(64) });

/** Starting retrains, their status, history and configuration. */
export const retrainRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/models/:id/retrain',
    {
      schema: {
        tags: ['retrain'],
        summary: 'Start a retrain; 409 with the running job id when one is pending or running (unless join)',
        params: modelParams,
        // Nullish: a POST without a body starts a plain manual retrain.
        body: retrainBodySchema,
      },
    },
    async (req, reply) => {
      const { job, joined } = await refit.retrain(req.params.id, { trigger: 'manual', force: req.body?.force ?? false, join: req.body?.join ?? false });
      return reply
        .status(joined ? 200 : 202)
        .header('location', `/api/v1/jobs/${job.id}`)
        .send({ jobId: job.id, status: job.status, joined });
    },
  );

  r.get('/api/v1/models/:id/retrain/status', { schema: { tags: ['retrain'], summary: 'Retrain status', params: modelParams } }, async (req) => {
    const s = await refit.status(req.params.id);
    return { ...s, currentJob: s.currentJob ? jobDto(s.currentJob) : null, lastJob: s.lastJob ? jobDto(s.lastJob) : null };
  });

  r.get(
    '/api/v1/models/:id/retrain/history',
    {
      schema: {
        tags: ['retrain'],
        summary: 'Retrain jobs, newest first, paged',
        params: modelParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20), offset: z.coerce.number().int().min(0).default(0) }),
      },
    },
    async (req) => {
      const page = await refit.history(req.params.id, req.query);
      return { items: page.items.map(jobDto), total: page.total, limit: req.query.limit, offset: req.query.offset };
    },
  );

  r.get('/api/v1/models/:id/retrain/config', { schema: { tags: ['retrain'], summary: 'Retrain configuration', params: modelParams } }, async (req) =>
    refit.getRetrainConfig(req.params.id),
  );

  r.put(
    '/api/v1/models/:id/retrain/config',
    {
      schema: {
        tags: ['retrain'],
        summary: 'Change the retrain configuration (fields left out keep their value)',
        params: modelParams,
        // Checked by Refit.putRetrainConfig against the spec's own schema, which names every bad field.
        body: z
          .record(z.string(), z.unknown())
          .describe(
            '{schedule?, timezone?, enabled?, catchUp?, timeoutMinutes?, retry?, minNewLabels?, window?, autoPromote?, gates?, seed?, trainer?, triggers?, rollout?}: see the README for each field and its default',
          ),
      },
    },
    async (req) => refit.putRetrainConfig(req.params.id, req.body),
  );
};
