import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { refit } from '../cli/cli-harness.js';
import { Cluster, call, clusterServices, until, type RefitProcess } from '../helpers/cluster.js';

// Real processes on real PostgreSQL and Redis: `refit serve --no-training` and `refit worker`.
const services = clusterServices();

function quickSpec(id: string) {
  return { id, task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic', retrain: { minNewLabels: 1, retry: { retries: 2, initialDelaySeconds: 1, maxDelaySeconds: 2 } } };
}
function quickLabels(n: number, seed: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const x = Math.round(rnd() * 100);
    return { features: { x }, label: x + rnd() * 30 > 65 ? 1 : 0 };
  });
}

/** A model whose training takes seconds: many deep trees, no early stop, on a few thousand rows. */
function slowSpec(id: string, trees: number) {
  return {
    id,
    task: 'binary',
    features: Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, type: 'number' })),
    trainer: { type: 'gbdt', params: { numTrees: trees, maxDepth: 8, learningRate: 0.02, earlyStoppingRounds: 0 } },
    retrain: { minNewLabels: 1, retry: { retries: 2, initialDelaySeconds: 1, maxDelaySeconds: 2 } },
  };
}
function slowLabels(n: number, seed: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const f = Array.from({ length: 6 }, () => rnd() * 10);
    const features = Object.fromEntries(f.map((v, i) => [`f${i}`, v]));
    return { features, label: f[0] + f[1] * f[2] * 0.1 + rnd() * 3 > 8 ? 1 : 0 };
  });
}

async function countRows(pgUrl: string, schema: string, sql: string, params: unknown[]): Promise<number> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    const r = await c.query(sql.replaceAll('$schema', `"${schema}"`), params);
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
}

/** The worker process whose record names `jobId` as its current job. */
async function workerRunning(api: RefitProcess, workers: RefitProcess[], jobId: string): Promise<RefitProcess> {
  const list = await until(
    () => call(api.url, 'GET', '/api/v1/workers'),
    (r) => r.json.items.some((w: { currentJob: { jobId: string } | null }) => w.currentJob?.jobId === jobId),
    30_000,
  );
  const pid = list.json.items.find((w: { currentJob: { jobId: string } | null }) => w.currentJob?.jobId === jobId).pid as number;
  const w = workers.find((p) => p.pid === pid);
  if (!w) throw new Error(`no worker process with pid ${pid}`);
  return w;
}

