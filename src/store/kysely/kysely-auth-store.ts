import type { Selectable } from 'kysely';
import type { ApiKey, AuditEntry, Scope } from '../../domain/auth.js';
import type { AuthStore } from '../roles/auth-store.js';
import type { ApiKeysTable, AuditTable } from '../schema.js';
import { type KyselyContext, date, dateOrNull, iso, isUniqueViolation } from './kysely-context.js';

function toKey(r: Selectable<ApiKeysTable>): ApiKey {
  return {
    id: r.id,
    name: r.name,
    scopes: JSON.parse(r.scopes) as Scope[],
    hash: r.hash,
    createdAt: date(r.created_at),
    expiresAt: dateOrNull(r.expires_at),
    revokedAt: dateOrNull(r.revoked_at),
  };
}

function toAudit(r: Selectable<AuditTable>): AuditEntry {
  return {
    id: Number(r.id),
    at: date(r.at),
    actor: r.actor,
    action: r.action,
    modelId: r.model_id,
    version: r.version,
    address: r.address,
    outcome: r.outcome,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
  };
}

/** API keys and the audit trail on Kysely. */
export function kyselyAuthStore(ctx: KyselyContext): AuthStore {
  const { db } = ctx;
  return {
    async insertApiKey(k) {
      try {
        await db
          .insertInto('api_keys')
          .values({ id: k.id, name: k.name, scopes: JSON.stringify(k.scopes), hash: k.hash, created_at: iso(k.createdAt), expires_at: k.expiresAt ? iso(k.expiresAt) : null, revoked_at: k.revokedAt ? iso(k.revokedAt) : null })
          .execute();
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    async getApiKey(id) {
      const r = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toKey(r) : null;
    },

    async getApiKeyByName(name) {
      const r = await db.selectFrom('api_keys').selectAll().where('name', '=', name).executeTakeFirst();
      return r ? toKey(r) : null;
    },

    async listApiKeys() {
      return (await db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute()).map(toKey);
    },

    async updateApiKey(id, patch) {
      const set: { revoked_at?: string; expires_at?: string | null } = {};
      if (patch.revokedAt !== undefined) set.revoked_at = iso(patch.revokedAt);
      if (patch.expiresAt !== undefined) set.expires_at = patch.expiresAt === null ? null : iso(patch.expiresAt);
      if (Object.keys(set).length > 0) await db.updateTable('api_keys').set(set).where('id', '=', id).execute();
      const r = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toKey(r) : null;
    },

    async appendAudit(e) {
      const row = {
        at: iso(e.at),
        actor: e.actor,
        action: e.action,
        model_id: e.modelId,
        version: e.version,
        address: e.address,
        outcome: e.outcome,
        detail: e.detail === null ? null : JSON.stringify(e.detail),
      };
      const inserted = await db.insertInto('audit').values(row).returning('id').executeTakeFirstOrThrow();
      return toAudit({ ...row, id: inserted.id });
    },

    async listAudit(f) {
      let q = db.selectFrom('audit').selectAll();
      if (f.modelId !== undefined) q = q.where('model_id', '=', f.modelId);
      if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
      if (f.action !== undefined) q = q.where('action', '=', f.action);
      if (f.since !== undefined) q = q.where('at', '>=', iso(f.since));
      return (await q.orderBy('id', 'desc').limit(f.limit).execute()).map(toAudit);
    },
  };
}
