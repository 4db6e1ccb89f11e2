import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/config/config-file.js';
import { loadSettings } from '../../src/config/settings.js';
import { mulberry32 } from '../../src/data/random.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import { openHarness, spec as fixedSpec, trainingRows, type Harness } from '../rollout/harness.js';

afterAll(dropTestSchemas);

const rnd = mulberry32(2);
const rows = (n: number) =>
  Array.from({ length: n }, () => {
    const x = rnd() * 2 - 1;
    return { features: { x }, label: x > 0 ? 1 : 0 };
  });

// What a careful new user hit, each mended and checked through the API.
describe.each(DIALECTS)('mended behaviour on $name', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const create = async (retrain: object = {}, options: { automaticRetraining?: boolean } = {}) => {
    t = await openTestApp(dialect, options);
    const res = await req('POST', '/api/v1/models', { id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic', retrain });
    expect(res.statusCode, res.body).toBe(201);
  };
  const ownSchedule = async () => (await req('GET', '/api/v1/schedules?modelId=m')).json().items.find((s: { id: string }) => s.id === 'm/default');

  it('PUT …/retrain/config names every problem in one answer, schedule and zone included', async () => {
    await create();
    const before = (await req('GET', '/api/v1/models/m/retrain/config')).json();
    const res = await req('PUT', '/api/v1/models/m/retrain/config', {
      minNewLabels: -1,
      autoPromot: true,
      schedule: 'every now and then',
      timezone: 'Mars/Olympus_Mons',
      gates: { guards: { accuracy: 2 } },
      labels: { duplicates: 'sometimes' },
    });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/minNewLabels', '/autoPromot', '/schedule', '/timezone', '/gates/guards/accuracy', '/labels/duplicates']));
    expect(paths).toHaveLength(6);
    expect((await req('GET', '/api/v1/models/m/retrain/config')).json()).toEqual(before);
  });

  it("DELETE /api/v1/schedules/{model}/default answers the documented 409, not a 404", async () => {
    await create();
    for (const name of ['default', 'checks']) {
      const res = await req('DELETE', `/api/v1/schedules/m/${name}`);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'SCHEDULE_IS_DEFAULT' });
      expect(res.json().detail).toMatch(/switch it off in the model's retrain configuration/);
    }
    expect((await req('DELETE', '/api/v1/schedules/no-such-id')).json().code).toBe('SCHEDULE_NOT_FOUND');
  });

  it('enabling a schedule records no run that never happened', async () => {
    await create({ enabled: false });
    t.clock.set('2026-11-23T10:00:00Z');
    expect((await req('PUT', '/api/v1/models/m/retrain/config', { enabled: true })).statusCode).toBe(200);
    expect(await ownSchedule()).toMatchObject({ lastRunAt: null, lastJobId: null, nextRunAt: '2026-11-24T06:00:00.000Z' });
    expect(await t.parts.scheduler.tick()).toEqual([]);
    expect(await ownSchedule()).toMatchObject({ lastRunAt: null, lastJobId: null });
  });

  it('changing a schedule starts no run for an occurrence before the change', async () => {
    await create({ schedule: { every: 'day', at: '06:00' }, timezone: 'UTC', catchUp: 'once', minNewLabels: 1 });
    await req('POST', '/api/v1/models/m/labels', { items: rows(40) });
    // At 10:00 the user moves the schedule to 08:00: today's 08:00 is before the change.
    t.clock.set('2026-11-23T10:00:00Z');
    expect((await req('PUT', '/api/v1/models/m/retrain/config', { schedule: { every: 'day', at: '08:00' } })).statusCode).toBe(200);
    expect(await t.parts.scheduler.tick()).toEqual([]);
    expect((await req('GET', '/api/v1/models/m/retrain/history')).json().total).toBe(0);
    // Tomorrow's 08:00 runs, and is the schedule's last run.
    t.clock.set('2026-11-24T08:00:00Z');
    const [started] = await t.parts.scheduler.tick();
    expect(started).toMatchObject({ outcome: 'started', occurrence: '2026-11-24T08:00:00.000Z' });
    await t.parts.queue.whenIdle();
    expect(await ownSchedule()).toMatchObject({ lastRunAt: '2026-11-24T08:00:00.000Z', lastJobId: started.jobId });
  });

  it('?force=true on retrain is honoured, and a bad value is refused', async () => {
    await create({ minNewLabels: 1000 });
    await req('POST', '/api/v1/models/m/labels', { items: rows(40) });
    const plain = await req('POST', '/api/v1/models/m/retrain');
    await t.parts.queue.whenIdle();
    expect((await req('GET', `/api/v1/jobs/${plain.json().jobId}`)).json().status).toBe('skipped');
    const forced = await req('POST', '/api/v1/models/m/retrain?force=true');
    expect(forced.statusCode).toBe(202);
    await t.parts.queue.whenIdle();
    expect((await req('GET', `/api/v1/jobs/${forced.json().jobId}`)).json()).toMatchObject({ force: true, status: 'completed' });
    const bad = await req('POST', '/api/v1/models/m/retrain?force=yes');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['/querystring/force']);
  });

  it('cancelling a finished job answers 409 with its status', async () => {
    await create({ minNewLabels: 1 });
    await req('POST', '/api/v1/models/m/labels', { items: rows(40) });
    const { jobId } = (await req('POST', '/api/v1/models/m/retrain')).json();
    await t.parts.queue.whenIdle();
    const res = await req('POST', `/api/v1/jobs/${jobId}/cancel`);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'JOB_FINISHED', jobStatus: 'completed' });
    expect((await req('GET', `/api/v1/jobs/${jobId}`)).json().status).toBe('completed');
  });

  it('a global switch pauses scheduled and trigger-started retrains; manual retrains still run', async () => {
    await create({ schedule: { every: 'day', at: '07:00' }, timezone: 'UTC', minNewLabels: 1 }, { automaticRetraining: false });
    await req('POST', '/api/v1/models/m/labels', { items: rows(40) });
    t.clock.set('2026-11-23T07:00:00Z');
    expect(await t.parts.scheduler.tick()).toEqual([expect.objectContaining({ scheduleId: 'm/default', outcome: 'paused', jobId: null })]);
    expect((await req('GET', '/api/v1/models/m/retrain/history')).json().total).toBe(0);
    expect(await ownSchedule()).toMatchObject({ lastRunAt: null });
    const manual = await req('POST', '/api/v1/models/m/retrain');
    expect(manual.statusCode).toBe(202);
    await t.parts.queue.whenIdle();
    expect((await req('GET', `/api/v1/jobs/${manual.json().jobId}`)).json().status).toBe('completed');
  });
});

