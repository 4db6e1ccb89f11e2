import { performance } from 'node:perf_hooks';
import type { Clock } from '../domain/clock.js';
import { timeOrderedId } from '../domain/ids.js';
import type { FeatureRow, ModelSpec, Score, ScoreArm } from '../domain/entities.js';
import { canaryArm } from '../rollout/routing.js';
import type { PredictorCache } from '../train/predictor-cache.js';
import type { Predictor } from '../train/trainer.js';
import type { FeedbackStore } from '../store/roles/feedback-store.js';
import type { RegistryStore } from '../store/roles/registry-store.js';
import { ScoreLog } from './score-log.js';

/** One scored row as returned to the caller. */
export interface ScoreItem {
  readonly scoreId: string;
  /** Binary: P(positive) mapped into the score range; regression: the value; multiclass: probability per class. */
  readonly score: number | Readonly<Record<string, number>>;
  /** Multiclass only: the most probable class (null with no version). */
  readonly label?: string | null;
  /** The version that produced the score; null when the default score was served. */
  readonly version: string | null;
  /** `champion` (the active version) or `challenger` (a canary's share of traffic). */
  readonly arm: ScoreArm;
}

/** A challenger receiving traffic: a canary's share, or every request in shadow. */
export interface ChallengerRoute {
  readonly mode: 'canary' | 'shadow';
  readonly version: string;
  /** Canary only: the share of rows it serves. */
  readonly share: number | null;
}

/** Options of a scorer. */
export interface ScorerOptions {
  /** Uniform [0, 1) source for canary routing of rows without an entity key. Default Math.random. */
  readonly random?: () => number;
  /** Monotonic milliseconds, for scoring latency. Default performance.now. */
  readonly stopwatch?: () => number;
}

/**
 * Scores rows with each model's active version and, during a rollout, its challenger. Predictors
 * come from the process's shared predictor cache (src/train/predictor-cache.ts), whose entries are
 * set in one assignment, so a request sees either the old or the new version, never a mix; a
 * retrain in progress never blocks scoring (training does not touch that cache).
 */
export class Scorer {
  private readonly random: () => number;
  private readonly stopwatch: () => number;
  /** Every score goes to the store through here: batched, each request answered once its batch commits. */
  private readonly log: ScoreLog;

  constructor(
    private readonly store: FeedbackStore & RegistryStore,
    private readonly clock: Clock,
    private readonly predictors: PredictorCache,
    options: ScorerOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.stopwatch = options.stopwatch ?? (() => performance.now());
    this.log = new ScoreLog(store);
  }

  /** Resolves once every score logged so far is in the store (before the store closes). */
  drain(): Promise<void> {
    return this.log.drain();
  }

  /** Warm the cache for a newly active version (called when a promotion or a challenger commits). */
  async preload(modelId: string, version: string): Promise<void> {
    await this.predictors.preload(modelId, version);
  }

  /**
   * Score already validated rows with the model's active version, or with a canary for its share
   * of rows (sticky per entity key), or with both in shadow (the challenger's scores logged, not
   * returned). Every score is logged with its version, arm and the arm's latency; a challenger
   * that fails is logged as an error and its rows are served by the champion.
   */
  async score(
    spec: ModelSpec,
    activeVersion: string | null,
    rows: readonly FeatureRow[],
    options: { entityKeys?: readonly (string | null)[]; challenger?: ChallengerRoute | null } = {},
  ): Promise<ScoreItem[]> {
    const now = this.clock.now();
    const logged: Score[] = [];
    if (activeVersion === null) {
      const items: ScoreItem[] = [];
      for (const row of rows) {
        const scoreId = timeOrderedId();
        const score = defaultScore(spec);
        items.push(spec.task === 'multiclass' ? { scoreId, score, label: null, version: null, arm: 'champion' } : { scoreId, score, version: null, arm: 'champion' });
        logged.push({ id: scoreId, modelId: spec.id, version: null, features: row, score: typeof score === 'number' ? score : Object.values(score), createdAt: now });
      }
      await this.log.append(logged);
      return items;
    }
    const challenger = options.challenger && options.challenger.version !== activeVersion ? options.challenger : null;
    const items: (ScoreItem | null)[] = new Array<ScoreItem | null>(rows.length).fill(null);
    const all = rows.map((_, i) => i);
    let championRows = all;
    if (challenger?.mode === 'canary') {
      const share = challenger.share ?? 0;
      const canaryRows: number[] = [];
      championRows = [];
      for (let i = 0; i < rows.length; i++) {
        const arm = canaryArm(share, { entityKey: options.entityKeys?.[i] ?? null, modelId: spec.id, seed: spec.retrain.seed, random: this.random });
        (arm === 'challenger' ? canaryRows : championRows).push(i);
      }
      if (canaryRows.length > 0) {
        const { failed } = await this.run({ spec, version: challenger.version, arm: 'challenger', rows, indices: canaryRows, now, items, logged, served: true });
        // A failing challenger must not fail the request: the champion serves its rows.
        if (failed.length > 0) championRows = [...championRows, ...failed].sort((a, b) => a - b);
      }
    }
    // Loaded (the usual case), the champion scores without a turn through a promise.
    const ran = this.run({ spec, version: activeVersion, arm: 'champion', rows, indices: championRows, now, items, logged, served: true });
    const champion = ran instanceof Promise ? await ran : ran;
    if (champion.error) {
      // Logged first, so the failed attempts count in the version's error rate.
      await this.log.append(logged);
      throw champion.error;
    }
    if (challenger?.mode === 'shadow') {
      await this.run({ spec, version: challenger.version, arm: 'challenger', rows, indices: all, now, items: null, logged, served: false, shadowOf: (i) => (items[i] as ScoreItem).scoreId });
    }
    await this.log.append(logged);
    return items as ScoreItem[];
  }

