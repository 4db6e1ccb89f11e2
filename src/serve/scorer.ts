import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { FeatureRow, ModelSpec, Score } from '../domain/entities.js';
import { RefitError } from '../errors.js';
import type { Predictor } from '../train/trainer.js';
import { loadPredictor } from '../train/registry.js';
import type { Store } from '../store/store.js';

/** One scored row as returned to the caller. */
export interface ScoreItem {
  readonly scoreId: string;
  /** Binary: P(positive) mapped into the score range; regression: the value; multiclass: probability per class. */
  readonly score: number | Readonly<Record<string, number>>;
  /** Multiclass only: the most probable class (null with no version). */
  readonly label?: string | null;
  /** The version that produced the score; null when the default score was served. */
  readonly version: string | null;
}

interface Loaded {
  readonly version: string;
  readonly predictor: Predictor;
}

/**
 * Scores rows with each model's active version. Loaded predictors are cached per model and
 * replaced in one assignment when the active version changes, so a request sees either the old
 * or the new version, never a mix; a retrain in progress never blocks scoring (training does
 * not touch this cache).
 */
export class Scorer {
  private readonly cache = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<Loaded>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Load a model version's predictor from its verified artifact (no caching). */
  async loadVersion(modelId: string, version: string): Promise<Predictor> {
    const v = await this.store.getVersion(modelId, version);
    if (!v) throw new RefitError('VERSION_NOT_FOUND', `Model '${modelId}' has no version '${version}'.`);
    const bytes = await this.store.getArtifact(v.artifactSha256);
    if (!bytes) throw new RefitError('ARTIFACT_CORRUPT', `The artifact of ${modelId}@${version} is missing.`);
    return loadPredictor(v.trainer.type, bytes);
  }

  /** The predictor for a model's active version, loading it once and swapping the cache entry. */
  async predictorFor(modelId: string, version: string): Promise<Predictor> {
    const hit = this.cache.get(modelId);
    if (hit && hit.version === version) return hit.predictor;
    const key = `${modelId}@${version}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.loadVersion(modelId, version).then((predictor) => {
        const loaded = { version, predictor };
        this.cache.set(modelId, loaded);
        return loaded;
      });
      pending.finally(() => this.loading.delete(key)).catch(() => {});
      this.loading.set(key, pending);
    }
    return (await pending).predictor;
  }

  /** Warm the cache for a newly active version (called when a promotion commits). */
  async preload(modelId: string, version: string): Promise<void> {
    await this.predictorFor(modelId, version);
  }

  /** Forget a model's cached predictor. */
  evict(modelId: string): void {
    this.cache.delete(modelId);
  }

  /**
   * Score already validated rows with the model's active version, log every score with the
   * version that made it, and return the items in order.
   */
  async score(spec: ModelSpec, activeVersion: string | null, rows: readonly FeatureRow[]): Promise<ScoreItem[]> {
    const now = this.clock.now();
    const items: ScoreItem[] = [];
    const logged: Score[] = [];
    if (activeVersion === null) {
      for (const row of rows) {
        const scoreId = randomUUID();
        const score = defaultScore(spec);
        items.push(spec.task === 'multiclass' ? { scoreId, score, label: null, version: null } : { scoreId, score, version: null });
        logged.push({ id: scoreId, modelId: spec.id, version: null, features: row, score: typeof score === 'number' ? score : Object.values(score), createdAt: now });
      }
    } else {
      const predictor = await this.predictorFor(spec.id, activeVersion);
      const out = predictor.predictRows(rows);
      const k = predictor.outputsPerRow;
      for (let i = 0; i < rows.length; i++) {
        const scoreId = randomUUID();
        if (spec.task === 'multiclass') {
          const probs: Record<string, number> = {};
          let best = 0;
          for (let c = 0; c < k; c++) {
            probs[predictor.classes[c]] = out[i * k + c];
            if (out[i * k + c] > out[i * k + best]) best = c;
          }
          items.push({ scoreId, score: probs, label: predictor.classes[best] ?? null, version: activeVersion });
          logged.push({ id: scoreId, modelId: spec.id, version: activeVersion, features: rows[i], score: Array.from(out.subarray(i * k, i * k + k)), createdAt: now });
        } else {
          const raw = out[i];
          const score = spec.task === 'binary' ? mapProbability(raw, spec.scoreRange) : raw;
          items.push({ scoreId, score, version: activeVersion });
          // The log keeps the raw model output (a probability for binary) so live metrics can use it.
          logged.push({ id: scoreId, modelId: spec.id, version: activeVersion, features: rows[i], score: raw, createdAt: now });
        }
      }
    }
    await this.store.insertScores(logged);
    return items;
  }
}

/** Map a probability into a score range linearly (`[-1, 1]`: 0 → -1, 0.5 → 0, 1 → 1). */
export function mapProbability(p: number, range: readonly [number, number] | null): number {
  if (range === null) return p;
  return range[0] + p * (range[1] - range[0]);
}

function defaultScore(spec: ModelSpec): number | Record<string, number> {
  if (spec.task !== 'multiclass') return spec.defaultScore;
  const out: Record<string, number> = {};
  for (const c of spec.classes ?? []) out[c] = 1 / (spec.classes?.length ?? 1);
  return out;
}
