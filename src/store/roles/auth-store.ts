import type { ApiKey, AuditEntry } from '../../domain/auth.js';

/** An audit row to append. */
export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** Filters of the audit trail; every one optional. */
export interface AuditFilter {
  readonly modelId?: string;
  readonly actor?: string;
  readonly action?: string;
  /** Entries at or after this moment. */
  readonly since?: Date;
  /** At most this many, newest first. */
  readonly limit: number;
}

/** API keys (hashes only) and the audit trail. */
export interface AuthStore {
  /** Insert a key; false when a key of that name exists. */
  insertApiKey(key: ApiKey): Promise<boolean>;
  /** A key by its id, or null. */
  getApiKey(id: string): Promise<ApiKey | null>;
  /** A key by its name, or null. */
  getApiKeyByName(name: string): Promise<ApiKey | null>;
  /** Every key, oldest first. */
  listApiKeys(): Promise<ApiKey[]>;
  /** Set when a key stops working (revoked or expired); returns it, or null when there is none. */
  updateApiKey(id: string, patch: { revokedAt?: Date; expiresAt?: Date | null }): Promise<ApiKey | null>;
  /** Append a row to the audit trail. */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** The audit trail, newest first. */
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
}
