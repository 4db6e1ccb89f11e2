import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import { RolloutManager } from '../../src/rollout/rollout-manager.js';
import type { Harness } from './harness.js';
import { capturingLogger, openHarness, scoreRows, sendOutcomes, spec, trainingRows } from './harness.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('canary and shadow rollouts on $name', (dialect) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  /** A model whose first version (says 1, p = 0.9) is active, then a challenger with `p` in rollout. */
  async function withChallenger(rollout: Record<string, unknown>, challenger: Record<string, unknown>) {
    h = await openHarness(await dialect.open());
    expect((await h.post('/api/v1/models', spec(rollout))).statusCode).toBe(201);
    expect((await h.post('/api/v1/models/m/labels', { items: trainingRows(60) })).statusCode).toBe(201);
    const first = await h.retrain();
    expect(first.result).toMatchObject({ promoted: true });
    expect((await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: challenger }, gates: { guards: {} } })).statusCode).toBe(200);
    // No offline guards: these challengers are meant to reach traffic, so that live numbers decide.
    const preload = vi.spyOn(h.parts.scorer, 'preload');
    const second = await h.retrain();
    expect(second.status).toBe('completed');
    // The challenger is loaded when its rollout starts, not by the first score routed to it.
    if (second.result.promoted === false && second.result.newVersion) expect(preload).toHaveBeenCalledWith('m', second.result.newVersion);
    preload.mockRestore();
    return { champion: first.result.newVersion as string, challenger: second.result.newVersion as string, job: second };
  }

  it('routes a 10% canary between 8.5% and 11.5% of 10,000 scores, every item naming its version and arm', async () => {
    const { champion, challenger, job } = await withChallenger({ policy: 'canary', canaryShare: 0.1 }, { p: 0.8 });
    expect(job.result).toMatchObject({ promoted: false, newVersion: challenger });
    expect(job.result.decision).toMatch(/^canary started \(10% of traffic\)/);
    // The champion still is the active version; the challenger is in canary.
    const versions = (await h.get('/api/v1/models/m/versions')).json();
    expect(versions.activeVersion).toBe(champion);
    expect(versions.items.find((v: { version: string }) => v.version === challenger).status).toBe('canary');

    const items = await scoreRows(h, 10_000);
    const toChallenger = items.filter((i) => i.arm === 'challenger');
    expect(toChallenger.length / items.length).toBeGreaterThanOrEqual(0.085);
    expect(toChallenger.length / items.length).toBeLessThanOrEqual(0.115);
    for (const i of items) expect(i.version).toBe(i.arm === 'challenger' ? challenger : champion);
    // The challenger's scores are its own (p = 0.8), the champion's too (p = 0.9).
    expect(new Set(toChallenger.map((i) => i.score))).toEqual(new Set([0.8]));

    // With entity keys the split holds too, and a key never switches arm.
    const keyed = await scoreRows(h, 10_000, (i) => `user-${i}`);
    const share = keyed.filter((i) => i.arm === 'challenger').length / keyed.length;
    expect(share).toBeGreaterThanOrEqual(0.085);
    expect(share).toBeLessThanOrEqual(0.115);
    const again = await scoreRows(h, 10_000, (i) => `user-${i}`);
    for (let i = 0; i < keyed.length; i++) expect(again[i].arm).toBe(keyed[i].arm);
    // A user scored one at a time keeps the arm too.
    for (const k of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const res = await h.post('/api/v1/models/m/score', { items: [{ features: { x: 0.5 }, entityKey: `user-${k}` }, { features: { x: 0.1 }, entityKey: `user-${k}` }] });
      expect(res.json().items.map((x: { arm: string }) => x.arm)).toEqual([keyed[k].arm, keyed[k].arm]);
    }
  });

  it('aborts a canary whose challenger gets bad outcomes, but not on 30 labels; the champion keeps serving', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'canary' }, { p: 0.2 });
    // Outcomes are 1: the champion (says 1) is right, the challenger (says 0) wrong.
    const few = await scoreRows(h, 300);
    await sendOutcomes(h, few, () => 1);
    const early = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(early.challenger.decision).toBe('continue');
    expect(early.challenger.reason).toMatch(/waiting for labels/);
    expect(early.challenger.numbers.challenger.labels).toBeLessThan(200);
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(champion);

    const more = await scoreRows(h, 3_000);
    await sendOutcomes(h, more, () => 1);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('abort');
    expect(decided.challenger.reason).toMatch(/significantly worse/);
    expect(decided.challenger.numbers.challenger.successRate).toBe(0);
    expect(decided.challenger.numbers.champion.successRate).toBe(1);
    expect(decided.challenger.numbers.test.pValue).toBeLessThan(0.05);

    const state = (await h.get('/api/v1/models/m/rollout')).json();
    expect(state.challenger).toBeNull();
    expect(state.recent[0]).toMatchObject({ kind: 'challenger', mode: 'canary', version: challenger, status: 'aborted' });
    expect(state.recent[0].numbers.challenger.labels).toBeGreaterThanOrEqual(200);
    const versions = (await h.get('/api/v1/models/m/versions')).json();
    expect(versions.activeVersion).toBe(champion);
    expect(versions.items.find((v: { version: string }) => v.version === challenger).status).toBe('rejected');
    // After the abort every score is the champion's.
    const after = await scoreRows(h, 500);
    expect(new Set(after.map((i) => `${i.version}/${i.arm}`))).toEqual(new Set([`${champion}/champion`]));
    // The event says why, with the numbers.
    const events = (await h.refit.events(0, 1000)).filter((e) => e.eventType === 'model.canary.aborted');
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ modelId: 'm', previousVersion: champion, newVersion: challenger, outcome: 'aborted' });
    expect(String(events[0].payload.reason)).toMatch(/significantly worse/);
  });

  it('promotes a canary with good outcomes once both arms have enough labels, then every score is the new version', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'canary' }, { p: 0.8 });
    const items = await scoreRows(h, 3_000);
    await sendOutcomes(h, items, () => 1);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('promote');
    expect(decided.challenger.numbers.challenger.labels).toBeGreaterThanOrEqual(200);
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(challenger);
    const after = await scoreRows(h, 200);
    expect(new Set(after.map((i) => `${i.version}/${i.arm}`))).toEqual(new Set([`${challenger}/champion`]));
    const types = (await h.refit.events(0, 1000)).map((e) => e.eventType);
    expect(types.filter((t) => t === 'model.canary.started')).toHaveLength(1);
    expect(types.filter((t) => t === 'model.canary.promoted')).toHaveLength(1);
    // The timeline tells the story, newest first, with who did what.
    const timeline = (await h.get('/api/v1/models/m/timeline')).json();
    expect(timeline.items.map((e: { action: string; version: string; actor: string }) => [e.action, e.version, e.actor])).toEqual([
      ['promote', challenger, 'rollout:evaluator'],
      ['canary.promoted', challenger, 'rollout:evaluator'],
      ['canary.started', challenger, 'retrain:manual'],
      ['promote', champion, 'retrain:manual'],
    ]);
    expect(timeline.items[1].numbers.challenger.successRate).toBe(1);
    expect(timeline.total).toBe(4);
    // The promoted version is now watched.
    const state = (await h.get('/api/v1/models/m/rollout')).json();
    expect(state.watch).toMatchObject({ decision: 'continue', rollout: { kind: 'watch', version: challenger, baseVersion: champion, status: 'running' } });
  });

  it('rolls a promoted version back automatically at the periodic check when its live metric falls', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'direct' }, { p: 0.8 });
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(challenger);
    // Good at first: the check keeps it.
    await sendOutcomes(h, await scoreRows(h, 100), () => 1);
    // The hourly check schedule (the spec's default) runs the rollout evaluation.
    h.clock.set('2026-11-23T07:00:00Z');
    await h.parts.scheduler.tick();
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(challenger);
    // Then the world changes: its outcomes turn against it.
    await sendOutcomes(h, await scoreRows(h, 400), () => 0);
    h.clock.set('2026-11-23T08:00:00Z');
    await h.parts.scheduler.tick();
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(champion);
    const after = await scoreRows(h, 50);
    expect(new Set(after.map((i) => i.version))).toEqual(new Set([champion]));
    const rollback = (await h.refit.events(0, 1000)).filter((e) => e.eventType === 'model.rollback');
    expect(rollback).toHaveLength(1);
    expect(rollback[0].payload).toMatchObject({ previousVersion: challenger, newVersion: champion, automatic: true, actor: 'rollout:evaluator' });
    expect(String(rollback[0].payload.reason)).toMatch(/automatic rollback: live success rate 0\.2 over 500 labels is below the rollback threshold 0\.75/);
    const [latest] = (await h.get('/api/v1/models/m/timeline')).json().items;
    expect(latest).toMatchObject({ action: 'rollback', version: champion, fromVersion: challenger, actor: 'rollout:evaluator' });
    expect(latest.numbers.watched.labels).toBe(500);
    const state = (await h.get('/api/v1/models/m/rollout')).json();
    expect(state.watch).toBeNull();
    expect(state.recent[0]).toMatchObject({ kind: 'watch', status: 'rolled-back' });
  });

  it('judges a watch on its most recent outcomes and attempts only, and says its numbers were sampled', async () => {
    const { challenger } = await withChallenger({ policy: 'direct', minLabels: 1, minScores: 1, rollback: { minLabels: 1 } }, { p: 0.8 });
    // 100 good outcomes, then the 30 most recent bad ones (the version says 1, the label is 0).
    await sendOutcomes(h, await scoreRows(h, 100), () => 1);
    await sendOutcomes(h, await scoreRows(h, 30), () => 0);
    const { store, hub, predictors } = h.parts;
    const bounded = new RolloutManager({ store, clock: h.clock, hub, predictors, maxOutcomes: 30, maxScores: 30 });
    const sampled = (await bounded.inspect('m')).watch;
    expect(sampled?.numbers.watched).toMatchObject({ version: challenger, labels: 30, successRate: 0, attempts: 30, sampled: true });
    expect(sampled?.decision).toBe('rollback');
    // The service's own evaluation reads them all (its bounds are far above 130).
    const all = (await h.get('/api/v1/models/m/rollout')).json().watch;
    expect(all.numbers.watched).toMatchObject({ labels: 130, successRate: 100 / 130, attempts: 130, sampled: false });
  });

  it('ends the watch as passed after its period when the numbers hold', async () => {
    const { challenger } = await withChallenger({ policy: 'direct', watchHours: 2 }, { p: 0.8 });
    await sendOutcomes(h, await scoreRows(h, 100), () => 1);
    h.clock.advance(3 * 3_600_000);
    const res = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(res.watch.decision).toBe('pass');
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'watch.passed', version: challenger });
    expect((await h.get('/api/v1/models/m/rollout')).json().watch).toBeNull();
  });

  it('aborts a canary whose challenger fails to score; callers still get the champion scores', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'canary', canaryShare: 0.5 }, { p: 0.8, fail: true });
    const items = await scoreRows(h, 400);
    // Every row was served, by the champion, even those routed to the broken challenger.
    expect(new Set(items.map((i) => `${i.version}/${i.arm}`))).toEqual(new Set([`${champion}/champion`]));
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('abort');
    expect(decided.challenger.reason).toMatch(/challenger error rate 1 over \d+ attempts is above 0\.05/);
    expect(decided.challenger.numbers.challenger.errors).toBeGreaterThan(150);
    expect((await h.get('/api/v1/models/m/versions')).json().items.find((v: { version: string }) => v.version === challenger).status).toBe('rejected');
  });

  it('aborts a canary whose challenger is too slow (latency p95 over 100 ms), measured per arm', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'canary', canaryShare: 0.5 }, { p: 0.8, latencyMs: 150 });
    // One row per request, so each request is one latency sample of the arm that served it.
    for (let i = 0; i < 300; i++) await h.post('/api/v1/models/m/score', { items: [{ features: { x: i } }] });
    const look = (await h.get('/api/v1/models/m/rollout')).json();
    expect(look.challenger.numbers.challenger.latencyP95Ms).toBe(150);
    expect(look.challenger.numbers.champion.latencyP95Ms).toBe(0);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('abort');
    expect(decided.challenger.reason).toBe('challenger latency p95 150 ms is above 100 ms');
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(champion);
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'canary.aborted', version: challenger, reason: 'canary failed: challenger latency p95 150 ms is above 100 ms' });
  });

  it('rolls back a promoted version that fails to score or is too slow, so scoring works again', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'direct' }, { p: 0.8, fail: true });
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(challenger);
    // The broken version cannot serve: requests fail, and each failure is counted.
    for (let i = 0; i < 3; i++) expect((await h.post('/api/v1/models/m/score', { items: Array.from({ length: 50 }, () => ({ features: { x: 1 } })) })).statusCode).toBe(500);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.activeVersion).toBe(champion);
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0].reason).toMatch(/^automatic rollback: error rate 1 over 150 attempts is above the rollback limit 0\.1/);
    const ok = await h.post('/api/v1/models/m/score', { items: [{ features: { x: 1 } }] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items[0].version).toBe(champion);

    // A slow one (250 ms p95 against the 200 ms rollback limit) goes the same way.
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: { p: 0.8, latencyMs: 250 } } });
    const slow = (await h.retrain()).result.newVersion as string;
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(slow);
    for (let i = 0; i < 100; i++) await h.post('/api/v1/models/m/score', { items: [{ features: { x: i } }] });
    const again = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(again.activeVersion).toBe(champion);
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0].reason).toBe('automatic rollback: latency p95 250 ms is above the rollback limit 200 ms');
  });

  it('runs a shadow: the challenger scores every request, its scores are logged and never returned', async () => {
    const { champion, challenger, job } = await withChallenger({ policy: 'shadow' }, { p: 0.2 });
    expect(job.result.decision).toMatch(/^shadow started/);
    const items = await scoreRows(h, 600);
    expect(new Set(items.map((i) => `${i.version}/${i.arm}/${i.score}`))).toEqual(new Set([`${champion}/champion/0.9`]));
    await sendOutcomes(h, items, () => 1);
    const look = (await h.get('/api/v1/models/m/rollout')).json();
    expect(look.challenger.rollout).toMatchObject({ mode: 'shadow', version: challenger });
    // Both arms saw all 600 rows and all 600 labels.
    expect(look.challenger.numbers.challenger).toMatchObject({ attempts: 600, labels: 600, successRate: 0 });
    expect(look.challenger.numbers.champion).toMatchObject({ attempts: 600, labels: 600, successRate: 1 });
    expect(look.challenger.decision).toBe('abort');
    await h.post('/api/v1/models/m/rollout/evaluate');
    const stopped = (await h.refit.events(0, 1000)).filter((e) => e.eventType === 'model.shadow.stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0].payload).toMatchObject({ outcome: 'aborted', newVersion: challenger });
    // Drift and the retrain triggers only ever see what callers received.
    expect((await h.parts.store.recentScores('m', 10_000)).every((s) => s.version === champion)).toBe(true);
  });

  it('force-promotes any retained version with an audited reason, and stops a running canary', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'canary' }, { p: 0.8 });
    const res = await h.post('/api/v1/models/m/promote', { version: challenger, reason: 'incident 42: the old model mislabels new plans', actor: 'alice' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ action: 'force-promote', fromVersion: champion, toVersion: challenger, actor: 'alice' });
    expect((await h.get('/api/v1/models/m/rollout')).json().challenger).toBeNull();
    const [promoted, canary] = (await h.get('/api/v1/models/m/timeline')).json().items;
    expect(canary).toMatchObject({ action: 'canary.promoted', version: challenger, actor: 'alice' });
    expect(promoted).toMatchObject({ action: 'force-promote', version: challenger, actor: 'alice', reason: 'forced: incident 42: the old model mislabels new plans' });
    const ev = (await h.refit.events(0, 1000)).filter((e) => e.eventType === 'model.promoted').at(-1);
    expect(ev?.payload).toMatchObject({ forced: true, newVersion: challenger, actor: 'alice' });
    // Back by hand to the first version.
    const back = await h.post('/api/v1/models/m/rollback', { version: champion, reason: 'false alarm' });
    expect(back.statusCode).toBe(200);
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'rollback', version: champion, actor: 'api', reason: 'false alarm' });
    // Like promote, a rollback records who asks when the caller says.
    const again = await h.post('/api/v1/models/m/rollback', { version: challenger, reason: 'it was right after all', actor: 'alice' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ action: 'rollback', toVersion: challenger, actor: 'alice' });
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'rollback', version: challenger, actor: 'alice', reason: 'it was right after all' });
  });

  it('stops a canary by hand and refuses what cannot be done with problem+json', async () => {
    const { champion, challenger } = await withChallenger({ policy: 'canary' }, { p: 0.8 });
    const stopped = await h.post('/api/v1/models/m/rollout/abort', { reason: 'marketing freeze' });
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json()).toMatchObject({ version: challenger, mode: 'canary' });
    const again = await h.post('/api/v1/models/m/rollout/abort', {});
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.json()).toMatchObject({ code: 'ROLLOUT_NOT_RUNNING', status: 409 });
    const same = await h.post('/api/v1/models/m/promote', { version: champion, reason: 'x' });
    expect(same.json()).toMatchObject({ code: 'PROMOTION_IMPOSSIBLE', status: 409 });
    const unknown = await h.post('/api/v1/models/m/promote', { version: '9.9.9', reason: 'x' });
    expect(unknown.json()).toMatchObject({ code: 'VERSION_NOT_FOUND', status: 404 });
    const missing = await h.post('/api/v1/models/nope/rollout/evaluate');
    expect(missing.json()).toMatchObject({ code: 'MODEL_NOT_FOUND', status: 404 });
  });
  it('a failing rollout evaluation in the periodic checks is logged and the trigger checks still run', async () => {
    const { logger, lines } = capturingLogger();
    h = await openHarness(await dialect.open(), { logger });
    await h.post('/api/v1/models', spec({ policy: 'canary', canaryShare: 0.1 }));
    await h.post('/api/v1/models/m/labels', { items: trainingRows(60) });
    await h.retrain();
    const evaluate = vi.spyOn(h.parts.rollouts, 'evaluate').mockRejectedValue(new Error('store unreachable'));
    const before = (await h.get('/api/v1/models/m/checks')).json().items.length;
    const result = await h.refit.runChecks('m');
    expect(evaluate).toHaveBeenCalledWith('m');
    expect(result).toHaveProperty('needed');
    // The checks ran and were stored (a row per trigger).
    const after = (await h.get('/api/v1/models/m/checks')).json().items;
    expect(after.length).toBeGreaterThan(before);
    expect(after[0].checkedAt).toBe(result.checkedAt);
    expect(lines.filter((l) => l.msg === 'rollout evaluation failed')).toEqual([expect.objectContaining({ modelId: 'm', err: expect.objectContaining({ message: 'store unreachable' }) })]);
    evaluate.mockRestore();
  });
});
