import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { type ApiKey, type Scope, SCOPES, keyState } from '../domain/auth.js';
import { RefitError } from '../errors.js';
import type { AuthStore } from '../store/roles/auth-store.js';

/** Every key starts with this, so a leaked one is easy to recognise (and to scan for). */
export const KEY_PREFIX = 'refit_';

/** Key names: what the audit trail shows; letters, digits, `_ - . @`, up to 64. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
/** `refit_<id>_<secret>`: the id (12 hex) finds the row, the secret (32 random bytes) proves the holder. */
const KEY_FORMAT = /^refit_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * sha256 of a key, hex. A fast unsalted hash is enough here, unlike for passwords: the key carries
 * 256 random bits, so neither a dictionary nor brute force over the hash can find it, and a stolen
 * table of hashes gives nothing to log in with. It also keeps verification cheap on every request.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A key and the row that stands for it. */
export interface CreatedKey {
  /** The key itself: shown once, never stored. */
  readonly key: string;
  readonly record: ApiKey;
}

/** What a new key is made of. */
export interface NewKeyInput {
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** When it stops working; default: never. */
  readonly expiresAt?: Date | null;
}

/** Check a new key's name, scopes and expiry; throws VALIDATION_FAILED naming every problem. */
function checkNewKey(input: NewKeyInput, now: Date): void {
  const errors: { path: string; message: string }[] = [];
  if (typeof input.name !== 'string' || !NAME.test(input.name)) errors.push({ path: '/name', message: "must be 1 to 64 letters, digits or '_ - . @', starting with a letter or digit" });
  if (!Array.isArray(input.scopes) || input.scopes.length === 0) errors.push({ path: '/scopes', message: `must name at least one of ${SCOPES.join(', ')}` });
  else input.scopes.forEach((s, i) => SCOPES.includes(s) || errors.push({ path: `/scopes/${i}`, message: `unknown scope '${String(s)}': one of ${SCOPES.join(', ')}` }));
  if (input.expiresAt && !(input.expiresAt.getTime() > now.getTime())) errors.push({ path: '/expiresAt', message: 'must be in the future' });
  if (errors.length > 0) throw new RefitError('VALIDATION_FAILED', 'The key request is invalid.', { errors });
}

/** Create a key: a random secret returned once, stored only as its sha256. KEY_NAME_TAKEN when the name is used. */
export async function createKey(store: AuthStore, clock: Clock, input: NewKeyInput): Promise<CreatedKey> {
  const now = clock.now();
  checkNewKey(input, now);
  const id = randomBytes(6).toString('hex');
  const key = `${KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKey = { id, name: input.name, scopes: [...new Set(input.scopes)], hash: hashKey(key), createdAt: now, expiresAt: input.expiresAt ?? null, revokedAt: null };
  if (!(await store.insertApiKey(record))) throw new RefitError('KEY_NAME_TAKEN', `A key named '${input.name}' exists; pick another name or revoke that one.`);
  return { key, record };
}

/** Why a presented key was refused (the key itself is never named). */
export type KeyRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired';

/** The outcome of checking a presented key. */
export type KeyCheck = { readonly ok: true; readonly key: ApiKey } | { readonly ok: false; readonly why: KeyRefusal };

/**
 * Check a presented key: find its row by the id in it, then compare the hashes in constant time
 * (timingSafeEqual), so the time taken says nothing about how much of a guess was right.
 */
export async function verifyKey(store: AuthStore, clock: Clock, presented: string): Promise<KeyCheck> {
  const m = KEY_FORMAT.exec(presented);
  if (!m) return { ok: false, why: 'malformed' };
  const record = await store.getApiKey(m[1]);
  const given = Buffer.from(hashKey(presented), 'hex');
  // Compare against something of the same length even when the id is unknown.
  const stored = Buffer.from(record?.hash ?? '0'.repeat(64), 'hex');
  if (!timingSafeEqual(given, stored) || !record) return { ok: false, why: 'unknown' };
  const state = keyState(record, clock.now());
  return state === 'active' ? { ok: true, key: record } : { ok: false, why: state };
}

/** A key by its id or its name, or KEY_NOT_FOUND. */
export async function findKey(store: AuthStore, idOrName: string): Promise<ApiKey> {
  const key = (await store.getApiKey(idOrName)) ?? (await store.getApiKeyByName(idOrName));
  if (!key) throw new RefitError('KEY_NOT_FOUND', `No API key has the id or name '${idOrName}'.`);
  return key;
}

/** Revoke a key now (by id or name); a revoked key stays listed, and revoking it again changes nothing. */
export async function revokeKey(store: AuthStore, clock: Clock, idOrName: string): Promise<ApiKey> {
  const key = await findKey(store, idOrName);
  if (key.revokedAt !== null) return key;
  return (await store.updateApiKey(key.id, { revokedAt: clock.now() })) as ApiKey;
}

/** Make a key expire at `at` (default: now). */
export async function expireKey(store: AuthStore, clock: Clock, idOrName: string, at?: Date): Promise<ApiKey> {
  const key = await findKey(store, idOrName);
  return (await store.updateApiKey(key.id, { expiresAt: at ?? clock.now() })) as ApiKey;
}
