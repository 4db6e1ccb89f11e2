import { z } from 'zod';
import { isoDate } from './common.js';

/** A scope of an API key. */
export const scopeSchema = z.enum(['read', 'score', 'train', 'admin']);

/** An API key as listed: never the key itself. */
export const apiKeySchema = z.object({
  id: z.string().describe('Public id (the part after refit_); revoke and expire by it or by name'),
  name: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: isoDate,
  expiresAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  state: z.enum(['active', 'revoked', 'expired']),
});
/** An API key as the API lists it. */
export type ApiKeyWire = z.infer<typeof apiKeySchema>;

/** `POST /api/v1/keys`: the new key, shown this once. */
export const createdKeySchema = apiKeySchema.extend({ key: z.string().describe('The key: shown once, never again. Send it as authorization: Bearer <key>') });
/** A key just created, with its secret. */
export type CreatedKeyWire = z.infer<typeof createdKeySchema>;

/** `GET /api/v1/keys`. */
export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) });

/** One row of the audit trail. */
export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: isoDate,
  actor: z.string().describe("A key's name, or schedule, trigger, demo, cli-direct, anonymous"),
  action: z.string(),
  modelId: z.string().nullable(),
  version: z.string().nullable(),
  address: z.string().nullable(),
  outcome: z.string().describe('ok, or the error code that refused the change'),
  detail: z.record(z.string(), z.unknown()).nullable(),
});
/** An audit entry as the API shows it. */
export type AuditEntryWire = z.infer<typeof auditEntrySchema>;

/** `GET /api/v1/audit`. */
export const auditListSchema = z.object({ items: z.array(auditEntrySchema) });

/** `GET /api/v1/auth`: whether keys are required, and what the key sent may do. */
export const authInfoSchema = z.object({
  required: z.boolean(),
  key: z.object({ name: z.string(), scopes: z.array(scopeSchema), expiresAt: isoDate.nullable() }).nullable(),
});
/** What the dashboard learns about the server's keys and its own. */
export type AuthInfoWire = z.infer<typeof authInfoSchema>;
