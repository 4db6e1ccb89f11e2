import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseWindowHours } from '../../monitor/performance.js';
import type { Refit } from '../../service.js';

const modelParams = z.object({ id: z.string().min(1).max(64) });

/** Drift, live performance and the trigger checks of a model. */
export const monitorRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/models/:id/drift', { schema: { tags: ['monitor'], summary: 'Drift report of the active version over the most recent scores, computed now', params: modelParams } }, async (req) =>
    refit.drift(req.params.id),
  );

  r.get(
    '/api/v1/models/:id/performance',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Live metrics per version per window, from labels that refer to scores, with each version’s baseline',
        params: modelParams,
        querystring: z.object({
          window: z
            .string()
            .refine((w) => parseWindowHours(w) !== null, 'window must look like 1h, 24h or 7d, from 1h to 366d')
            .default('24h')
            .describe('Length of one window, 1h to 366d. Default 24h.'),
          windows: z.coerce.number().int().min(1).max(366).default(7).describe('How many windows, ending now. Default 7.'),
        }),
      },
    },
    async (req) => {
      return refit.performance(req.params.id, parseWindowHours(req.query.window) as number, req.query.windows);
    },
  );

  r.get('/api/v1/models/:id/retrain-needed', { schema: { tags: ['monitor'], summary: 'Whether a retrain is needed now, with every trigger’s reasoning (nothing is started or stored)', params: modelParams } }, async (req) =>
    refit.retrainNeeded(req.params.id),
  );

  r.post('/api/v1/models/:id/checks', { schema: { tags: ['monitor'], summary: 'Run the trigger checks now: stored, and a retrain started if one fires', params: modelParams } }, async (req) =>
    refit.runChecks(req.params.id),
  );

  r.get(
    '/api/v1/models/:id/checks',
    {
      schema: { tags: ['monitor'], summary: 'Stored trigger checks, newest first', params: modelParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
    },
    async (req) => ({ items: (await refit.listChecks(req.params.id, req.query.limit)).map((c) => ({ ...c, checkedAt: c.checkedAt.toISOString() })) }),
  );

  r.get(
    '/api/v1/models/:id/versions/:version/importance',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Feature importance of a version (gain and split count per feature, from its stored artifact); tree models only',
        params: modelParams.extend({ version: z.string().min(1).max(64) }),
      },
    },
    async (req) => {
      const model = await refit.getModel(req.params.id);
      // Loaded outside the serving cache (which keeps a few versions per model), so that asking
      // about old versions never pushes out the ones serving; throws VERSION_NOT_FOUND.
      const version = req.params.version;
      const predictor = await refit.predictors.load(model.spec.id, version);
      const withImportance = predictor as { importance?: () => { feature: string; gain: number; splits: number }[] };
      if (typeof withImportance.importance !== 'function') {
        return { modelId: model.spec.id, version, trainer: predictor.kind, available: false, reason: `${predictor.kind} models have no feature importance; the gbdt trainer has`, features: [] };
      }
      const features = withImportance.importance().sort((a, b) => b.gain - a.gain);
      return { modelId: model.spec.id, version, trainer: predictor.kind, available: true, reason: 'gain: total loss reduction of the splits on the feature; splits: how many splits use it', features };
    },
  );
};
