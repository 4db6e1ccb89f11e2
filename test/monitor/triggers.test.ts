import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import type { PerformanceTrigger, RateTrigger, TriggerCheck } from '../../src/domain/entities.js';
import type { PerformanceWindow } from '../../src/monitor/performance.js';
import { driftVerdict, inCooldown, performanceVerdict, rateVerdict } from '../../src/monitor/triggers.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const PERF: PerformanceTrigger = { enabled: true, maxDropPct: 10, maxErrorRisePct: 20, minLabels: 30, windowHours: 24, cooldownHours: 24 };
const RATE: RateTrigger = { enabled: true, windowHours: 24, lastWindows: 5, below: 0.6, minWindows: 3, cooldownHours: 24 };

describe('performance trigger', () => {
  it('fires when an accuracy-like metric drops more than 10% and not at 9%', () => {
    expect(performanceVerdict(PERF, 'auc', { auc: 0.9 }, { auc: 0.8 }, 100).decision).toBe('fire');
    expect(performanceVerdict(PERF, 'auc', { auc: 0.9 }, { auc: 0.82 }, 100).decision).toBe('ok');
  });
  it('fires when an error metric rises more than 20%', () => {
    expect(performanceVerdict(PERF, 'rmse', { rmse: 1 }, { rmse: 1.25 }, 100)).toMatchObject({ decision: 'fire', numbers: { metric: 'rmse', limitPct: 20 } });
    expect(performanceVerdict(PERF, 'rmse', { rmse: 1 }, { rmse: 1.15 }, 100).decision).toBe('ok');
  });
  it('does not judge a window with too few labelled outcomes, and falls back to accuracy when AUC is undefined live', () => {
    expect(performanceVerdict(PERF, 'auc', { auc: 0.9 }, { auc: 0.5 }, 29)).toMatchObject({ decision: 'insufficient', reason: '29 labelled outcomes in the window; 30 needed' });
    expect(performanceVerdict(PERF, 'auc', { auc: 0.9, accuracy: 0.9 }, { accuracy: 0.7 }, 50)).toMatchObject({ decision: 'fire', numbers: { metric: 'accuracy' } });
  });
});

describe('rate-window trigger', () => {
  const windows = (rates: number[]): PerformanceWindow[] =>
    rates.map((r, i) => ({ version: 'v', start: String(i), end: String(i + 1), count: 10, metrics: {}, acceptRate: r, sampled: false }));
  it('needs the minimum number of windows before it can fire', () => {
    expect(rateVerdict(RATE, windows([0.1, 0.2]), 'v')).toMatchObject({ decision: 'insufficient', reason: '2 window(s) with feedback; 3 needed' });
    expect(rateVerdict(RATE, windows([0.1, 0.2, 0.3]), 'v').decision).toBe('fire');
  });
  it('averages only the last N windows', () => {
    // The old bad windows fall out of the last five; the recent ones average 0.7.
    expect(rateVerdict(RATE, windows([0, 0, 0.7, 0.7, 0.7, 0.7, 0.7]), 'v')).toMatchObject({ decision: 'ok', numbers: { windows: 5 } });
    expect(rateVerdict(RATE, windows([0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5]), 'v')).toMatchObject({ decision: 'fire' });
  });
});

describe('cooldown', () => {
  const fired = { checkedAt: new Date('2026-11-23T06:00:00Z') } as TriggerCheck;
  it('holds for the cooldown and ends after it', () => {
    expect(inCooldown(fired, 24, new Date('2026-11-24T05:59:59Z'))).toBe(true);
    expect(inCooldown(fired, 24, new Date('2026-11-24T06:00:00Z'))).toBe(false);
    expect(inCooldown(undefined, 24, new Date('2026-11-24T05:00:00Z'))).toBe(false);
  });
});

describe('drift trigger', () => {
  const drifted = { drifted: true, reason: '2 of 2 features drifted', driftedShare: 1, driftedFeatures: ['x', 'plan'] };
  const at = (iso: string) => new Date(iso);
  const check = (decision: TriggerCheck['decision'], iso: string, detectedAt: string) =>
    ({ decision, checkedAt: at(iso), numbers: { detectedAt } }) as unknown as TriggerCheck;
  it('waits for a later check to confirm a detection, and fires at once with delayHours 0', () => {
    expect(driftVerdict({ delayHours: 24 }, drifted, undefined, at('2026-11-23T06:00:00Z'))).toMatchObject({ decision: 'ok', numbers: { waiting: true, detectedAt: '2026-11-23T06:00:00.000Z' } });
    const confirmed = driftVerdict({ delayHours: 24 }, drifted, check('waiting', '2026-11-23T06:00:00Z', '2026-11-23T06:00:00.000Z'), at('2026-11-23T07:00:00Z'));
    expect(confirmed).toMatchObject({ decision: 'fire', numbers: { detectedAt: '2026-11-23T06:00:00.000Z' } });
    expect(driftVerdict({ delayHours: 0 }, drifted, undefined, at('2026-11-23T06:00:00Z')).decision).toBe('fire');
    expect(driftVerdict({ delayHours: 24 }, { ...drifted, drifted: false }, undefined, at('2026-11-23T06:00:00Z')).decision).toBe('ok');
  });
  it('treats a detection no check confirmed within delayHours as stale: it waits again from now', () => {
    const stale = check('waiting', '2026-11-23T06:00:00Z', '2026-11-23T06:00:00.000Z');
    const v = driftVerdict({ delayHours: 24 }, drifted, stale, at('2026-11-24T06:00:01Z'));
    expect(v).toMatchObject({ decision: 'ok', numbers: { waiting: true, detectedAt: '2026-11-24T06:00:01.000Z' } });
    expect(v.reason).toMatch(/within 24 h/);
    expect(driftVerdict({ delayHours: 24 }, drifted, stale, at('2026-11-24T06:00:00Z')).decision).toBe('fire');
  });
});

