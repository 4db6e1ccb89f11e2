import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';
import { spec, trainingRows } from '../rollout/harness.js';

describe.each(DIALECTS)('the audit trail on $name', (dialect) => {
  let t: TestApp;
  let ops: string;
  let trainer: string;
  let reader: string;
  beforeAll(async () => {
    t = await openTestApp(dialect, { auth: 'required' });
    ops = (await t.refit.createKey({ name: 'ops', scopes: ['admin'] })).key;
    trainer = (await t.refit.createKey({ name: 'ci-trainer', scopes: ['train', 'score', 'read'] })).key;
    reader = (await t.refit.createKey({ name: 'viewer', scopes: ['read'] })).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const as = (key: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
  const audit = async (query: string) => {
    await t.refit.whenIdle();
    const res = await as(reader, 'GET', `/api/v1/audit?${query}`);
    expect(res.statusCode).toBe(200);
    return res.json().items as { actor: string; action: string; modelId: string | null; version: string | null; outcome: string; address: string | null; detail: Record<string, unknown> | null }[];
  };

  it('records promote, rollback, config changes and retrains with the name of the key that asked', async () => {
    expect((await as(ops, 'POST', '/api/v1/models', spec())).statusCode).toBe(201);
    expect((await as(trainer, 'POST', '/api/v1/models/m/labels', { items: trainingRows(20) })).statusCode).toBe(201);
    const versions: string[] = [];
    for (let i = 0; i < 2; i++) {
      t.clock.advance(60_000);
      const started = await as(trainer, 'POST', '/api/v1/models/m/retrain', { force: true });
      expect(started.statusCode).toBe(202);
      await t.refit.whenIdle();
      versions.push((await t.refit.getModel('m')).activeVersion as string);
    }
    const [v1, v2] = versions;
    expect(v1).not.toBe(v2);

    // The body's actor is not believed when a key says who asks.
    const back = await as(ops, 'POST', '/api/v1/models/m/rollback', { version: v1, actor: 'someone-else' });
    expect(back.json()).toMatchObject({ toVersion: v1, actor: 'ops' });
    const forced = await as(ops, 'POST', '/api/v1/models/m/promote', { version: v2, reason: 'the rollback was a mistake', actor: 'someone-else' });
    expect(forced.json()).toMatchObject({ toVersion: v2, actor: 'ops', action: 'force-promote' });
    expect((await as(trainer, 'PUT', '/api/v1/models/m/retrain/config', { minNewLabels: 7 })).statusCode).toBe(200);

    const rows = await audit('modelId=m');
    const byAction = (a: string) => rows.filter((r) => r.action === a);
    expect(byAction('model.create')).toEqual([expect.objectContaining({ actor: 'ops', outcome: 'ok', address: '127.0.0.1' })]);
    expect(byAction('retrain.start')).toHaveLength(2);
    expect(byAction('retrain.start').every((r) => r.actor === 'ci-trainer' && typeof r.detail?.jobId === 'string')).toBe(true);
    expect(byAction('model.rollback')).toEqual([expect.objectContaining({ actor: 'ops', version: v1, outcome: 'ok' })]);
    expect(byAction('model.promote')).toEqual([expect.objectContaining({ actor: 'ops', version: v2, outcome: 'ok' })]);
    expect(byAction('retrain.config')).toEqual([expect.objectContaining({ actor: 'ci-trainer', outcome: 'ok', detail: { fields: ['minNewLabels'] } })]);
    // Scores and labels are not changes worth a row each.
    expect(rows.some((r) => r.action.includes('labels'))).toBe(false);
    // The timeline names the key too.
    const timeline = (await as(reader, 'GET', '/api/v1/models/m/timeline')).json().items as { action: string; actor: string }[];
    expect(timeline.filter((e) => e.action === 'rollback' || e.action === 'force-promote').map((e) => e.actor)).toEqual(['ops', 'ops']);
  });

  it('records refused changes with their outcome: a missing scope, an unknown version', async () => {
    expect((await as(reader, 'POST', '/api/v1/models/m/rollback', {})).statusCode).toBe(403);
    expect((await as(ops, 'POST', '/api/v1/models/m/promote', { version: '9.9.9', reason: 'typo' })).statusCode).toBe(404);
    const rows = await audit('modelId=m&action=model.rollback&actor=viewer');
    expect(rows).toEqual([expect.objectContaining({ actor: 'viewer', outcome: 'FORBIDDEN' })]);
    const promote = await audit('modelId=m&action=model.promote');
    expect(promote[0]).toMatchObject({ actor: 'ops', version: '9.9.9', outcome: 'VERSION_NOT_FOUND' });
  });

  it('shows a scheduled retrain as started by `schedule`', async () => {
    t.clock.set('2026-11-24T05:00:00Z');
    expect((await as(trainer, 'PUT', '/api/v1/models/m/retrain/config', { schedule: { every: 'day', at: '06:30' }, timezone: 'UTC' })).statusCode).toBe(200);
    t.clock.set('2026-11-24T06:30:10Z');
    const [decision] = await t.parts.scheduler.tick();
    expect(decision).toMatchObject({ outcome: 'started' });
    const rows = await audit('actor=schedule');
    expect(rows).toEqual([expect.objectContaining({ actor: 'schedule', action: 'retrain.start', modelId: 'm', address: null, detail: { jobId: decision.jobId, trigger: 'schedule' } })]);
  });

  it('filters by since and limit, newest first, and refuses a bad filter by name', async () => {
    const all = await audit('limit=500');
    expect(all.length).toBeGreaterThan(5);
    expect(await audit('limit=2')).toEqual(all.slice(0, 2));
    expect(await audit('since=2026-11-24T06:00:00Z')).toEqual([expect.objectContaining({ actor: 'schedule' })]);
    const bad = await as(reader, 'GET', '/api/v1/audit?since=yesterday&limit=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/querystring/limit', '/querystring/since']);
  });
});
