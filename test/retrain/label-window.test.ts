import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanLabels } from '../../src/data/holdout.js';
import type { ModelSpec, TrainingWindow } from '../../src/domain/entities.js';
import type { LabelPolicy } from '../../src/domain/quality.js';
import { parseModelSpec } from '../../src/config/model-spec.js';
import { LabelWindowCache } from '../../src/retrain/label-window.js';
import { createStore } from '../../src/store/create-store.js';
import type { NewLabel, Store } from '../../src/store/store.js';

const T0 = new Date('2026-11-23T06:00:00Z');
const ALL: TrainingWindow = { kind: 'all' };
const KEEP_ALL: LabelPolicy = { exclude: null, duplicates: 'replace' };
const NO_TESTS: LabelPolicy = { exclude: { source: 'test' }, duplicates: 'replace' };

let n = 0;
function labels(count: number, options: { scoreIds?: string[]; meta?: Record<string, string> } = {}): NewLabel[] {
  return Array.from({ length: count }, (_, i) => ({
    features: { x: ++n, plan: n % 3 === 0 ? 'pro' : 'team' },
    label: n % 2,
    scoreId: options.scoreIds?.[i] ?? null,
    occurredAt: T0,
    meta: options.meta ?? (n % 5 === 0 ? { source: 'test' } : null),
  }));
}

/**
 * The SQLite store in a file (the test deletes rows behind its back, as pruning will), counting
 * how many rows each kind of read returns.
 */
describe('the training window kept between retrains', () => {
  let dir: string;
  let store: Store;
  let reads: { whole: number; between: number };
  let counted: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'refit-window-'));
    store = await createStore({ url: `sqlite:${join(dir, 'refit.db')}` });
    const spec: ModelSpec = parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic' });
    await store.createModel(spec, T0);
    await store.createModel({ ...spec, id: 'other' }, T0);
    reads = { whole: 0, between: 0 };
    counted = Object.create(store, {
      loadLabelsRaw: { value: async (...a: Parameters<Store['loadLabelsRaw']>) => ((reads.whole += 1), store.loadLabelsRaw(...a)) },
      loadLabelsRawBetween: {
        value: async (...a: Parameters<Store['loadLabelsRawBetween']>) => {
          const rows = await store.loadLabelsRawBetween(...a);
          reads.between += rows.length;
          return rows;
        },
      },
    }) as Store;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What reading the window whole gives now. */
  const fresh = async (policy: LabelPolicy, window: TrainingWindow = ALL) => cleanLabels(await store.loadLabelsRaw('m', window, T0), policy);

  const load = async (cache: LabelWindowCache, policy: LabelPolicy = NO_TESTS, window: TrainingWindow = ALL) => cache.load(counted, 'm', window, policy, T0, await store.maxLabelId('m'));

  it('gives the rows a fresh read gives as labels arrive, reading only the new ones, with one key while it only grows', async () => {
    const cache = new LabelWindowCache();
    await store.insertLabels('m', labels(100, { scoreIds: Array.from({ length: 100 }, (_, i) => `s${i}`) }), T0);
    await store.insertLabels('other', labels(10), T0);
    const first = await load(cache);
    expect(first.clean).toEqual(await fresh(NO_TESTS));
    expect(first.clean.excludedByRule).toBe(20);
    expect(first.key).not.toBeNull();
    expect(reads).toEqual({ whole: 1, between: 0 });

    await store.insertLabels('m', labels(30, { scoreIds: ['n1', 'n2', 'n1'] }), T0);
    const grown = await load(cache);
    expect(grown.clean).toEqual(await fresh(NO_TESTS));
    expect(grown.clean.replaced).toBe(1);
    expect(grown.key).toBe(first.key);
    expect(grown.clean.rows.slice(0, first.clean.rows.length)).toEqual(first.clean.rows);
    expect(reads).toEqual({ whole: 1, between: 30 });

    // Nothing new: nothing read but the check.
    expect((await load(cache)).clean).toEqual(await fresh(NO_TESTS));
    expect(reads).toEqual({ whole: 1, between: 30 });

    // A later label for a kept score replaces a kept row: same rows as a fresh read, under a new key.
    await store.insertLabels('m', labels(5, { scoreIds: ['s7'] }), T0);
    const replaced = await load(cache);
    expect(replaced.clean).toEqual(await fresh(NO_TESTS));
    expect(replaced.key).not.toBe(first.key);
    expect(reads).toEqual({ whole: 1, between: 35 });
  });

  it('reads the window whole when labels below the kept ones are gone (pruning), or when the label policy changes', async () => {
    const cache = new LabelWindowCache();
    await store.insertLabels('m', labels(50), T0);
    const first = await load(cache);
    // Prune the 10 oldest and add new ones, behind the cache's back.
    const db = new Database(join(dir, 'refit.db'));
    db.prepare("delete from labels where id in (select id from labels where model_id = 'm' order by id limit 10)").run();
    db.close();
    await store.insertLabels('m', labels(10), T0);
    const pruned = await load(cache);
    expect(pruned.clean).toEqual(await fresh(NO_TESTS));
    expect(pruned.clean.total).toBe(50);
    expect(pruned.key).not.toBe(first.key);
    expect(reads.whole).toBe(2);

    const keepAll = await load(cache, KEEP_ALL);
    expect(keepAll.clean).toEqual(await fresh(KEEP_ALL));
    expect(keepAll.key).not.toBe(pruned.key);
    expect(reads.whole).toBe(3);
  });

  it('keeps no window that drops rows as it moves (days, labels), and stays within its budget', async () => {
    await store.insertLabels('m', labels(40), T0);
    const cache = new LabelWindowCache({ maxChars: 100_000 });
    const last20: TrainingWindow = { kind: 'labels', count: 20 };
    const moving = await load(cache, NO_TESTS, last20);
    expect(moving.key).toBeNull();
    expect(moving.clean).toEqual(await fresh(NO_TESTS, last20));
    expect(cache.size).toBe(0);

    await load(cache);
    const kept = cache.size;
    expect(kept).toBeGreaterThan(0);
    // Another model's window pushes the least recently used one out when both do not fit.
    await store.insertLabels('other', labels(40), T0);
    const small = new LabelWindowCache({ maxChars: kept + 10 });
    await load(small);
    await small.load(counted, 'other', ALL, NO_TESTS, T0, await store.maxLabelId('other'));
    expect(small.size).toBeLessThanOrEqual(kept + 10);
    const before = reads.whole;
    await load(small);
    expect(reads.whole).toBe(before + 1);
    // A window bigger than the budget is not kept at all.
    const tiny = new LabelWindowCache({ maxChars: 10 });
    expect((await load(tiny)).key).toBeNull();
    expect(tiny.size).toBe(0);
  });
});
