import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import { DEFAULT_RETENTION, LIVE_CHART_HOURS, liveWindowHours, retentionPlan } from '../../src/domain/data-retention.js';
import type { Model, Rollout } from '../../src/domain/entities.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const hoursAgo = (n: number) => new Date(NOW.getTime() - n * 3_600_000);

function model(retrain: Record<string, unknown> = {}, task: 'binary' | 'regression' = 'binary'): Model {
  const spec = parseModelSpec({ id: 'm', task, features: [{ name: 'x', type: 'number' }], trainer: { type: task === 'binary' ? 'logistic' : 'ridge' }, retrain });
  return { spec, activeVersion: null, createdAt: daysAgo(400), updatedAt: daysAgo(400) };
}

function rollout(kind: Rollout['kind'], startedAt: Date, status: Rollout['status'] = 'running'): Rollout {
  return { id: 1, modelId: 'm', kind, mode: kind === 'challenger' ? 'canary' : null, version: '1.1.0', baseVersion: '1.0.0', share: 0.1, status, startedAt, endsAt: NOW, finishedAt: null, reason: null, numbers: null, labelsAfterId: 0 };
}

describe('retentionPlan', () => {
  it('defaults to scores 30 days and labels forever', () => {
    expect(DEFAULT_RETENTION).toMatchObject({ scoresDays: 30, labelsDays: null, intervalMs: 600_000, batchRows: 2_000 });
    const plan = retentionPlan(model(), [], DEFAULT_RETENTION, NOW);
    expect(plan.scores.pruneBefore).toEqual(daysAgo(30));
    expect(plan.scores.keepNewest).toBe(10_000);
    expect(plan.labels.pruneBefore).toBeNull();
    expect(plan.labels.reasons.join()).toMatch(/labels retention is off/);
  });

  it('never cuts scores inside the live metrics window: the dashboard chart, the performance and the accept-rate triggers', () => {
    // 2 days of retention, but the chart reads 7 days of labels and their scores.
    expect(retentionPlan(model(), [], { scoresDays: 2, labelsDays: null }, NOW).scores.pruneBefore).toEqual(hoursAgo(LIVE_CHART_HOURS));
    // The accept-rate trigger of a binary model reads 20 windows of 24 h.
    const rate = model({ triggers: { rate: { windowHours: 24, lastWindows: 20 } } });
    expect(liveWindowHours(rate).hours).toBe(480);
    const plan = retentionPlan(rate, [], { scoresDays: 10, labelsDays: null }, NOW);
    expect(plan.scores.pruneBefore).toEqual(hoursAgo(480));
    expect(plan.scores.keepLabelledSince).toEqual(hoursAgo(480));
    expect(plan.scores.reasons.join('\n')).toMatch(/accept-rate trigger \(20 windows of 24 h\)/);
    // A regression model has no accept-rate trigger; its performance window counts.
    const perf = model({ triggers: { performance: { windowHours: 24 * 40 } } }, 'regression');
    expect(retentionPlan(perf, [], { scoresDays: 30, labelsDays: null }, NOW).scores.pruneBefore).toEqual(daysAgo(40));
  });

  it('keeps every score and outcome since a running canary, shadow or watch started, and not for finished ones', () => {
    const plan = retentionPlan(model(), [rollout('challenger', daysAgo(45)), rollout('watch', daysAgo(35)), rollout('watch', daysAgo(90), 'passed')], { scoresDays: 30, labelsDays: 30 }, NOW);
    expect(plan.scores.pruneBefore).toEqual(daysAgo(45));
    expect(plan.scores.reasons.join('\n')).toMatch(/the canary of 1\.1\.0 reads every score and outcome since it started/);
    // Labels too (this model's window is `all`, so none go anyway).
    expect(plan.labels.pruneBefore).toBeNull();
    const days = retentionPlan(model({ window: { days: 10 } }), [rollout('challenger', daysAgo(45))], { scoresDays: 30, labelsDays: 30 }, NOW);
    expect(days.labels.pruneBefore).toEqual(daysAgo(45));
  });

  it('never prunes labels of a model whose training window is all or auto, and keeps a days window and the newest N of a labels window', () => {
    const policy = { scoresDays: 30, labelsDays: 60 };
    for (const window of ['all', 'auto']) {
      const plan = retentionPlan(model({ window }), [], policy, NOW);
      expect(plan.labels.pruneBefore, window).toBeNull();
      expect(plan.labels.reasons.join(), window).toMatch(new RegExp(`training window is '${window}': every label trains`));
    }
    const days = retentionPlan(model({ window: { days: 90 } }), [], policy, NOW);
    expect(days.labels.pruneBefore).toEqual(daysAgo(90));
    expect(days.labels.reasons.join('\n')).toMatch(/the training window \(90 days\)/);
    const shortWindow = retentionPlan(model({ window: { days: 14 } }), [], policy, NOW);
    expect(shortWindow.labels.pruneBefore).toEqual(daysAgo(60));
    const labels = retentionPlan(model({ window: { labels: 5000 } }), [], policy, NOW);
    expect(labels.labels).toMatchObject({ pruneBefore: daysAgo(60), keepNewest: 5000 });
  });

  it('keeps everything with retention off', () => {
    const plan = retentionPlan(model({ window: { days: 1 } }), [], { scoresDays: null, labelsDays: null }, NOW);
    expect(plan.scores.pruneBefore).toBeNull();
    expect(plan.labels.pruneBefore).toBeNull();
  });
});
