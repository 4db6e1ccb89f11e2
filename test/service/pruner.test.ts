import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { DataRetentionPolicy, PruneResult } from '../../src/domain/data-retention.js';
import type { Score, TrainingWindow } from '../../src/domain/entities.js';
import { RefitError } from '../../src/errors.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { PRUNE_CLAIM_ID } from '../../src/service/pruner.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import type { NewLabel, Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const HOUR = 3_600_000;
const ago = (days: number, hours = 0) => new Date(NOW.getTime() - days * 86_400_000 - hours * HOUR);

function spec(id: string, window: unknown, extra: Record<string, unknown> = {}) {
  return {
    id,
    task: 'binary',
    features: [{ name: 'x', type: 'number' }],
    trainer: { type: 'logistic' },
    retrain: { window, triggers: { drift: { windowScores: 10, minScores: 10 } } },
    ...extra,
  };
}

function score(modelId: string, id: string, at: Date, version = '1.0.0'): Score {
  return { id, modelId, version, features: { x: at.getTime() % 7 }, score: (at.getTime() % 10) / 10, createdAt: at };
}

function label(scoreId: string | null, occurredAt: Date, value = 1): NewLabel {
  return { features: { x: 1 }, label: value, scoreId, occurredAt };
}

/** `days` days of history for a model, oldest first: a score a day (`<model>-<days ago>`), labelled an hour later every other day. */
async function history(store: Store, modelId: string, days: number): Promise<void> {
  const scores = Array.from({ length: days }, (_, i) => score(modelId, `${modelId}-${i}`, ago(i)));
  await store.insertScores(scores);
  for (let i = days - 1; i >= 0; i--) if (i % 2 === 0) await store.insertLabels(modelId, [label(`${modelId}-${i}`, ago(i, -1), i % 4 === 0 ? 1 : 0)], ago(i, -1));
}

async function scoreIds(store: Store, modelId: string, days: number): Promise<number[]> {
  const found = await store.getScores(modelId, Array.from({ length: days }, (_, i) => `${modelId}-${i}`));
  return [...found.keys()].map((k) => Number(k.split('-').at(-1))).sort((a, b) => a - b);
}

describe.each(DIALECTS)('retention on $name', (dialect) => {
  let store: Store;
  let clock: ManualClock;
  let refit: Refit;
  let parts: RefitParts;
  const open = (retention: Partial<DataRetentionPolicy>, options: { logger?: pino.Logger; store?: Store } = {}) => {
    const built = createRefit({ store: options.store ?? store, clock, executor: inlineExecutor, retention, ...(options.logger ? { logger: options.logger } : {}) });
    refit = built.refit;
    parts = built.parts;
    return built;
  };

  beforeEach(async () => {
    store = await dialect.open();
    clock = new ManualClock(NOW);
  });
  afterEach(async () => {
    await refit.close();
  });
  afterAll(async () => {
    await dropTestSchemas();
  });

  it('deletes scores and labels past their age; live metrics, the training windows and late feedback keep what they read', async () => {
    open({ scoresDays: 30, labelsDays: 90 });
    await refit.createModel(spec('days', { days: 60 }));
    await refit.createModel(spec('all', 'all'));
    await refit.createModel(spec('count', { labels: 20 }));
    for (const m of ['days', 'all', 'count']) await history(store, m, 200);
    // Late feedback: a score made 50 days ago, labelled 2 days ago (inside the live window).
    await store.insertLabels('days', [label('days-50', ago(2), 1)], ago(2));

    const windows = async () =>
      Object.fromEntries(await Promise.all(['days', 'all', 'count'].map(async (m) => [m, (await store.loadLabelsRaw(m, (await refit.getModel(m)).spec.retrain.window as TrainingWindow, clock.now())).map((l) => l.id)])));
    const live = async () => Promise.all(['days', 'all', 'count'].map((m) => refit.performance(m, 24, 7)));
    const windowsBefore = await windows();
    const liveBefore = await live();
    expect(liveBefore[0].windows.reduce((a, w) => a + w.count, 0)).toBeGreaterThan(0);
    const labelsBefore = { all: await store.countLabels('all'), count: await store.countLabels('count') };

    const result = await refit.prune({});

    // Scores: 30 days stay (days 0..29, plus day 30 at the cut), and the late-labelled one.
    expect(await scoreIds(store, 'days', 200)).toEqual([...Array.from({ length: 31 }, (_, i) => i), 50]);
    expect(await scoreIds(store, 'all', 200)).toEqual(Array.from({ length: 31 }, (_, i) => i));
    // Labels: 90 days for the days window (its 60 days are inside), none of `all`, the newest 20 of `count` beyond 90 days.
    const oldestLabel = async (m: string) => (await store.storageStats()).tables.find((t) => t.name === 'labels')!.models.find((x) => x.modelId === m)!.oldestAt;
    expect((await oldestLabel('days'))!.getTime()).toBeGreaterThanOrEqual(ago(90).getTime());
    expect(await store.countLabels('all')).toBe(labelsBefore.all);
    expect(await store.countLabels('count')).toBe(46);
    // What training and live metrics read is unchanged.
    expect(await windows()).toEqual(windowsBefore);
    expect(await live()).toEqual(liveBefore);

    expect(result).toMatchObject({ trigger: 'manual', dryRun: false, scoresDeleted: 3 * 200 - 31 * 3 - 1, interrupted: false });
    expect(result.labelsDeleted).toBe(100 - 46 + (100 - 46));
    expect(result.models.map((m) => m.modelId).sort()).toEqual(['all', 'count', 'days']);
    expect(result.models.find((m) => m.modelId === 'all')).toMatchObject({ labelsDeleted: 0, labelsBefore: null });
    expect(result.before.databaseBytes).toBeGreaterThan(0);

    // Nothing more to do.
    expect(await refit.prune({})).toMatchObject({ scoresDeleted: 0, labelsDeleted: 0 });
  });

  it('keeps the drift window (the newest served scores) and every score and outcome since a running rollout started', async () => {
    open({ scoresDays: 30, labelsDays: 30 });
    await refit.createModel(spec('quiet', { days: 10 }));
    await refit.createModel(spec('canary', { days: 10 }));
    // 12 scores over a year: the drift window (10) reaches back 300 days.
    await store.insertScores(Array.from({ length: 12 }, (_, i) => score('quiet', `quiet-${i}`, ago(i * 30))));
    await history(store, 'canary', 100);
    await store.createRollout({ modelId: 'canary', kind: 'challenger', mode: 'canary', version: '1.1.0', baseVersion: '1.0.0', share: 0.1, startedAt: ago(45), endsAt: ago(-1) });
    // In a stable order: the queries promise none (and a prune's ANALYZE on PostgreSQL may change their plan).
    const analysis = async () => ({
      outcomes: (await store.rolloutOutcomes('canary', ago(45), { afterLabelId: 0, limit: 1000, shadow: true })).outcomes.map((o) => JSON.stringify(o)).sort(),
      serving: (await store.servingStats('canary', ago(45), 1000)).stats.map((v) => ({ ...v, latenciesMs: [...v.latenciesMs].sort((a, b) => a - b) })),
    });
    const recent = async () => (await store.recentScores('quiet', 10)).map((s) => s.id);
    const [analysisBefore, recentBefore] = [await analysis(), await recent()];
    expect(analysisBefore.outcomes.length).toBe(23);

    const result = await refit.prune({});
    expect(await scoreIds(store, 'quiet', 12)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(await scoreIds(store, 'canary', 100)).toEqual(Array.from({ length: 46 }, (_, i) => i));
    expect(await analysis()).toEqual(analysisBefore);
    expect(await recent()).toEqual(recentBefore);
    expect(result.models.find((m) => m.modelId === 'canary')).toMatchObject({ scoresDeleted: 54, scoresBefore: ago(45) });

    const report = await refit.storage();
    const canary = report.models.find((m) => m.modelId === 'canary')!;
    expect(canary.scores.reasons.join('\n')).toMatch(/the canary of 1\.1\.0 reads every score and outcome since it started/);
    expect(report.models.find((m) => m.modelId === 'quiet')!.scores.reasons.join('\n')).toMatch(/the drift window \(the newest 10 served scores\) reaches back/);
  });

  it('counts without deleting in a dry run, and prunes one table when asked', async () => {
    open({ scoresDays: 30, labelsDays: 30 });
    await refit.createModel(spec('m', { days: 30 }));
    await history(store, 'm', 100);
    const dry = await refit.prune({ dryRun: true });
    // Scores made more than 30 days ago (days 31..99); labels that occurred more than 30 days ago (days 32..98, every other one).
    expect(dry).toMatchObject({ dryRun: true, scoresDeleted: 69, labelsDeleted: 34, batches: 0 });
    expect(await store.countLabels('m')).toBe(50);
    expect(await refit.prune({ tables: ['labels'] })).toMatchObject({ scoresDeleted: 0, labelsDeleted: 34 });
    expect(await refit.prune({ tables: ['scores'] })).toMatchObject({ scoresDeleted: 69, labelsDeleted: 0 });
    // A dry run is not "the last prune".
    expect(parts.pruner.last).toMatchObject({ scoresDeleted: 69 });
  });

  it('refuses a bad request naming every problem, and a second prune while one runs', async () => {
    open({ scoresDays: 30 });
    const err = await refit.prune({ dryRun: 'yes', tables: ['scores', 'events'], force: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefitError);
    expect((err as RefitError).errors.map((e) => e.path).sort()).toEqual(['/dryRun', '/force', '/tables/1']);
    const first = refit.prune({});
    await expect(refit.prune({})).rejects.toMatchObject({ code: 'PRUNE_IN_PROGRESS' });
    await first;
  });

  it('deletes in statements of at most batchRows rows, and stops after the current one when the process closes', async () => {
    let closing: Promise<void> | null = null;
    // A store that tells the pruner to stop (as close() does) once its first statement is done.
    const watched: Store = {
      ...store,
      pruneScores: async (...args) => {
        const done = await store.pruneScores(...args);
        closing ??= closingParts.pruner.stop();
        return done;
      },
    };
    const { refit: closingRefit, parts: closingParts } = createRefit({ store: watched, clock, executor: inlineExecutor, retention: { scoresDays: 30, batchRows: 7 } });
    await closingRefit.createModel(spec('m', 'all'));
    await history(store, 'm', 60);
    const stopped = await closingRefit.prune({});
    await closing;
    expect(stopped).toMatchObject({ scoresDeleted: 7, batches: 1, interrupted: true });
    // The next process (or the next start) deletes the rest.
    open({ scoresDays: 30, batchRows: 7 });
    expect(await refit.prune({})).toMatchObject({ scoresDeleted: 29 - 7, batches: 4, interrupted: false });
  });

  it('prunes a minute after start and then every interval, one process per interval; logs at info only when rows went, and audits it', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const mine = open({ scoresDays: 30, intervalMs: 600_000 }, { logger });
    await refit.createModel(spec('m', 'all'));
    await history(store, 'm', 40);
    // A second process on the same database, on the same clock.
    const other = createRefit({ store, clock, executor: inlineExecutor, retention: { scoresDays: 30 } });
    const pruned: PruneResult[] = [];
    other.refit.onEvent('storage:pruned', ({ result }) => pruned.push(result));
    const next = () => new Promise<PruneResult>((resolve) => mine.refit.onEvent('storage:pruned', ({ result }) => resolve(result)));
    mine.refit.startPruning();
    expect(mine.parts.pruner.nextAt).toEqual(new Date(NOW.getTime() + 60_000));

    const first = next();
    clock.advance(60_000);
    // A minute on, the scores of days 30..39 are more than 30 days old.
    expect(await first).toMatchObject({ trigger: 'schedule', requestedBy: null, scoresDeleted: 10 });
    // The other process's turn in the same interval: it is claimed already, nothing happens.
    expect(await other.parts.pruner.tick()).toBeNull();
    expect(pruned).toEqual([]);
    expect((await store.getScheduleStates([PRUNE_CLAIM_ID])).get(PRUNE_CLAIM_ID)?.lastOccurrenceAt).toEqual(NOW);

    await store.insertScores([score('m', 'm-late', ago(31))]);
    const second = next();
    clock.advance(600_000);
    expect(await second).toMatchObject({ scoresDeleted: 1 });
    // Nothing left: the third prune logs nothing at info.
    const third = next();
    clock.advance(600_000);
    expect(await third).toMatchObject({ scoresDeleted: 0 });
    await mine.refit.whenIdle();

    const info = lines.filter((l) => l.level === 30 && /^retention/.test(l.msg));
    expect(info.map((l) => l.msg)).toEqual([expect.stringMatching(/^retention pruned 10 scores and 0 labels in \d+\.\d s; database /), expect.stringMatching(/^retention pruned 1 scores and 0 labels/)]);
    const audit = await store.listAudit({ actor: 'retention', action: 'storage.prune', limit: 10 });
    expect(audit.map((a) => a.detail?.scoresDeleted)).toEqual([1, 10]);
    // The other process shows the last prune from the audit trail.
    expect((await other.refit.storage()).lastPrune).toMatchObject({ trigger: 'schedule', scoresDeleted: 1 });
    await other.parts.pruner.stop();
  });

  it('runs no timer with both retention ages off', async () => {
    open({ scoresDays: null, labelsDays: null });
    refit.startPruning();
    expect(parts.pruner.nextAt).toBeNull();
    expect(clock.pendingTimers).toBe(0);
  });
});
