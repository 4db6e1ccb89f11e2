/** What an API key may do: `read` every GET, `score` scores and labels, `train` retrains, checks and retrain config, `admin` everything. */
export type Scope = 'read' | 'score' | 'train' | 'admin';

/** Every scope, in the order they are shown. */
export const SCOPES: readonly Scope[] = ['read', 'score', 'train', 'admin'];

/** An API key as stored: never the key itself, only its sha256. */
export interface ApiKey {
  /** Public identifier, also the key's prefix (`refit_<id>_…`); used to list, revoke and expire it. */
  readonly id: string;
  /** Who holds it, as the audit trail names them. Unique among keys. */
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** sha256 of the whole key, hex. */
  readonly hash: string;
  readonly createdAt: Date;
  /** Refused from this moment on; null: never expires. */
  readonly expiresAt: Date | null;
  /** Refused from this moment on; null: not revoked. */
  readonly revokedAt: Date | null;
}

/** Whether a key is usable at `now`, and if not why. */
export function keyState(key: Pick<ApiKey, 'expiresAt' | 'revokedAt'>, now: Date): 'active' | 'revoked' | 'expired' {
  if (key.revokedAt !== null && key.revokedAt.getTime() <= now.getTime()) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Whether `scopes` allow `needed`: `admin` allows everything, the others only themselves. */
export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

/** One row of the audit trail: who did what, to which model and version, when, from where, and how it ended. */
export interface AuditEntry {
  readonly id: number;
  readonly at: Date;
  /** A key's name, or `schedule`, `trigger`, `demo`, `cli-direct`, `anonymous` (a server that runs open). */
  readonly actor: string;
  /** What was asked, e.g. `model.promote`, `model.rollback`, `retrain.start`, `retrain.config`, `key.create`. */
  readonly action: string;
  readonly modelId: string | null;
  readonly version: string | null;
  /** The client's address; null when the change did not come over HTTP. */
  readonly address: string | null;
  /** `ok`, or the error code that refused it. */
  readonly outcome: string;
  /** Anything else worth keeping (a job id, a reason); never a secret. */
  readonly detail: Readonly<Record<string, unknown>> | null;
}
