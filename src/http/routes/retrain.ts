import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { jobPageSchema, retrainConfigSchema, retrainStartedSchema, retrainStatusSchema } from '../../contract/index.js';
import { toJobWire, toRetrainStatusWire } from '../../contract/mappers.js';
import { historyQuery, modelParams, retrainConfigBody, retrainQuery } from '../../contract/requests.js';
import type { Refit } from '../../service/index.js';
import { retrainBodySchema } from '../../contract/requests.js';

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
        querystring: retrainQuery,
        // Nullish: a POST without a body starts a plain manual retrain.
        body: retrainBodySchema,
        response: { 200: retrainStartedSchema.describe('Joined the job already pending or running'), 202: retrainStartedSchema.describe('Started a job') },
      },
    },
    async (req, reply) => {
      // The body wins over the query string when both say something.
      const force = req.body?.force ?? req.query.force === 'true';
      const join = req.body?.join ?? req.query.join === 'true';
      const { job, joined } = await refit.retrain(req.params.id, { trigger: 'manual', force, join });
      req.auditNote = { detail: { jobId: job.id, joined } };
      return reply
        .status(joined ? 200 : 202)
        .header('location', `/api/v1/jobs/${job.id}`)
        .send({ jobId: job.id, status: job.status, joined });
    },
  );

  r.get('/api/v1/models/:id/retrain/status', { schema: { tags: ['retrain'], summary: 'Retrain status', params: modelParams, response: { 200: retrainStatusSchema } } }, async (req) =>
    toRetrainStatusWire(await refit.status(req.params.id)),
  );

  r.get(
    '/api/v1/models/:id/retrain/history',
    { schema: { tags: ['retrain'], summary: 'Retrain jobs, newest first, paged', params: modelParams, querystring: historyQuery, response: { 200: jobPageSchema } } },
    async (req) => {
      const page = await refit.history(req.params.id, req.query);
      return { items: page.items.map(toJobWire), total: page.total, limit: req.query.limit, offset: req.query.offset };
    },
  );

  r.get('/api/v1/models/:id/retrain/config', { schema: { tags: ['retrain'], summary: 'Retrain configuration', params: modelParams, response: { 200: retrainConfigSchema } } }, async (req) =>
    refit.getRetrainConfig(req.params.id),
  );

  r.put(
    '/api/v1/models/:id/retrain/config',
    {
      schema: {
        tags: ['retrain'],
        summary: 'Change the retrain configuration (fields left out keep their value)',
        params: modelParams,
        body: retrainConfigBody,
        response: { 200: retrainConfigSchema },
      },
    },
    async (req) => {
      req.auditNote = { detail: { fields: Object.keys(req.body ?? {}) } };
      return refit.putRetrainConfig(req.params.id, req.body);
    },
  );
};
