import { createHash } from 'node:crypto';
import { RefitError } from '../errors.js';

/**
 * Bytes kept content-addressed by their sha256 (model artifacts, drift reference samples). The
 * registry refers to them by sha256 only; where the bytes live is this seam's business.
 */
export interface ArtifactStore {
  /** Store bytes; returns their sha256 (lower-case hex), computed here. Idempotent. */
  put(bytes: Uint8Array): Promise<string>;
  /** Read bytes back, verified: throws ARTIFACT_CORRUPT when they no longer hash to `sha256`; null when absent. */
  get(sha256: string): Promise<Uint8Array | null>;
  /** True when bytes are stored under `sha256` (not verified). */
  has(sha256: string): Promise<boolean>;
  /** Delete bytes; returns how many bytes were freed (0 when absent). */
  delete(sha256: string): Promise<number>;
}

/** Where artifacts live: in the database (the `artifacts` table, the default) or in a directory on disk. */
export type ArtifactLocation = { readonly kind: 'database' } | { readonly kind: 'directory'; readonly dir: string };

/** The location a directory setting names: that directory, or the database when null. */
export function artifactLocation(dir: string | null): ArtifactLocation {
  return dir === null ? { kind: 'database' } : { kind: 'directory', dir };
}

/** The sha256 of bytes, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const SHA256 = /^[0-9a-f]{64}$/;

/** True for a well-formed sha256 as `put` returns it (64 lower-case hex digits). */
export function isSha256(s: string): boolean {
  return SHA256.test(s);
}

/** Return `bytes` when they hash to `sha256`; throw ARTIFACT_CORRUPT otherwise. */
export function verified(sha256: string, bytes: Uint8Array): Uint8Array {
  const actual = sha256Hex(bytes);
  if (actual !== sha256) throw new RefitError('ARTIFACT_CORRUPT', `Artifact ${sha256} failed verification (content hashes to ${actual}).`);
  return bytes;
}
