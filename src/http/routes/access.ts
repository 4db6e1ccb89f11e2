import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { apiKeyListSchema, apiKeySchema, auditListSchema, authInfoSchema, createdKeySchema } from '../../contract/index.js';
import { toApiKeyWire, toAuditEntryWire } from '../../contract/mappers.js';
import { auditQuery, keyCreateBody, keyParams } from '../../contract/requests.js';
import type { Refit } from '../../service/index.js';

/** API keys (admin), the audit trail, and what the server asks of keys. */
export const accessRoutes: FastifyPluginAsync<{ refit: Refit; required: boolean }> = async (app, { refit, required }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/auth',
    { schema: { tags: ['access'], summary: 'Whether this server requires API keys, and the name and scopes of the key sent (no scope needed)', response: { 200: authInfoSchema } } },
    async (req) => ({
      required,
      key: req.refitKey ? { name: req.refitKey.name, scopes: [...req.refitKey.scopes], expiresAt: req.refitKey.expiresAt?.toISOString() ?? null } : null,
    }),
  );

  r.post(
    '/api/v1/keys',
    { schema: { tags: ['access'], summary: 'Create an API key; the answer holds the key, shown this once', body: keyCreateBody, response: { 201: createdKeySchema } } },
    async (req, reply) => {
      const { key, record } = await refit.createKey(req.body);
      req.auditNote = { detail: { keyId: record.id, name: record.name, scopes: record.scopes } };
      return reply.status(201).send({ ...toApiKeyWire(record, refit.now()), key });
    },
  );

  r.get('/api/v1/keys', { schema: { tags: ['access'], summary: 'Every API key with its state; never the key itself', response: { 200: apiKeyListSchema } } }, async () => {
    const now = refit.now();
    return { items: (await refit.listKeys()).map((k) => toApiKeyWire(k, now)) };
  });

  r.delete(
    '/api/v1/keys/:id',
    { schema: { tags: ['access'], summary: 'Revoke an API key (by id or name); it stays listed, refused from now on', params: keyParams, response: { 200: apiKeySchema } } },
    async (req) => {
      const key = await refit.revokeKey(req.params.id);
      req.auditNote = { detail: { keyId: key.id, name: key.name } };
      return toApiKeyWire(key, refit.now());
    },
  );

  r.get(
    '/api/v1/audit',
    { schema: { tags: ['access'], summary: 'The audit trail, newest first: who changed what, on which model and version, from where, and the outcome', querystring: auditQuery, response: { 200: auditListSchema } } },
    async (req) => {
      const q = req.query;
      const items = await refit.listAudit({
        limit: q.limit,
        ...(q.modelId !== undefined ? { modelId: q.modelId } : {}),
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
      });
      return { items: items.map(toAuditEntryWire) };
    },
  );
};

