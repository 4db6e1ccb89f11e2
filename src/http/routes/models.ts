import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { activationListSchema, activationSchema, labelsAcceptedSchema, modelListSchema, modelSchema, scoreResponseSchema, versionListSchema } from '../../contract/index.js';
import { toActivationWire, toModelWire, toVersionWire } from '../../contract/mappers.js';
import { batchValidator, compiledResponses } from '../fast-serializer.js';
import { labelsBody, modelParams, modelSpecBody, rollbackBodySchema, scoreBody } from '../../contract/requests.js';
import type { Refit } from '../../service/index.js';
import { actorOf } from '../access.js';

/** Models, their labels, scoring, versions and rollback. */
export const modelRoutes: FastifyPluginAsync<{ refit: Refit }> = async (app, { refit }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Create a model from a spec (everything but id, task, features and trainer has a default)',
        body: modelSpecBody,
        response: { 201: modelSchema },
      },
    },
    async (req, reply) => {
      const model = await refit.createModel(req.body);
      return reply.status(201).header('location', `/api/v1/models/${encodeURIComponent(model.spec.id)}`).send(toModelWire(model));
    },
  );

  r.get('/api/v1/models', { schema: { tags: ['models'], summary: 'List models', response: { 200: modelListSchema } } }, async () => ({
    items: (await refit.listModels()).map(toModelWire),
  }));

  r.get('/api/v1/models/:id', { schema: { tags: ['models'], summary: 'One model', params: modelParams, response: { 200: modelSchema } } }, async (req) =>
    toModelWire(await refit.getModel(req.params.id)),
  );

  r.post(
    '/api/v1/models/:id/labels',
    {
      schema: {
        tags: ['models'],
        summary: 'Send labelled feedback; a batch with any bad item is refused whole and nothing is stored',
        params: modelParams,
        body: labelsBody,
        response: { 201: labelsAcceptedSchema },
      },
      serializerCompiler: compiledResponses,
      validatorCompiler: batchValidator,
    },
    async (req, reply) => {
      const { accepted, ids } = await refit.addLabels(req.params.id, req.body.items);
      return reply.status(201).send({ accepted, ids });
    },
  );

  r.post(
    '/api/v1/models/:id/score',
    {
      schema: {
        tags: ['models'],
        summary: 'Score rows with the active version (or a canary for its share); every item says which version and arm made it',
        params: modelParams,
        body: scoreBody,
        response: { 200: scoreResponseSchema },
      },
      serializerCompiler: compiledResponses,
      validatorCompiler: batchValidator,
    },
    async (req) => ({ items: await refit.score(req.params.id, req.body.items) }),
  );

  r.get('/api/v1/models/:id/versions', { schema: { tags: ['models'], summary: 'Versions, newest first', params: modelParams, response: { 200: versionListSchema } } }, async (req) => {
    const model = await refit.getModel(req.params.id);
    return { activeVersion: model.activeVersion, items: (await refit.listVersions(req.params.id)).map(toVersionWire) };
  });

  r.get(
    '/api/v1/models/:id/activations',
    { schema: { tags: ['models'], summary: 'Activation history (promotions and rollbacks), newest first', params: modelParams, response: { 200: activationListSchema } } },
    async (req) => ({ items: (await refit.listActivations(req.params.id)).map(toActivationWire) }),
  );

  r.post(
    '/api/v1/models/:id/rollback',
    {
      schema: {
        tags: ['models'],
        summary: 'Activate an earlier version (default: the one active before the current one)',
        params: modelParams,
        // Nullish: a POST without a body means "the previous version".
        // `actor`: who asks (recorded on the activation and the timeline), as for promote; default 'api'; a key's name wins.
        body: rollbackBodySchema,
        response: { 200: activationSchema },
      },
    },
    async (req) => {
      // With a key, the key's name is the actor; a claimed `actor` counts only on a server running open.
      const activation = await refit.rollback(req.params.id, req.body?.version, actorOf(req, req.body?.actor), req.body?.reason);
      req.auditNote = { version: activation.toVersion, detail: { fromVersion: activation.fromVersion } };
      return toActivationWire(activation);
    },
  );
};
