import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/store.js';

/** Why a version's artifact was kept. */
export interface KeptVersion {
  readonly version: string;
  /** `active`, `canary`, `shadow`, `rollback target`, or `recent` (among the newest keepVersions). */
  readonly reasons: readonly string[];
}

/** What one retention cleanup did. */
export interface RetentionReport {
  readonly modelId: string;
  readonly keepVersions: number;
  readonly kept: readonly KeptVersion[];
  /** Versions whose artifacts were deleted now, with the bytes freed for each. */
  readonly deleted: readonly { readonly version: string; readonly freedBytes: number }[];
  readonly freedBytes: number;
}

/**
 * Delete the artifacts of a model's versions beyond the newest `keepVersions`, never those of the
 * active version, a running canary or shadow, or the version a rollback would return to (the one
 * a running watch falls back on, and the one active before the current). Version rows stay, marked
 * with `artifactDeletedAt`; bytes shared with a kept version (content addressing) stay too.
 */
export async function cleanupRetention(deps: { store: Store; clock: Clock }, modelId: string, actor: string): Promise<RetentionReport> {
  const { store, clock } = deps;
  const at = clock.now();
  return store.transaction(async (tx) => {
    // Serialised with promotions and rollbacks, which re-check retention inside their own transaction.
    const model = await tx.lockModel(modelId);
    if (!model) throw new Error(`model '${modelId}' vanished`);
    const keep = model.spec.retrain.rollout.keepVersions;
    const versions = await tx.listVersions(modelId);
    const { challenger, watch } = await tx.runningRollouts(modelId);
    const reasons = new Map<string, string[]>();
    const protect = (v: string | null | undefined, why: string) => {
      if (!v) return;
      const list = reasons.get(v) ?? [];
      if (!list.includes(why)) list.push(why);
      reasons.set(v, list);
    };
    protect(model.activeVersion, 'active');
    if (challenger) protect(challenger.version, challenger.mode ?? 'challenger');
    protect(watch?.baseVersion, 'rollback target');
    const [last] = await tx.listActivations(modelId);
    if (last && last.toVersion === model.activeVersion) protect(last.fromVersion, 'rollback target');
    versions.slice(0, keep).forEach((v) => protect(v.version, 'recent'));
    const deleted: { version: string; freedBytes: number }[] = [];
    for (const v of versions) {
      if (reasons.has(v.version) || v.artifactDeletedAt) continue;
      await tx.markArtifactDeleted(modelId, v.version, at);
      let freed = 0;
      for (const sha of new Set([v.artifactSha256, v.referenceSha256].filter((x): x is string => typeof x === 'string'))) {
        if ((await tx.countArtifactUses(sha)) === 0) freed += await tx.artifacts.delete(sha);
      }
      deleted.push({ version: v.version, freedBytes: freed });
    }
    const freedBytes = deleted.reduce((a, d) => a + d.freedBytes, 0);
    const kept = versions.filter((v) => reasons.has(v.version)).map((v) => ({ version: v.version, reasons: reasons.get(v.version) ?? [] }));
    if (deleted.length > 0) {
      await tx.appendTimeline({
        modelId,
        at,
        action: 'retention.cleanup',
        version: null,
        fromVersion: null,
        actor,
        reason: `deleted the artifacts of ${deleted.length} version${deleted.length === 1 ? '' : 's'} beyond the newest ${keep}, freeing ${freedBytes} bytes`,
        numbers: { deleted, freedBytes, kept },
      });
    }
    return { modelId, keepVersions: keep, kept, deleted, freedBytes };
  });
}