  /**
   * Score the rows at `indices` with one version; fill `items` (unless shadow) and the log.
   * Returns the indices that failed (all of them when the version cannot load or predict) and why:
   * at once when the version is loaded, else once it is.
   */
  private run(r: VersionRun): RunResult | Promise<RunResult> {
    if (r.indices.length === 0) return { failed: [], error: null };
    const loaded = this.predictors.peek(r.spec.id, r.version);
    if (loaded !== undefined) return this.predict(loaded, r);
    const start = this.stopwatch();
    return this.predictors.get(r.spec.id, r.version).then(
      (predictor) => this.predict(predictor, r),
      (err: unknown) => this.failed(err, start, r),
    );
  }

  /** run's scoring with the version's predictor at hand. */
  private predict(predictor: Predictor, r: VersionRun): RunResult {
    const { spec, version, arm, rows, indices, now, items, logged, served } = r;
    // Latency is the scoring itself: a version's first request must not pay for its load.
    const start = this.stopwatch();
    let out: Float64Array;
    try {
      // Indices are ascending and distinct, so all of them are the rows as they are.
      out = predictor.predictRows(indices.length === rows.length ? rows : indices.map((i) => rows[i]));
      for (let j = 0; j < out.length; j++) if (!Number.isFinite(out[j])) throw new Error(`${spec.id}@${version} produced a non-finite score`);
    } catch (err) {
      return this.failed(err, start, r);
    }
    const latencyMs = this.stopwatch() - start;
    const k = predictor.outputsPerRow;
    for (let j = 0; j < indices.length; j++) {
      const i = indices[j];
      const scoreId = timeOrderedId();
      const shadowOf = r.shadowOf?.(i) ?? null;
      if (spec.task === 'multiclass') {
        const probs: Record<string, number> = {};
        let best = 0;
        for (let c = 0; c < k; c++) {
          probs[predictor.classes[c]] = out[j * k + c];
          if (out[j * k + c] > out[j * k + best]) best = c;
        }
        if (items) items[i] = { scoreId, score: probs, label: predictor.classes[best] ?? null, version, arm };
        logged.push({ id: scoreId, modelId: spec.id, version, features: rows[i], score: Array.from(out.subarray(j * k, j * k + k)), createdAt: now, arm, latencyMs, served, shadowOf });
      } else {
        const raw = out[j];
        if (items) items[i] = { scoreId, score: spec.task === 'binary' ? mapProbability(raw, spec.scoreRange) : raw, version, arm };
        // The log keeps the raw model output (a probability for binary) so live metrics can use it.
        logged.push({ id: scoreId, modelId: spec.id, version, features: rows[i], score: raw, createdAt: now, arm, latencyMs, served, shadowOf });
      }
    }
    return { failed: [], error: null };
  }

  /** Every row of a version that could not load or predict, logged as an error. */
  private failed(err: unknown, start: number, r: VersionRun): RunResult {
    const error = err instanceof Error ? err : new Error(String(err));
    const latencyMs = this.stopwatch() - start;
    const message = error.message.slice(0, 500);
    for (const i of r.indices) {
      r.logged.push({ id: timeOrderedId(), modelId: r.spec.id, version: r.version, features: r.rows[i], score: 0, createdAt: r.now, arm: r.arm, latencyMs, served: false, shadowOf: r.shadowOf?.(i) ?? null, error: message });
    }
    return { failed: [...r.indices], error };
  }
}

/** One version's share of a request: its rows (`indices` of `rows`), where its answers and log go. */
interface VersionRun {
  readonly spec: ModelSpec;
  readonly version: string;
  readonly arm: ScoreArm;
  readonly rows: readonly FeatureRow[];
  readonly indices: readonly number[];
  readonly now: Date;
  /** Answers by row (null in shadow: the challenger's are logged, not returned). */
  readonly items: (ScoreItem | null)[] | null;
  readonly logged: Score[];
  /** Whether the caller gets these scores (false in shadow). */
  readonly served: boolean;
  /** Shadow: the champion's score id of each row. */
  readonly shadowOf?: (i: number) => string;
}

/** What scoring one version's rows came to: the rows that failed, and why. */
interface RunResult {
  readonly failed: number[];
  readonly error: Error | null;
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
