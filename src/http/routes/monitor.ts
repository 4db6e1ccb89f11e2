import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { driftSchema, importanceSchema, performanceSchema, retrainNeededSchema, triggerCheckListSchema } from '../../contract/index.js';
import { toDriftWire, toPerformanceWire, toRetrainNeededWire, toTriggerCheckWire } from '../../contract/mappers.js';
import { checksQuery, modelParams, performanceQuery, versionParams } from '../../contract/requests.js';
import { parseWindowHours } from '../../monitor/performance.js';
import type { Refit } from '../../service/index.js';

/** Drift, live performance and the trigger checks of a model. */
export const monitorRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/models/:id/drift',
    { schema: { tags: ['monitor'], summary: 'Drift report of the active version over the most recent scores, computed now', params: modelParams, response: { 200: driftSchema } } },
    async (req) => toDriftWire(await refit.drift(req.params.id)),
  );

  r.get(
    '/api/v1/models/:id/performance',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Live metrics per version per window, from labels that refer to scores, with each version’s baseline',
        params: modelParams,
        querystring: performanceQuery,
        response: { 200: performanceSchema },
      },
    },
    async (req) => toPerformanceWire(await refit.performance(req.params.id, parseWindowHours(req.query.window) as number, req.query.windows)),
  );

  r.get(
    '/api/v1/models/:id/retrain-needed',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Whether a retrain is needed now, with every trigger’s reasoning (nothing is started or stored)',
        params: modelParams,
        response: { 200: retrainNeededSchema },
      },
    },
    async (req) => toRetrainNeededWire(await refit.retrainNeeded(req.params.id)),
  );

  r.post(
    '/api/v1/models/:id/checks',
    { schema: { tags: ['monitor'], summary: 'Run the trigger checks now: stored, and a retrain started if one fires', params: modelParams, response: { 200: retrainNeededSchema } } },
    async (req) => toRetrainNeededWire(await refit.runChecks(req.params.id)),
  );

  r.get(
    '/api/v1/models/:id/checks',
    { schema: { tags: ['monitor'], summary: 'Stored trigger checks, newest first', params: modelParams, querystring: checksQuery, response: { 200: triggerCheckListSchema } } },
    async (req) => ({ items: (await refit.listChecks(req.params.id, req.query.limit)).map(toTriggerCheckWire) }),
  );

  r.get(
    '/api/v1/models/:id/versions/:version/importance',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Feature importance of a version (gain and split count per feature, from its stored artifact); tree models only',
        params: versionParams,
        response: { 200: importanceSchema },
      },
    },
    async (req) => refit.importance(req.params.id, req.params.version),
  );
};
