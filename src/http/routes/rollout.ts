import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { activationSchema, retentionReportSchema, rolloutEvaluationSchema, rolloutSchema, rolloutStateSchema, timelinePageSchema } from '../../contract/index.js';
import { toActivationWire, toRetentionReportWire, toRolloutEvaluationWire, toRolloutStateWire, toRolloutWire, toTimelineEntryWire } from '../../contract/mappers.js';
import { modelParams, promoteBody, timelineQuery } from '../../contract/requests.js';
import type { Refit } from '../../service/index.js';
import { actorOf } from '../access.js';
import { abortBodySchema } from '../../contract/requests.js';

/** Canary and shadow rollouts, forced promotion, the model timeline and artifact retention. */
export const rolloutRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/models/:id/rollout',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Rollout policy, the running canary/shadow and watch with live numbers and what would be decided now',
        params: modelParams,
        response: { 200: rolloutStateSchema },
      },
    },
    async (req) => toRolloutStateWire(await refit.rolloutState(req.params.id)),
  );

  r.post(
    '/api/v1/models/:id/rollout/evaluate',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Evaluate the running canary/shadow and watch now and act on it (as the periodic checks do)',
        params: modelParams,
        response: { 200: rolloutEvaluationSchema },
      },
    },
    async (req) => toRolloutEvaluationWire(await refit.evaluateRollout(req.params.id)),
  );

  r.post(
    '/api/v1/models/:id/rollout/abort',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Stop the running canary or shadow; the champion keeps serving',
        params: modelParams,
        body: abortBodySchema,
        response: { 200: rolloutSchema },
      },
    },
    async (req) => toRolloutWire(await refit.abortRollout(req.params.id, req.body?.reason, actorOf(req))),
  );

  r.post(
    '/api/v1/models/:id/promote',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Force-promote a retained version past its gates and any canary; the reason is recorded',
        params: modelParams,
        body: promoteBody,
        response: { 200: activationSchema },
      },
    },
    async (req) => {
      // With a key, its name is the actor whatever the body claims.
      const body = req.body ?? {};
      const activation = await refit.promote(req.params.id, req.refitKey ? { ...body, actor: req.refitKey.name } : body, actorOf(req));
      req.auditNote = { version: activation.toVersion, detail: { fromVersion: activation.fromVersion, reason: activation.reason } };
      return toActivationWire(activation);
    },
  );

  r.get(
    '/api/v1/models/:id/timeline',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Every activation, canary and shadow start/stop, promotion, rollback and cleanup, newest first',
        params: modelParams,
        querystring: timelineQuery,
        response: { 200: timelinePageSchema },
      },
    },
    async (req) => {
      const page = await refit.timeline(req.params.id, req.query);
      return { items: page.items.map(toTimelineEntryWire), total: page.total, limit: req.query.limit, offset: req.query.offset };
    },
  );

  r.post(
    '/api/v1/models/:id/retention/cleanup',
    {
      schema: {
        tags: ['rollout'],
        summary: 'Delete the artifacts of versions beyond rollout.keepVersions (never protected ones); reports the bytes freed',
        params: modelParams,
        response: { 200: retentionReportSchema },
      },
    },
    async (req) => toRetentionReportWire(await refit.cleanupRetention(req.params.id, actorOf(req))),
  );
};
