import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { scheduleListSchema, scheduleSchema } from '../../contract/index.js';
import { ownScheduleParams, scheduleBody, scheduleParams, schedulesQuery } from '../../contract/requests.js';
import type { Refit } from '../../service/index.js';

/** Retrain schedules: each model's own (from its retrain config) and extra ones. */
export const scheduleRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/schedules',
    { schema: { tags: ['schedules'], summary: 'Every schedule with its model, kind, config, last run and next run', querystring: schedulesQuery, response: { 200: scheduleListSchema } } },
    async (req) => ({ items: await refit.listSchedules(req.query.modelId) }),
  );

  r.post('/api/v1/schedules', { schema: { tags: ['schedules'], summary: 'Add a retrain schedule to a model', body: scheduleBody, response: { 201: scheduleSchema } } }, async (req, reply) => {
    const view = await refit.createSchedule(req.body);
    return reply.status(201).header('location', `/api/v1/schedules/${encodeURIComponent(view.id)}`).send(view);
  });

  r.delete(
    '/api/v1/schedules/:id',
    { schema: { tags: ['schedules'], summary: 'Remove an extra schedule', params: scheduleParams, response: { 204: z.undefined().describe('Removed: no body') } } },
    async (req, reply) => {
      await refit.deleteSchedule(req.params.id);
      return reply.status(204).send();
    },
  );

  // A model's own schedules have ids with a slash (`churn/default`): this route answers them
  // with the documented 409 instead of a 404 for an unknown route.
  r.delete(
    '/api/v1/schedules/:modelId/:name',
    {
      schema: {
        tags: ['schedules'],
        summary: "A model's own schedule (`{model}/default`, `{model}/checks`): always 409, switch it off in the retrain config",
        params: ownScheduleParams,
        response: { 204: z.undefined().describe('Removed: no body') },
      },
    },
    async (req, reply) => {
      await refit.deleteSchedule(`${req.params.modelId}/${req.params.name}`);
      return reply.status(204).send();
    },
  );
};
