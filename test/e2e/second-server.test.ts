import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { gatedExecutor } from '../helpers/app.js';

const SPEC = {
  id: 'churn',
  task: 'binary',
  features: [{ name: 'age', type: 'number' }],
  trainer: 'logistic',
};
const labels = Array.from({ length: 40 }, (_, i) => ({ features: { age: 20 + i }, label: i % 2 }));
const silent = pino({ level: 'silent' });

describe('a second server started on the same data directory', () => {
  let dir: string;
  const servers: RunningServer[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'refit-second-'));
  });
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const settings = (port: number) => loadSettings({}, { port, dataDir: dir });

  async function firstWithRunningRetrain() {
    const gate = gatedExecutor();
    const first = await startServer(settings(0), { logger: silent, executor: gate.executor });
    servers.push(first);
    const inject = (method: 'GET' | 'POST', url: string, payload?: object) => first.app.inject({ method, url, ...(payload ? { payload } : {}) });
    expect((await inject('POST', '/api/v1/models', SPEC)).statusCode).toBe(201);
    expect((await inject('POST', '/api/v1/models/churn/labels', { items: labels })).statusCode).toBe(201);
    const running = new Promise<void>((resolve) => first.parts.hub.on('retrain:started', () => resolve()));
    const started = await inject('POST', '/api/v1/models/churn/retrain', {});
    expect(started.statusCode).toBe(202);
    const jobId = started.json().jobId as string;
    await running; // the job is running, held in its training stage by the gate
    expect((await inject('GET', '/api/v1/models/churn/retrain/status')).json()).toMatchObject({ status: 'running' });
    return { first, gate, inject, jobId };
  }

  it('fails on the taken port without touching the retrain the running one is doing', async () => {
    const { first, gate, inject, jobId } = await firstWithRunningRetrain();
    const eventsBefore = (await first.refit.events(0, 1000)).length;

    const port = Number(new URL(first.url).port);
    await expect(startServer(settings(port), { logger: silent })).rejects.toMatchObject({ code: 'EADDRINUSE' });

    // The running job is untouched: still running, no failure event, no second job.
    expect((await inject('GET', `/api/v1/jobs/${jobId}`)).json()).toMatchObject({ id: jobId, status: 'running', error: null });
    const events = await first.refit.events(0, 1000);
    expect(events).toHaveLength(eventsBefore);
    expect(events.filter((e) => e.eventType === 'model.retrain.failed')).toEqual([]);
    expect((await inject('POST', '/api/v1/models/churn/retrain', {})).statusCode).toBe(409);

    // The retrain finishes as if nothing had happened.
    gate.release();
    await first.parts.queue.whenIdle();
    expect((await inject('GET', `/api/v1/jobs/${jobId}`)).json()).toMatchObject({ status: 'completed', error: null });
    expect((await inject('GET', '/api/v1/models/churn')).json().activeVersion).toEqual(expect.any(String));
  });

  it('that does start (another port) leaves the live server\'s retrain alone too', async () => {
    const { gate, inject, jobId } = await firstWithRunningRetrain();
    const second = await startServer(settings(0), { logger: silent });
    servers.push(second);
    expect((await second.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}` })).json()).toMatchObject({ status: 'running' });
    expect((await second.refit.recover()).interrupted).toEqual([]);
    gate.release();
    await servers[0].parts.queue.whenIdle();
    expect((await inject('GET', `/api/v1/jobs/${jobId}`)).json()).toMatchObject({ status: 'completed' });
  });

  it('still recovers a job whose process is gone', async () => {
    const first = await startServer(settings(0), { logger: silent });
    await first.refit.createModel(SPEC);
    // A job left running by a process of this machine that no longer exists.
    await first.parts.store.createJob({ id: 'orphan', modelId: 'churn', trigger: 'manual', force: false, at: new Date(), owner: `${hostname()}/2147483646/dead` });
    await first.close();
    const again = await startServer(settings(0), { logger: silent });
    servers.push(again);
    expect((await again.app.inject({ method: 'GET', url: '/api/v1/jobs/orphan' })).json()).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted/) });
  });

  it('that fails after listening (a config file changing a model\'s task) stops listening and leaves nothing running', async () => {
    const config = join(dir, 'refit.config.json');
    writeFileSync(config, JSON.stringify({ models: [SPEC] }));
    const first = await startServer(loadSettings({}, { port: 0, dataDir: dir, configFile: config }), { logger: silent });
    await first.close();
    writeFileSync(config, JSON.stringify({ models: [{ ...SPEC, task: 'regression', trainer: 'ridge' }] }));
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const settings = loadSettings({}, { port, dataDir: dir, configFile: config });
    await expect(startServer(settings, { logger: silent })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // The port is free again: nothing was left listening.
    writeFileSync(config, JSON.stringify({ models: [SPEC] }));
    const again = await startServer(settings, { logger: silent });
    servers.push(again);
    expect(again.url).toBe(`http://127.0.0.1:${port}`);
  });
});
