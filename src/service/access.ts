import { type AuditInput, recordAudit } from '../auth/audit.js';
import { type CreatedKey, type KeyCheck, createKey, expireKey, revokeKey, verifyKey } from '../auth/keys.js';
import { zodProblems } from '../config/model-spec.js';
import { keyCreateBody } from '../contract/requests.js';
import type { ApiKey, AuditEntry } from '../domain/auth.js';
import { RefitError } from '../errors.js';
import type { AuditFilter } from '../store/store.js';
import type { RefitParts } from './parts.js';

/** Create a key from `{name, scopes, expiresAt?}`; the key is in the result once, never stored. */
export async function createApiKey(p: RefitParts, input: unknown): Promise<CreatedKey> {
  const r = keyCreateBody.safeParse(input);
  if (!r.success) throw new RefitError('VALIDATION_FAILED', 'The key request is invalid.', { errors: zodProblems(r.error) });
  return createKey(p.store, p.clock, { name: r.data.name, scopes: r.data.scopes, expiresAt: r.data.expiresAt ? new Date(r.data.expiresAt) : null });
}

/** Every key (revoked and expired ones too), oldest first; never a secret. */
export function listApiKeys(p: RefitParts): Promise<ApiKey[]> {
  return p.store.listApiKeys();
}

/** Revoke a key by id or name. */
export function revokeApiKey(p: RefitParts, idOrName: string): Promise<ApiKey> {
  return revokeKey(p.store, p.clock, idOrName);
}

/** Make a key expire at `at` (default now). */
export function expireApiKey(p: RefitParts, idOrName: string, at?: Date): Promise<ApiKey> {
  return expireKey(p.store, p.clock, idOrName, at);
}

/** Check a presented key. */
export function verifyApiKey(p: RefitParts, presented: string): Promise<KeyCheck> {
  return verifyKey(p.store, p.clock, presented);
}

/** Append a change to the audit trail now. */
export function audit(p: RefitParts, input: AuditInput): Promise<AuditEntry> {
  return recordAudit(p.store, p.clock, input);
}

/** The audit trail, newest first. */
export function listAudit(p: RefitParts, filter: AuditFilter): Promise<AuditEntry[]> {
  return p.store.listAudit(filter);
}