describe.skipIf(!services)('scale-out: API processes and workers on PostgreSQL and Redis', () => {
  let cluster: Cluster;
  afterEach(async () => {
    await cluster?.close();
  });

  it('runs retrains requested through either API process on the workers; both APIs agree on and serve the active versions', async () => {
    cluster = new Cluster(services!);
    // The first process creates the schema; the others start together.
    const api1 = await cluster.api();
    const [api2, w1, w2] = await Promise.all([cluster.api(), cluster.worker(), cluster.worker()]);
    const apis = [api1, api2];

    for (const p of [api1, api2]) expect(await call(p.url, 'GET', '/readyz')).toMatchObject({ status: 200, json: { status: 'ready', role: 'api' } });
    for (const w of [w1, w2]) expect(await call(w.url, 'GET', '/readyz')).toMatchObject({ status: 200, json: { status: 'ready', role: 'worker' } });
    const workers = await call(api2.url, 'GET', '/api/v1/workers');
    expect(workers.json.mode).toBe('workers');
    expect(workers.json.items.map((w: { pid: number }) => w.pid).sort()).toEqual([w1.pid, w2.pid].sort());

    // `refit workers` and `refit status` against either API process name both workers.
    const listed = await refit(['workers', '--server', api1.url], { cwd: cluster.dir });
    expect(listed.code).toBe(0);
    for (const w of [w1, w2]) expect(listed.out).toMatch(new RegExp(`^bullmq:\\S+/${w.pid}/\\S+ +\\S+ +${w.pid} +— `, 'm'));

    const ids = ['m1', 'm2', 'm3', 'm4'];
    const jobIds: string[] = [];
    for (const [i, id] of ids.entries()) {
      const api = apis[i % 2];
      expect((await call(api.url, 'POST', '/api/v1/models', quickSpec(id))).status).toBe(201);
      expect((await call(apis[(i + 1) % 2].url, 'POST', `/api/v1/models/${id}/labels`, { items: quickLabels(120, i + 1) })).status).toBe(201);
      const started = await call(api.url, 'POST', `/api/v1/models/${id}/retrain`, {});
      expect(started.status).toBe(202);
      jobIds.push(started.json.jobId);
    }
    for (const [i, jobId] of jobIds.entries()) {
      const job = await until(
        () => call(apis[(i + 1) % 2].url, 'GET', `/api/v1/jobs/${jobId}`),
        (r) => !['pending', 'running'].includes(r.json.status),
        90_000,
      );
      expect(job.json).toMatchObject({ status: 'completed', attempts: 1, error: null });
    }
    // Every job ran on a worker: its id is in a worker's log, in neither API's.
    for (const jobId of jobIds) {
      expect(w1.out.includes(jobId) || w2.out.includes(jobId)).toBe(true);
      expect(api1.out.includes(`"jobId":"${jobId}","modelId"`) && api1.out.includes('started (')).toBe(false);
    }
    expect(w1.out + w2.out).toMatch(/retrain of 'm\d' started/);
    expect(api1.out + api2.out).not.toMatch(/retrain of 'm\d' started/);

    // The workers' promotions reached both API processes over Redis, which loaded the new versions.
    for (const [id, api] of ids.flatMap((m) => apis.map((p) => [m, p] as const))) {
      await api.waitFor(new RegExp(`${id}@\\S+ activated by another process: loaded here`), 5_000);
    }
    const status = await refit(['status', 'm1', '--server', api2.url], { cwd: cluster.dir });
    expect(status.out).toMatch(/^Workers: +2$/m);
    expect(status.out).toContain(`/${w1.pid}/`);
    for (const id of ids) {
      const [a, b] = await Promise.all(apis.map((p) => call(p.url, 'GET', `/api/v1/models/${id}`)));
      expect(a.json.activeVersion).toEqual(expect.any(String));
      expect(b.json.activeVersion).toBe(a.json.activeVersion);
      for (const p of apis) {
        const scored = await call(p.url, 'POST', `/api/v1/models/${id}/score`, { items: [{ features: { x: 70 } }, { features: { x: 10 } }] });
        expect(scored.status).toBe(200);
        expect(scored.json.items.map((s: { version: string }) => s.version)).toEqual([a.json.activeVersion, a.json.activeVersion]);
      }
    }
    // A promotion on a worker and a rollback through one API process: the other API process
    // serves the new active version within two seconds (it was told over Redis).
    const scoreVersion = async (api: RefitProcess) => (await call(api.url, 'POST', '/api/v1/models/m1/score', { items: [{ features: { x: 50 } }] })).json.items[0].version as string;
    const v1 = await scoreVersion(api2);
    const again = await call(api1.url, 'POST', '/api/v1/models/m1/retrain', { force: true });
    await until(() => call(api1.url, 'GET', `/api/v1/jobs/${again.json.jobId}`), (r) => r.json.status === 'completed', 90_000);
    const v2 = (await call(api1.url, 'GET', '/api/v1/models/m1')).json.activeVersion as string;
    expect(v2).not.toBe(v1);
    await until(() => scoreVersion(api2), (v) => v === v2, 2_000);
    expect((await call(api2.url, 'POST', '/api/v1/models/m1/rollback', {})).status).toBe(200);
    await until(() => scoreVersion(api1), (v) => v === v1, 2_000);
  }, 180_000);

  it('a worker killed (SIGKILL) in the middle of a training: the other worker completes the job, one version is promoted, no label is lost; a new API process started meanwhile disturbs nothing', async () => {
    cluster = new Cluster(services!);
    const api1 = await cluster.api();
    const [w1, w2] = await Promise.all([cluster.worker(), cluster.worker()]);
    expect((await call(api1.url, 'POST', '/api/v1/models', slowSpec('slow', 12_000))).status).toBe(201);
    expect((await call(api1.url, 'POST', '/api/v1/models/slow/labels', { items: slowLabels(3000, 7) })).status).toBe(201);
    const started = await call(api1.url, 'POST', '/api/v1/models/slow/retrain', {});
    expect(started.status).toBe(202);
    const jobId = started.json.jobId as string;
    await until(
      () => call(api1.url, 'GET', `/api/v1/jobs/${jobId}`),
      (r) => r.json.status === 'running' && r.json.stage === 'training' && (r.json.progress ?? 0) > 0,
      60_000,
    );
    const victim = await workerRunning(api1, [w1, w2], jobId);
    const survivor = victim === w1 ? w2 : w1;

    // A new API process starting now (it recovers orphaned jobs at start-up) leaves the job alone.
    const api2 = await cluster.api();
    const during = await call(api2.url, 'GET', `/api/v1/jobs/${jobId}`);
    expect(during.json).toMatchObject({ status: 'running', attempts: 1, error: null });
    expect(api2.out).not.toMatch(/interrupted retrain job/);

    victim.kill('SIGKILL');
    await victim.exited;
    // Labels keep coming while the job waits to be taken over.
    expect((await call(api2.url, 'POST', '/api/v1/models/slow/labels', { items: slowLabels(40, 8) })).status).toBe(201);

    const done = await until(
      () => call(api2.url, 'GET', `/api/v1/jobs/${jobId}`),
      (r) => !['pending', 'running'].includes(r.json.status),
      150_000,
    );
    expect(done.json).toMatchObject({ status: 'completed', attempts: 2, error: null });
    expect(survivor.out).toMatch(/attempt 1 interrupted: the worker running it stopped; taking it over/);
    const versions = await call(api1.url, 'GET', '/api/v1/models/slow/versions');
    expect(versions.json.items ?? versions.json).toHaveLength(1);
    const model = await call(api2.url, 'GET', '/api/v1/models/slow');
    expect(model.json.activeVersion).toBe((versions.json.items ?? versions.json)[0].version);
    expect(await countRows(services!.pgUrl, cluster.schema, `select count(*) as n from $schema.labels where model_id = $1`, ['slow'])).toBe(3040);
    // No second job was created for it, and its one promotion is on the timeline once.
    expect(await countRows(services!.pgUrl, cluster.schema, `select count(*) as n from $schema.retrain_jobs where model_id = $1`, ['slow'])).toBe(1);
    expect(await countRows(services!.pgUrl, cluster.schema, `select count(*) as n from $schema.activations where model_id = $1`, ['slow'])).toBe(1);
  }, 300_000);

  it('a worker stopped with SIGTERM hands its job back to another worker; a cancel through an API process stops the job on the worker running it', async () => {
    cluster = new Cluster(services!);
    const api = await cluster.api();
    const w1 = await cluster.worker('--grace', '0');
    expect((await call(api.url, 'POST', '/api/v1/models', slowSpec('slow', 12_000))).status).toBe(201);
    expect((await call(api.url, 'POST', '/api/v1/models/slow/labels', { items: slowLabels(3000, 9) })).status).toBe(201);
    const first = (await call(api.url, 'POST', '/api/v1/models/slow/retrain', {})).json.jobId as string;
    await until(() => call(api.url, 'GET', `/api/v1/jobs/${first}`), (r) => r.json.stage === 'training' && (r.json.progress ?? 0) > 0, 60_000);
    const w2 = await cluster.worker();

    w1.kill('SIGTERM');
    expect(await w1.exited).toBe(0);
    expect(w1.out).toMatch(/handed back to the queue/);
    const handedBack = await until(() => call(api.url, 'GET', `/api/v1/jobs/${first}`), (r) => !['pending', 'running'].includes(r.json.status), 150_000);
    // Handing back is not a failed attempt: the job completes on the other worker as attempt 1.
    expect(handedBack.json).toMatchObject({ status: 'completed', attempts: 1, error: null });
    expect(w2.out).toContain(first);

    const second = (await call(api.url, 'POST', '/api/v1/models/slow/retrain', { force: true })).json.jobId as string;
    await until(() => call(api.url, 'GET', `/api/v1/jobs/${second}`), (r) => r.json.stage === 'training', 60_000);
    expect((await call(api.url, 'POST', `/api/v1/jobs/${second}/cancel`)).status).toBe(202);
    const cancelled = await until(() => call(api.url, 'GET', `/api/v1/jobs/${second}`), (r) => !['pending', 'running'].includes(r.json.status), 30_000);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', error: 'cancelled by request' });
    expect(await call(w2.url, 'GET', '/readyz')).toMatchObject({ status: 200, json: { currentJobs: [] } });
  }, 300_000);
});
