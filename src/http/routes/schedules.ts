import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Refit } from '../../service/index.js';

/** Retrain schedules: each model's own (from its retrain config) and extra ones. */
export const scheduleRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Every schedule with its model, kind, config, last run and next run',
        querystring: z.object({ modelId: z.string().min(1).max(64).optional().describe('Only this model’s schedules.') }),
      },
    },
    async (req) => ({ items: await refit.listSchedules(req.query.modelId) }),
  );

  r.post(
    '/api/v1/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Add a retrain schedule to a model',
        body: z
          .record(z.string(), z.unknown())
          .describe('{modelId, schedule: cron expression or {every: "day"|"week"|"month", day?, at: "HH:MM"}, timezone?, enabled?, catchUp?: "skip"|"once"}'),
      },
    },
    async (req, reply) => {
      const view = await refit.createSchedule(req.body);
      return reply.status(201).header('location', `/api/v1/schedules/${encodeURIComponent(view.id)}`).send(view);
    },
  );

  r.delete(
    '/api/v1/schedules/:id',
    { schema: { tags: ['schedules'], summary: 'Remove an extra schedule', params: z.object({ id: z.string().min(1).max(200) }) } },
    async (req, reply) => {
      await refit.deleteSchedule(req.params.id);
      return reply.status(204).send();
    },
  );
};
