import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import { ManualClock } from '../../src/domain/clock.js';
import type { FeatureRow, Score } from '../../src/domain/entities.js';
import { Scorer } from '../../src/serve/scorer.js';
import type { PredictorCache } from '../../src/train/predictor-cache.js';
import type { Predictor } from '../../src/train/trainer.js';

const spec = parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'gbdt' } });

/** A binary predictor answering f(x) for each row. */
function predictor(f: (x: number) => number): Predictor {
  return {
    kind: 'fake',
    outputsPerRow: 1,
    classes: ['0', '1'],
    predictRows: (rows: readonly FeatureRow[]) => Float64Array.from(rows, (r) => f(r.x as number)),
    predictMatrix: () => new Float64Array(0),
    serialize: () => new Uint8Array(0),
  } as unknown as Predictor;
}

/**
 * A scorer over predictors that are loaded already (`loaded`), load later (`later`, resolved on
 * the first request) or cannot load (anything else), writing its scores to `stored`.
 */
function setup(loaded: Record<string, Predictor>, later: Record<string, Predictor> = {}) {
  const stored: Score[] = [];
  const store = { insertScores: async (s: readonly Score[]) => void stored.push(...s) };
  const cache = {
    peek: (_m: string, v: string) => loaded[v],
    get: async (_m: string, v: string) => {
      if (loaded[v]) return loaded[v];
      if (later[v]) return (loaded[v] = later[v]);
      throw new Error(`version ${v} cannot load`);
    },
    preload: async () => {},
  } as unknown as PredictorCache;
  let t = 0;
  const scorer = new Scorer(store as never, new ManualClock(new Date('2026-12-06T00:00:00Z')), cache, { random: () => 0.99, stopwatch: () => (t += 2) });
  return { scorer, stored };
}

const rows: FeatureRow[] = [{ x: 0.25 }, { x: 0.5 }, { x: 0.75 }];

describe('the scorer', () => {
  it('scores with a loaded champion and logs every score with its version, arm and latency', async () => {
    const { scorer, stored } = setup({ v1: predictor((x) => x) });
    const items = await scorer.score(spec, 'v1', rows);
    expect(items.map((i) => [i.score, i.version, i.arm])).toEqual([
      [0.25, 'v1', 'champion'],
      [0.5, 'v1', 'champion'],
      [0.75, 'v1', 'champion'],
    ]);
    expect(stored.map((s) => [s.id, s.version, s.arm, s.served, s.latencyMs])).toEqual(items.map((i) => [i.scoreId, 'v1', 'champion', true, 2]));
  });

  it('loads a version on its first request, and its latency leaves the load out', async () => {
    const { scorer, stored } = setup({}, { v1: predictor((x) => 1 - x) });
    const items = await scorer.score(spec, 'v1', rows);
    expect(items.map((i) => i.score)).toEqual([0.75, 0.5, 0.25]);
    expect(stored.every((s) => s.latencyMs === 2)).toBe(true);
  });

  it('fails the request when the champion cannot load, and logs the failed attempts first', async () => {
    const { scorer, stored } = setup({});
    await expect(scorer.score(spec, 'v9', rows)).rejects.toThrow('version v9 cannot load');
    expect(stored).toHaveLength(3);
    expect(stored.every((s) => s.served === false && s.error === 'version v9 cannot load' && s.version === 'v9')).toBe(true);
  });

  it('treats a non-finite score as a failure of the version', async () => {
    const { scorer, stored } = setup({ v1: predictor((x) => (x === 0.5 ? Number.NaN : x)) });
    await expect(scorer.score(spec, 'v1', rows)).rejects.toThrow('m@v1 produced a non-finite score');
    expect(stored.map((s) => s.error)).toEqual(Array(3).fill('m@v1 produced a non-finite score'));
  });

  it('serves a failing canary challenger’s rows with the champion and logs the challenger’s failures', async () => {
    const { scorer, stored } = setup({ v1: predictor((x) => x) });
    // Every row goes to the canary (share 1); it cannot load, so the champion serves them all.
    const items = await scorer.score(spec, 'v1', rows, { challenger: { mode: 'canary', version: 'v2', share: 1 } });
    expect(items.map((i) => [i.score, i.version, i.arm])).toEqual([
      [0.25, 'v1', 'champion'],
      [0.5, 'v1', 'champion'],
      [0.75, 'v1', 'champion'],
    ]);
    expect(stored.filter((s) => s.arm === 'challenger').map((s) => [s.version, s.served, s.error])).toEqual(Array(3).fill(['v2', false, 'version v2 cannot load']));
    expect(stored.filter((s) => s.arm === 'champion')).toHaveLength(3);
  });

  it('logs a shadow challenger’s scores against the champion’s, returning the champion’s', async () => {
    const { scorer, stored } = setup({ v1: predictor((x) => x), v2: predictor((x) => x / 2) });
    const items = await scorer.score(spec, 'v1', rows, { challenger: { mode: 'shadow', version: 'v2', share: null } });
    expect(items.map((i) => i.version)).toEqual(['v1', 'v1', 'v1']);
    const shadow = stored.filter((s) => s.arm === 'challenger');
    expect(shadow.map((s) => [s.score, s.served, s.shadowOf])).toEqual(items.map((i, k) => [(rows[k].x as number) / 2, false, i.scoreId]));
  });
});