describe('aborting a rollout', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('answers the stopped rollout, with its status, end and reason', async () => {
    h = await openHarness(await DIALECTS[0].open());
    expect((await h.post('/api/v1/models', fixedSpec({ policy: 'canary' }))).statusCode).toBe(201);
    await h.post('/api/v1/models/m/labels', { items: trainingRows(60) });
    await h.retrain();
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: { p: 0.8 } }, gates: { guards: {} } });
    await h.retrain();
    expect((await h.get('/api/v1/models/m/rollout')).json().recent[0]).toMatchObject({ mode: 'canary', status: 'running' });
    const res = await h.post('/api/v1/models/m/rollout/abort', { reason: 'not today' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'aborted', reason: 'stopped by hand: not today', finishedAt: expect.any(String) });
    const after = (await h.get('/api/v1/models/m/rollout')).json();
    expect(after.challenger).toBeNull();
    expect(after.recent[0]).toMatchObject({ id: res.json().id, status: 'aborted' });
  });
});

describe('REFIT_AUTOMATIC_RETRAINING and the config file switch', () => {
  let server: RunningServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('reads the switch from the environment and from the config file, refusing other values', () => {
    expect(loadSettings({}).automaticRetraining).toBe(true);
    expect(loadSettings({ REFIT_AUTOMATIC_RETRAINING: 'off' }).automaticRetraining).toBe(false);
    expect(() => loadSettings({ REFIT_AUTOMATIC_RETRAINING: 'sometimes' })).toThrow(/Invalid settings/);
    const dir = mkdtempSync(join(tmpdir(), 'refit-switch-'));
    const file = join(dir, 'refit.config.json');
    writeFileSync(file, JSON.stringify({ automaticRetraining: false, models: [] }));
    expect(readConfigFile(file).automaticRetraining).toBe(false);
    writeFileSync(file, JSON.stringify({ automaticRetraining: 'no', models: [] }));
    expect(() => readConfigFile(file)).toThrow(/invalid/);
  });

  it.each([
    ['the environment', { REFIT_AUTOMATIC_RETRAINING: 'off' }, {}],
    ['the config file', {}, { automaticRetraining: false }],
  ])('a server paused by %s skips scheduled retrains and still runs manual ones', async (_how, env, fileSwitch) => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-paused-'));
    const spec = { id: 'p', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic', retrain: { schedule: '* * * * *', minNewLabels: 1 } };
    writeFileSync(join(dir, 'refit.config.json'), JSON.stringify({ ...fileSwitch, models: [spec] }));
    const settings = loadSettings({ ...env, REFIT_DATA_DIR: join(dir, 'data'), REFIT_PORT: '0', REFIT_LOG_LEVEL: 'silent' });
    server = await startServer(settings, { cwd: dir });
    await server.app.inject({ method: 'POST', url: '/api/v1/models/p/labels', payload: { items: rows(40) } });
    const ticks = await server.parts.scheduler.tick();
    expect(ticks.every((d) => d.outcome !== 'started')).toBe(true);
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/models/p/retrain/history' })).json().total).toBe(0);
    const manual = await server.app.inject({ method: 'POST', url: '/api/v1/models/p/retrain' });
    expect(manual.statusCode).toBe(202);
  });
});
