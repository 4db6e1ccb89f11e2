import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { ManualClock } from '../../src/domain/clock.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { retryDelayMs } from '../../src/retrain/runner.js';
import { Scheduler } from '../../src/retrain/scheduler.js';
import { createRefit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import { gatedExecutor, openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

function rows(n: number, seed: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const age = Math.round(18 + rnd() * 60);
    return { features: { age, plan: rnd() < 0.5 ? 'basic' : 'pro' }, label: age + rnd() * 20 > 55 ? 1 : 0 };
  });
}

const SPEC = {
  id: 'churn',
  task: 'binary',
  features: [
    { name: 'age', type: 'number' },
    { name: 'plan', type: 'category' },
  ],
  trainer: 'logistic',
};

afterAll(dropTestSchemas);

describe.each(DIALECTS)('schedules and the job runner on $name', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await openTestApp(dialect);
  });
  afterEach(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  it('takes the plain form of a schedule and shows the next run as an ISO-8601 instant', async () => {
    await req('POST', '/api/v1/models', SPEC);
    const put = await req('PUT', '/api/v1/models/churn/retrain/config', { schedule: '0 6 * * *', timezone: 'Europe/Berlin' });
    expect(put.statusCode).toBe(200);
    // The clock stands at 2026-11-23T06:00Z = 07:00 in Berlin (CET): the next 06:00 Berlin is tomorrow 05:00Z.
    expect(put.json()).toMatchObject({ schedule: '0 6 * * *', timezone: 'Europe/Berlin', enabled: true, catchUp: 'skip', nextRunAt: '2026-11-24T05:00:00.000Z' });
    expect((await req('GET', '/api/v1/models/churn/retrain/config')).json().nextRunAt).toBe('2026-11-24T05:00:00.000Z');
    expect((await req('GET', '/api/v1/models/churn/retrain/status')).json().nextRunAt).toBe('2026-11-24T05:00:00.000Z');
    const weekly = await req('PUT', '/api/v1/models/churn/retrain/config', { schedule: { every: 'week', day: 'monday', at: '06:00' }, timezone: 'America/New_York' });
    // 2026-11-23 is a Monday: 06:00 in New York (EST) is 11:00Z, still ahead today.
    expect(weekly.json().nextRunAt).toBe('2026-11-23T11:00:00.000Z');
  });

  it('refuses an invalid cron, an unknown zone, 25:00 and a negative timeout, naming each field, and keeps the config', async () => {
    await req('POST', '/api/v1/models', SPEC);
    const before = (await req('GET', '/api/v1/models/churn/retrain/config')).json();
    const cases: [unknown, string, RegExp][] = [
      [{ schedule: '61 * * * *' }, '/schedule', /invalid cron expression/],
      [{ timezone: 'Mars/Olympus' }, '/timezone', /unknown time zone 'Mars\/Olympus'/],
      [{ schedule: { every: 'day', at: '25:00' } }, '/schedule/at', /HH:MM/],
      [{ timeoutMinutes: -5 }, '/timeoutMinutes', /./],
    ];
    for (const [body, path, message] of cases) {
      const res = await req('PUT', '/api/v1/models/churn/retrain/config', body);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const problem = res.json().errors.find((e: { path: string }) => e.path === path);
      expect(problem, `${JSON.stringify(body)} → ${JSON.stringify(res.json().errors)}`).toBeDefined();
      expect(problem.message).toMatch(message);
    }
    expect((await req('GET', '/api/v1/models/churn/retrain/config')).json()).toEqual(before);
  });

  it('runs a schedule at its time, once, with trigger "schedule"', async () => {
    await req('POST', '/api/v1/models', SPEC);
    await req('PUT', '/api/v1/models/churn/retrain/config', { schedule: { every: 'day', at: '06:30' }, timezone: 'UTC' });
    await req('POST', '/api/v1/models/churn/labels', { items: rows(100, 1) });
    expect(await t.parts.scheduler.tick()).toEqual([]);
    t.clock.set('2026-11-23T06:30:10Z');
    const [decision] = await t.parts.scheduler.tick();
    expect(decision).toMatchObject({ scheduleId: 'churn/default', outcome: 'started', occurrence: '2026-11-23T06:30:00.000Z' });
    await t.parts.queue.whenIdle();
    const job = (await req('GET', `/api/v1/jobs/${decision.jobId}`)).json();
    expect(job).toMatchObject({ status: 'completed', trigger: 'schedule', attempts: 1 });
    // The same occurrence never runs twice.
    t.clock.advance(20_000);
    expect(await t.parts.scheduler.tick()).toEqual([]);
    const schedules = (await req('GET', '/api/v1/schedules')).json().items;
    expect(schedules).toEqual([
      expect.objectContaining({ id: 'churn/default', modelId: 'churn', kind: 'retrain', default: true, lastRunAt: '2026-11-23T06:30:00.000Z', lastJobStatus: 'completed', nextRunAt: '2026-11-24T06:30:00.000Z' }),
      // The monitor's trigger checks, hourly by default.
      expect.objectContaining({ id: 'churn/checks', modelId: 'churn', kind: 'check', default: true, nextRunAt: '2026-11-23T07:00:00.000Z' }),
    ]);
  });

  it('runs trigger checks after every due retrain is started, and a failing check neither stops the others nor the tick', async () => {
    for (const id of ['a', 'b']) {
      await req('POST', '/api/v1/models', { ...SPEC, id });
      // Retrains on the hour, like the checks (hourly by default).
      await req('PUT', `/api/v1/models/${id}/retrain/config`, { schedule: '0 * * * *', timezone: 'UTC' });
    }
    const order: string[] = [];
    const errors: unknown[] = [];
    const queue = {
      ...t.parts.queue,
      enqueue: async (modelId: string) => {
        order.push(`retrain ${modelId}`);
        return t.parts.queue.enqueue(modelId, { trigger: 'schedule' });
      },
    } as typeof t.parts.queue;
    const scheduler = new Scheduler({
      store: t.parts.store,
      clock: t.clock,
      queue,
      defaultTimezone: 'UTC',
      logger: { error: (obj: unknown) => errors.push(obj), warn: () => undefined, info: () => undefined } as unknown as Logger,
      onCheck: async (modelId) => {
        order.push(`check ${modelId}`);
        if (modelId === 'a') throw new Error('check blew up');
      },
    });
    t.clock.set('2026-11-23T07:00:10Z');
    const decisions = await scheduler.tick();
    expect(decisions.map((d) => [d.modelId, d.outcome])).toEqual([
      ['a', 'started'],
      ['b', 'started'],
    ]);
    expect(order).toEqual(['retrain a', 'retrain b', 'check a', 'check b']);
    expect(errors).toEqual([expect.objectContaining({ modelId: 'a', err: expect.objectContaining({ message: 'check blew up' }) })]);
    await t.parts.queue.whenIdle();
  });

  it('still runs the claimed trigger checks when starting a due retrain fails', async () => {
    for (const id of ['a', 'b']) {
      await req('POST', '/api/v1/models', { ...SPEC, id });
      await req('PUT', `/api/v1/models/${id}/retrain/config`, { schedule: '0 * * * *', timezone: 'UTC' });
    }
    const checked: string[] = [];
    const scheduler = new Scheduler({
      store: t.parts.store,
      clock: t.clock,
      // Model a's retrain starts; model b's fails, after a's check was claimed.
      queue: {
        ...t.parts.queue,
        enqueue: async (modelId: string) => (modelId === 'b' ? Promise.reject(new Error('queue down')) : t.parts.queue.enqueue(modelId, { trigger: 'schedule' })),
      } as typeof t.parts.queue,
      defaultTimezone: 'UTC',
      onCheck: async (modelId) => void checked.push(modelId),
    });
    t.clock.set('2026-11-23T07:00:10Z');
    await expect(scheduler.tick()).rejects.toThrow('queue down');
    // Model a's check occurrence was claimed in that tick: it ran, rather than being lost.
    expect(checked).toEqual(['a']);
    await t.parts.queue.whenIdle();
  });

  it('after downtime skips missed runs by default, or runs exactly one with catchUp "once"', async () => {
    await req('POST', '/api/v1/models', SPEC);
    await req('POST', '/api/v1/models/churn/labels', { items: rows(100, 2) });
    await req('PUT', '/api/v1/models/churn/retrain/config', { schedule: { every: 'day', at: '07:00' }, timezone: 'UTC' });
    const extra = await req('POST', '/api/v1/schedules', { modelId: 'churn', schedule: '0 8 * * *', timezone: 'UTC', catchUp: 'once' });
    expect(extra.statusCode).toBe(201);
    const extraId = extra.json().id;
    // Down from 06:00 on the 23rd to 09:00 on the 26th: four 07:00 and four 08:00 occurrences pass unseen.
    t.clock.set('2026-11-26T09:00:00Z');
    const decisions = await t.parts.scheduler.tick();
    expect(decisions).toEqual([
      expect.objectContaining({ scheduleId: 'churn/default', outcome: 'missed', missed: 4, jobId: null }),
      expect.objectContaining({ scheduleId: extraId, outcome: 'started', occurrence: '2026-11-26T08:00:00.000Z', missed: 3 }),
    ]);
    await t.parts.queue.whenIdle();
    expect(await t.parts.scheduler.tick()).toEqual([]);
    const history = (await req('GET', '/api/v1/models/churn/retrain/history')).json();
    expect(history.total).toBe(1);
    expect(history.items[0]).toMatchObject({ trigger: 'schedule', status: 'completed' });

    const del = await req('DELETE', `/api/v1/schedules/${encodeURIComponent(extraId)}`);
    expect(del.statusCode).toBe(204);
    const delDefault = await req('DELETE', `/api/v1/schedules/${encodeURIComponent('churn/default')}`);
    expect(delDefault.statusCode).toBe(409);
    expect(delDefault.json().code).toBe('SCHEDULE_IS_DEFAULT');
    expect((await req('DELETE', '/api/v1/schedules/nope')).statusCode).toBe(404);
    expect((await req('GET', '/api/v1/schedules')).json().items.map((i: { id: string }) => i.id)).toEqual(['churn/default', 'churn/checks']);
  });

  it('50 concurrent retrain requests yield exactly one job', async () => {
    // The job is held in training until every request is answered, however fast this machine is.
    const gate = gatedExecutor();
    await t.close();
    t = await openTestApp(dialect, { executor: gate.executor });
    await req('POST', '/api/v1/models', SPEC);
    await req('POST', '/api/v1/models/churn/labels', { items: rows(100, 3) });
    const responses = await Promise.all(Array.from({ length: 50 }, () => req('POST', '/api/v1/models/churn/retrain', {})));
    const accepted = responses.filter((r) => r.statusCode === 202);
    expect(accepted).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 409)).toHaveLength(49);
    gate.release();
    await t.parts.queue.whenIdle();
    expect((await req('GET', '/api/v1/models/churn/retrain/history')).json().total).toBe(1);
  });

  it('cancels a pending job', async () => {
    await req('POST', '/api/v1/models', SPEC);
    await req('POST', '/api/v1/models/churn/labels', { items: rows(50, 4) });
    const started = await req('POST', '/api/v1/models/churn/retrain', {});
    const jobId = started.json().jobId;
    const cancelled = await req('POST', `/api/v1/jobs/${jobId}/cancel`);
    expect(cancelled.statusCode).toBe(202);
    await t.parts.queue.whenIdle();
    const job = (await req('GET', `/api/v1/jobs/${jobId}`)).json();
    expect(job.status).toBe('cancelled');
    expect((await req('GET', '/api/v1/models/churn')).json().activeVersion).toBeNull();
    // A new retrain can start once the cancelled one is gone.
    expect((await req('POST', '/api/v1/models/churn/retrain', {})).statusCode).toBe(202);
    await t.parts.queue.whenIdle();
  });
});

