import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Refit } from '../../service/index.js';
import { abortBodySchema } from '../../service/index.js';
import { activationDto, evaluationDto, rolloutDto, timelineDto } from '../dto.js';

const modelParams = z.object({ id: z.string().min(1).max(64) });

/** Canary and shadow rollouts, forced promotion, the model timeline and artifact retention. */
export const rolloutRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/models/:id/rollout',
    { schema: { tags: ['rollout'], summary: 'Rollout policy, the running canary/shadow and watch with live numbers and what would be decided now', params: modelParams } },
    async (req) => {
      const s = await refit.rolloutState(req.params.id);
      return { policy: s.policy, ...evaluationDto(s.evaluation), recent: s.recent.map(rolloutDto) };
    },
  );

  r.post(
    '/api/v1/models/:id/rollout/evaluate',
    { schema: { tags: ['rollout'], summary: 'Evaluate the running canary/shadow and watch now and act on it (as the periodic checks do)', params: modelParams } },
    async (req) => evaluationDto(await refit.evaluateRollout(req.params.id)),
  );

  r.post(
    '/api/v1/models/:id/rollout/abort',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Stop the running canary or shadow; the champion keeps serving',
        params: modelParams,
        body: abortBodySchema,
      },
    },
    async (req) => rolloutDto(await refit.abortRollout(req.params.id, req.body?.reason)),
  );

  r.post(
    '/api/v1/models/:id/promote',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Force-promote a retained version past its gates and any canary; the reason is recorded',
        params: modelParams,
        // Checked by Refit.promote, which names every bad field.
        body: z.record(z.string(), z.unknown()).nullish().describe('{version, reason, actor?}'),
      },
    },
    async (req) => activationDto(await refit.promote(req.params.id, req.body ?? {})),
  );

  r.get(
    '/api/v1/models/:id/timeline',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Every activation, canary and shadow start/stop, promotion, rollback and cleanup, newest first',
        params: modelParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), offset: z.coerce.number().int().min(0).default(0) }),
      },
    },
    async (req) => {
      const page = await refit.timeline(req.params.id, req.query);
      return { items: page.items.map(timelineDto), total: page.total, limit: req.query.limit, offset: req.query.offset };
    },
  );

  r.post(
    '/api/v1/models/:id/retention/cleanup',
    { schema: { tags: ['rollout'], summary: "Delete the artifacts of versions beyond rollout.keepVersions (never protected ones); reports the bytes freed", params: modelParams } },
    async (req) => refit.cleanupRetention(req.params.id),
  );
};
