import type { ModelVersion } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import { loadPredictor } from './registry.js';
import type { Predictor } from './trainer.js';

/** Where a version's artifact comes from: the two store reads the cache needs, nothing more. */
export interface ArtifactSource {
  /** A model version (its trainer kind, artifact hash and retention state), or null. */
  getVersion(modelId: string, version: string): Promise<ModelVersion | null>;
  /** Verified artifact bytes by sha256, or null when missing. */
  getArtifact(sha256: string): Promise<Uint8Array | null>;
}

/** Options of a predictor cache. */
export interface PredictorCacheOptions {
  /** Versions kept loaded per model: the champion, a challenger, and a recent one or two. Default 4. */
  readonly maxPerModel?: number;
}

/**
 * Loaded predictors per model and version, shared by scoring, monitoring and rollout, so that a
 * version is loaded once per process whoever asks first. Each entry is set in one assignment, so
 * a reader sees either no predictor or a whole one; concurrent requests for the same version share
 * one load. Training never touches this cache, so a retrain in progress never blocks scoring.
 */
export class PredictorCache {
  private readonly cache = new Map<string, Map<string, Predictor>>();
  private readonly loading = new Map<string, Promise<Predictor>>();
  private readonly maxPerModel: number;

  constructor(
    private readonly source: ArtifactSource,
    options: PredictorCacheOptions = {},
  ) {
    this.maxPerModel = options.maxPerModel ?? 4;
  }

  /** Load a model version's predictor from its verified artifact (no caching). */
  async load(modelId: string, version: string): Promise<Predictor> {
    const v = await this.source.getVersion(modelId, version);
    if (!v) throw new RefitError('VERSION_NOT_FOUND', `Model '${modelId}' has no version '${version}'.`);
    if (v.artifactDeletedAt) throw new RefitError('VERSION_NOT_RETAINED', `The artifact of ${modelId}@${version} was deleted by retention on ${v.artifactDeletedAt.toISOString()}.`);
    const bytes = await this.source.getArtifact(v.artifactSha256);
    if (!bytes) throw new RefitError('ARTIFACT_CORRUPT', `The artifact of ${modelId}@${version} is missing.`);
    return loadPredictor(v.trainer.type, bytes);
  }

  /** The predictor of a model version if it is loaded (no load started). */
  peek(modelId: string, version: string): Predictor | undefined {
    return this.cache.get(modelId)?.get(version);
  }

  /** The predictor of a model version, loaded once and cached; throws when its artifact cannot load. */
  async get(modelId: string, version: string): Promise<Predictor> {
    const hit = this.peek(modelId, version);
    if (hit) return hit;
    const key = `${modelId}@${version}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(modelId, version).then((predictor) => {
        let perModel = this.cache.get(modelId);
        if (!perModel) this.cache.set(modelId, (perModel = new Map()));
        perModel.set(version, predictor);
        // Oldest loaded first: drop those beyond the bound (a dropped one is reloaded if needed).
        for (const old of perModel.keys()) {
          if (perModel.size <= this.maxPerModel) break;
          if (old !== version) perModel.delete(old);
        }
        return predictor;
      });
      pending.finally(() => this.loading.delete(key)).catch(() => {});
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Warm the cache for a version about to receive traffic (a promotion or a challenger). */
  async preload(modelId: string, version: string): Promise<void> {
    await this.get(modelId, version);
  }

  /** Forget a model's loaded predictors. */
  evict(modelId: string): void {
    this.cache.delete(modelId);
  }
}