describe.each(DIALECTS)('a model created on a running server on $name', (dialect) => {
  it('gets the first run of an every-minute schedule in the next minute, not at the scheduler\'s next routine look', async () => {
    const t = await openTestApp(dialect);
    try {
      // The server started with no models: the scheduler sleeps its longest (5 minutes).
      t.parts.scheduler.start();
      await t.parts.scheduler.refresh();
      t.clock.advance(20_000); // 06:00:20
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/models', payload: { ...SPEC, retrain: { schedule: '* * * * *' } } });
      expect(created.statusCode).toBe(201);
      t.clock.advance(40_000); // 06:01:00, the first occurrence after the model was created
      const decisions = await t.parts.scheduler.tick(); // joins the pass the timer started
      expect(decisions).toEqual([expect.objectContaining({ scheduleId: 'churn/default', outcome: 'started', occurrence: '2026-11-23T06:01:00.000Z', missed: 0 })]);
      await t.parts.queue.whenIdle();
      const history = (await t.app.inject({ method: 'GET', url: '/api/v1/models/churn/retrain/history' })).json();
      expect(history.items.map((j: { trigger: string }) => j.trigger)).toEqual(['schedule']);
    } finally {
      await t.close();
    }
  });
});

describe('restart safety', () => {
  it('marks a job a kill left running as interrupted and runs a scheduled one again, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-restart-'));
    const url = `sqlite:${join(dir, 'refit.db')}`;
    try {
      const clock = new ManualClock('2026-11-23T06:00:00Z');
      // First life: a scheduled job is running when the process dies (its rows stay as they were).
      const { refit: first, parts: firstParts } = createRefit({ store: await createStore({ url }), clock, executor: inlineExecutor });
      await first.createModel(SPEC);
      await first.addLabels('churn', rows(100, 5));
      await firstParts.store.createJob({ id: 'killed-job', modelId: 'churn', trigger: 'schedule', force: false, at: clock.now() });
      await firstParts.store.updateJob('killed-job', { status: 'running', stage: 'training', attempts: 1, startedAt: clock.now() });
      await firstParts.store.close();

      // Second life.
      const second = createRefit({ store: await createStore({ url }), clock, executor: inlineExecutor }).refit;
      const { interrupted, reruns } = await second.recover();
      expect(interrupted.map((j) => [j.id, j.status, j.error])).toEqual([['killed-job', 'failed', expect.stringMatching(/^interrupted/)]]);
      expect(reruns).toHaveLength(1);
      expect(reruns[0]).toMatchObject({ trigger: 'schedule', modelId: 'churn' });
      await second.whenIdle();
      expect((await second.getJob(reruns[0].id)).status).toBe('completed');
      // A second start finds nothing left to recover: the re-run happened once.
      expect((await second.recover()).interrupted).toEqual([]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retry backoff', () => {
  it('doubles from the initial delay, caps at the maximum, and jitters within half of it', () => {
    const policy = { retries: 3, initialDelaySeconds: 30, maxDelaySeconds: 100 };
    expect([1, 2, 3, 4].map((a) => retryDelayMs(policy, a, () => 0))).toEqual([15_000, 30_000, 50_000, 50_000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(policy, a, () => 0.999999))).toEqual([30_000, 60_000, 100_000, 100_000]);
  });
});