afterAll(dropTestSchemas);

describe.each(DIALECTS)('input drift through the service on $name', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await openTestApp(dialect);
  });
  afterEach(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const rows = (n: number, shift: number, seed: number) => {
    const rnd = mulberry32(seed);
    return Array.from({ length: n }, () => {
      const x = rnd() * 4 - 2 + shift;
      return { features: { x, plan: rnd() < (shift > 0 ? 0.9 : 0.3) ? 'pro' : 'basic' }, label: x + rnd() > 0.5 + shift ? 1 : 0 };
    });
  };

  /** A binary model on x and plan (drift trigger only), trained on 1,000 unshifted rows. */
  const trained = async (id: string, retrain: Record<string, unknown> = {}) => {
    await req('POST', '/api/v1/models', {
      id,
      task: 'binary',
      features: [
        { name: 'x', type: 'number' },
        { name: 'plan', type: 'category' },
      ],
      trainer: 'logistic',
      // A schedule that never comes due here (enabled: false would stop trigger-started retrains too).
      retrain: { schedule: '0 0 1 1 *', ...retrain, triggers: { performance: { enabled: false }, rate: { enabled: false } } },
    });
    await req('POST', `/api/v1/models/${id}/labels`, { items: rows(1000, 0, 1) });
    await req('POST', `/api/v1/models/${id}/retrain`, {});
    await t.parts.queue.whenIdle();
  };

  /** Shift the inputs, then check twice an hour apart (drift waits one check): returns the second check. */
  const driftTwice = async (id: string) => {
    await req('POST', `/api/v1/models/${id}/score`, { items: rows(2000, 2, 3).map((r) => ({ features: r.features })) });
    expect((await req('POST', `/api/v1/models/${id}/checks`)).json().triggers.find((c: { kind: string }) => c.kind === 'drift').decision).toBe('waiting');
    t.clock.advance(3_600_000);
    return (await req('POST', `/api/v1/models/${id}/checks`)).json();
  };

  it('retrains on drift without new labels when the spec says so (triggers.drift.force)', async () => {
    await trained('f', { minNewLabels: 50 });
    expect((await req('PUT', '/api/v1/models/f/retrain/config', { triggers: { drift: { force: true } } })).statusCode).toBe(200);
    const fired = await driftTwice('f');
    expect(fired.triggers.find((c: { kind: string }) => c.kind === 'drift').decision).toBe('fire');
    await t.parts.queue.whenIdle();
    const job = (await req('GET', `/api/v1/jobs/${fired.jobId}`)).json();
    expect(job, JSON.stringify(job)).toMatchObject({ trigger: 'drift', force: true, status: 'completed' });
    expect(job.result.newVersion).toEqual(expect.any(String));
    expect((await req('GET', '/api/v1/models/f/retrain/config')).json().triggers.drift.force).toBe(true);
  });

  it('starts no trigger retrain for a model whose retraining is switched off (enabled: false), and says so', async () => {
    await trained('off');
    await req('PUT', '/api/v1/models/off/retrain/config', { enabled: false });
    const checked = await driftTwice('off');
    const drift = checked.triggers.find((c: { kind: string }) => c.kind === 'drift');
    expect(drift.decision).toBe('disabled');
    expect(drift.reason).toMatch(/no retrain started: retraining of this model is switched off \(enabled: false\)$/);
    expect(checked.jobId).toBeNull();
    await t.parts.queue.whenIdle();
    expect((await req('GET', '/api/v1/models/off/retrain/history')).json().total).toBe(1);
    // A manual retrain still runs.
    expect((await req('POST', '/api/v1/models/off/retrain', { force: true })).statusCode).toBe(202);
  });

  it('reports drifted features, waits one check, fires a drift retrain (skipped: no new labels), then cools down', async () => {
    await trained('m', { minNewLabels: 50 });

    // Inputs like the training data: no drift.
    await req('POST', '/api/v1/models/m/score', { items: rows(300, 0, 2).map((r) => ({ features: r.features })) });
    const calm = (await req('GET', '/api/v1/models/m/drift')).json();
    expect(calm).toMatchObject({ status: 'ok', drifted: false, currentRows: 300, referenceRows: 1000 });
    expect(calm.features.map((f: { name: string; test: string; drifted: boolean }) => [f.name, f.test, f.drifted])).toEqual([
      ['x', 'ks', false],
      ['plan', 'chi2', false],
    ]);

    // Shifted inputs: both features drift, and so do the scores.
    await req('POST', '/api/v1/models/m/score', { items: rows(2000, 2, 3).map((r) => ({ features: r.features })) });
    const report = (await req('GET', '/api/v1/models/m/drift')).json();
    expect(report).toMatchObject({ status: 'ok', drifted: true, driftedShare: 1, driftedFeatures: ['x', 'plan'] });
    for (const f of report.features) expect(f).toEqual(expect.objectContaining({ name: expect.any(String), test: expect.any(String), statistic: expect.any(Number), threshold: expect.any(Number), drifted: true }));
    expect(report.score.drifted).toBe(true);
    // Distributions for the dashboard's charts: plan moved from 30% 'pro' to 90% 'pro'; x's
    // reference deciles hold a tenth each, while most shifted values land past the last edge.
    const dist = Object.fromEntries(report.distributions.map((d: { name: string }) => [d.name, d]));
    expect(Object.keys(dist)).toEqual(['x', 'plan', 'score']);
    const pro = dist.plan.buckets.find((b: { label: string }) => b.label === 'pro');
    expect(pro.reference).toBeCloseTo(0.3, 1);
    expect(pro.current).toBeGreaterThan(0.8);
    expect(dist.x.buckets).toHaveLength(10);
    for (const b of dist.x.buckets) expect(b.reference).toBeCloseTo(0.1, 2);
    expect(dist.x.buckets[9].current).toBeGreaterThan(0.5);

    const first = (await req('POST', '/api/v1/models/m/checks')).json();
    expect(first.triggers.find((c: { kind: string }) => c.kind === 'drift')).toMatchObject({ decision: 'waiting' });
    expect(first.jobId).toBeNull();

    t.clock.advance(3_600_000);
    const second = (await req('POST', '/api/v1/models/m/checks')).json();
    expect(second.triggers.find((c: { kind: string }) => c.kind === 'drift')).toMatchObject({ decision: 'fire' });
    expect(second.jobId).toEqual(expect.any(String));
    await t.parts.queue.whenIdle();
    const job = (await req('GET', `/api/v1/jobs/${second.jobId}`)).json();
    expect(job).toMatchObject({ trigger: 'drift', status: 'skipped' });
    expect(job.result.decision).toMatch(/0 new labels since the last retrain, 50 needed/);

    t.clock.advance(3_600_000);
    const third = (await req('POST', '/api/v1/models/m/checks')).json();
    expect(third.triggers.find((c: { kind: string }) => c.kind === 'drift')).toMatchObject({ decision: 'cooldown' });
    expect(third.jobId).toBeNull();

    const checks = (await req('GET', '/api/v1/models/m/checks')).json().items.filter((c: { kind: string }) => c.kind === 'drift');
    expect(checks.map((c: { decision: string }) => c.decision)).toEqual(['cooldown', 'fire', 'waiting']);
    const events = (await req('GET', '/api/v1/events?follow=false')).body;
    expect(events).toMatch(/event: model\.drift\.detected/);
    expect(events).toMatch(/event: model\.retrain\.triggered/);
  });

  it('counts category values the reference never had as drift, in an (unseen) bucket', async () => {
    await trained('u');
    // Same numbers as in training, but nine in ten plans are a value training never saw.
    const items = rows(300, 0, 2).map((r, i) => ({ features: { ...r.features, plan: i % 10 === 0 ? r.features.plan : 'trial' } }));
    await req('POST', '/api/v1/models/u/score', { items });
    const report = (await req('GET', '/api/v1/models/u/drift')).json();
    expect(report).toMatchObject({ status: 'ok', currentRows: 300 });
    const plan = report.features.find((f: { name: string }) => f.name === 'plan');
    expect(plan).toMatchObject({ test: 'chi2', drifted: true });
    const unseen = report.distributions.find((d: { name: string }) => d.name === 'plan').buckets.find((b: { label: string }) => b.label === '(unseen)');
    expect(unseen).toMatchObject({ reference: 0 });
    expect(unseen.current).toBeCloseTo(0.9, 2);

    // Live performance windows: 1h to 366d; anything else is refused naming the field, never a 500.
    expect((await req('GET', '/api/v1/models/u/performance?window=7d&windows=2')).statusCode).toBe(200);
    for (const w of ['0h', '367d', '99999999d', '5m']) {
      const bad = await req('GET', `/api/v1/models/u/performance?window=${w}`);
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(bad.body).toMatch(/window/);
    }
  });
});
