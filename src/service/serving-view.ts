import type { Clock } from '../domain/clock.js';
import type { Model } from '../domain/entities.js';
import type { ChallengerRoute } from '../serve/scorer.js';
import { requireModel } from '../store/require-model.js';
import type { RegistryStore } from '../store/roles/registry-store.js';
import type { RolloutStore } from '../store/roles/rollout-store.js';

/** What a score needs to know of its model: the spec and active version, and the challenger taking traffic. */
export interface ServingState {
  readonly model: Model;
  readonly route: ChallengerRoute | null;
}

/**
 * The scorer's view of each model (active version, running canary or shadow). On SQLite it is
 * kept until something changes it: this process drops it when it commits a change (below), and
 * SQLite's data_version tells when another process (the CLI on the same file) has committed
 * anything, so reading the model on every score, which cost more than scoring, is never needed.
 * On PostgreSQL with `ttlMs` 0 (the single process's default) it is read on every score. With a TTL (API
 * processes of a scaled-out deployment) it is read at most once per TTL per model, and dropped at
 * once when this process commits a change or another process announces one (an activation or a
 * challenger over Redis), so a score never waits for the database to learn what it already knows.
 */
export class ServingView {
  /** Counts invalidations, so that a read overtaken by one is not kept. */
  private generation = 0;
  private readonly cache = new Map<string, { at: number; dataVersion: number; state: ServingState }>();

  /** @param ttlMs how long a view is kept without a change announced. Default 0: never kept. */
  constructor(
    private readonly store: RegistryStore & RolloutStore & { dataVersion?(): number },
    private readonly clock: Clock,
    private readonly ttlMs = 0,
  ) {}

  /** The model's serving state when the kept view is still good (no read), else undefined. */
  peek(modelId: string): ServingState | undefined {
    const hit = this.cache.get(modelId);
    if (hit === undefined) return undefined;
    const dataVersion = this.store.dataVersion?.() ?? -1;
    return (dataVersion >= 0 ? hit.dataVersion === dataVersion : this.clock.now().getTime() - hit.at < this.ttlMs) ? hit.state : undefined;
  }

  /** The model's current serving state (MODEL_NOT_FOUND when it does not exist; that is never kept). */
  async get(modelId: string): Promise<ServingState> {
    const kept = this.peek(modelId);
    if (kept !== undefined) return kept;
    const now = this.clock.now().getTime();
    const dataVersion = this.store.dataVersion?.() ?? -1;
    const generation = this.generation;
    const model = await requireModel(this.store, modelId);
    const { challenger } = await this.store.runningRollouts(modelId);
    const state: ServingState = { model, route: challenger?.mode ? { mode: challenger.mode, version: challenger.version, share: challenger.share } : null };
    // A change committed while this read was under way may be missing from it: such a read is
    // answered but not kept.
    if ((this.ttlMs > 0 || dataVersion >= 0) && generation === this.generation) this.cache.set(modelId, { at: now, dataVersion, state });
    return state;
  }

  /** Forget one model's view, or every model's: the next score reads it again. */
  invalidate(modelId?: string): void {
    this.generation++;
    if (modelId === undefined) this.cache.clear();
    else this.cache.delete(modelId);
  }
}
