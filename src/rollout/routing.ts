import { createHash } from 'node:crypto';
import type { ScoreArm } from '../domain/entities.js';

/**
 * A stable number in [0, 1) for an entity key of a model: the first 32 bits of
 * sha256(seed, model id, key). The same key always lands on the same side of any share, so a
 * user keeps the version they first got for the whole canary; including the model id keeps one
 * user from being the guinea pig of every model at once.
 */
export function stickyUnit(key: string, modelId: string, seed: number): number {
  const h = createHash('sha256').update(`${seed}\u0000${modelId}\u0000${key}`).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

/** Which arm serves one row of a canary: sticky when an entity key is given, uniform otherwise. */
export function canaryArm(share: number, options: { entityKey: string | null; modelId: string; seed: number; random: () => number }): ScoreArm {
  const u = options.entityKey !== null ? stickyUnit(options.entityKey, options.modelId, options.seed) : options.random();
  return u < share ? 'challenger' : 'champion';
}
