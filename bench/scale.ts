/**
 * Scale-out: retrains per minute with one and with two `refit worker` processes on the same set
 * of models, and scoring requests per second with one and with two `refit serve --no-training`
 * processes. Real processes on PostgreSQL and Redis (a fresh schema and key prefix, removed at
 * the end). Prints one JSON line per measurement and a summary line.
 *
 *   npm run bench:scale [-- --models 8 --rounds 1 --seconds 10 --connections 16]
 *
 * PostgreSQL and Redis come from REFIT_BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test) and REFIT_BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { mulberry32 } from '../src/data/random.js';
import { Cluster, call, until, type RefitProcess } from '../test/helpers/cluster.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MODELS = arg('models', 8);
const ROUNDS = arg('rounds', 1);
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 16);
const services = {
  pgUrl: process.env.REFIT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.REFIT_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const FEATURES = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, type: 'number' }));
function labels(n: number, seed: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const f = FEATURES.map(() => rnd() * 10);
    return { features: Object.fromEntries(f.map((v, i) => [`f${i}`, v])), label: f[0] + f[1] * f[2] * 0.1 + rnd() * 3 > 8 ? 1 : 0 };
  });
}

/** Retrain every model `ROUNDS` times (all requested at once) and return retrains completed per minute. */
async function retrainRate(api: RefitProcess, ids: string[]): Promise<{ retrains: number; seconds: number; perMinute: number; workersUsed: number }> {
  const t0 = performance.now();
  const all: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const jobs: string[] = [];
    for (const id of ids) {
      const res = await call(api.url, 'POST', `/api/v1/models/${id}/retrain`, { force: true });
      if (res.status !== 202) throw new Error(`retrain of ${id}: ${res.status} ${JSON.stringify(res.json)}`);
      jobs.push(res.json.jobId);
      all.push(res.json.jobId);
    }
    for (const jobId of jobs) {
      const done = await until(() => call(api.url, 'GET', `/api/v1/jobs/${jobId}`), (j) => !['pending', 'running'].includes(j.json.status), 600_000);
      if (done.json.status !== 'completed') throw new Error(`job ${jobId} ended ${done.json.status}: ${done.json.error}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const retrains = ids.length * ROUNDS;
  // Which workers ran them: the owner each job records.
  const c = new pg.Client({ connectionString: services.pgUrl });
  await c.connect();
  const owners = await c.query(`select count(distinct owner) as n from "${cluster.schema}".retrain_jobs where id = any($1)`, [all]);
  await c.end();
  return { retrains, seconds: Number(seconds.toFixed(1)), perMinute: Number(((retrains / seconds) * 60).toFixed(1)), workersUsed: Number(owners.rows[0].n) };
}

/** Score for SECONDS against each API at once (one autocannon per API, in this process); total requests per second. */
async function scoreRate(apis: RefitProcess[], id: string): Promise<{ apis: number; rps: number; p99Ms: number; errors: number }> {
  const body = JSON.stringify({ items: [{ features: Object.fromEntries(FEATURES.map((f, i) => [f.name, i + 1])) }] });
  const results = await Promise.all(
    apis.map((api) =>
      autocannon({ url: `${api.url}/api/v1/models/${id}/score`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: SECONDS }),
    ),
  );
  const rps = results.reduce((s, r) => s + r.requests.total / SECONDS, 0);
  return { apis: apis.length, rps: Math.round(rps), p99Ms: Math.max(...results.map((r) => r.latency.p99)), errors: results.reduce((s, r) => s + r.errors + r.non2xx, 0) };
}

const cluster = new Cluster(services, { REFIT_LOG_LEVEL: 'warn', REFIT_WORKER_LEASE_MS: '30000' });
try {
  const api1 = await cluster.api();
  const w1 = await cluster.worker();
  const ids = Array.from({ length: MODELS }, (_, i) => `bench${i}`);
  for (const [i, id] of ids.entries()) {
    const spec = { id, task: 'binary', features: FEATURES, trainer: { type: 'gbdt', params: { numTrees: 300, maxDepth: 6, earlyStoppingRounds: 0 } }, retrain: { minNewLabels: 1 } };
    if ((await call(api1.url, 'POST', '/api/v1/models', spec)).status !== 201) throw new Error(`could not create ${id}`);
    await call(api1.url, 'POST', `/api/v1/models/${id}/labels`, { items: labels(3000, i + 1) });
  }
  const oneWorker = await retrainRate(api1, ids);
  console.log(JSON.stringify({ measure: 'retrains per minute', workers: 1, models: MODELS, ...oneWorker }));
  await cluster.worker();
  const twoWorkers = await retrainRate(api1, ids);
  console.log(JSON.stringify({ measure: 'retrains per minute', workers: 2, models: MODELS, ...twoWorkers }));
  // Scoring with the workers idle: stop them so that they do not hold memory or cores.
  for (const w of cluster.processes.filter((p) => p.role === 'worker')) w.kill('SIGTERM');
  await Promise.all(cluster.processes.filter((p) => p.role === 'worker').map((p) => p.exited));
  void w1;
  await scoreRate([api1], ids[0]); // warm-up: loads the predictor, JIT
  const oneApi = await scoreRate([api1], ids[0]);
  console.log(JSON.stringify({ measure: 'scoring requests per second', connectionsPerApi: CONNECTIONS, seconds: SECONDS, ...oneApi }));
  const api2 = await cluster.api();
  await scoreRate([api2], ids[0]);
  const twoApis = await scoreRate([api1, api2], ids[0]);
  console.log(JSON.stringify({ measure: 'scoring requests per second', connectionsPerApi: CONNECTIONS, seconds: SECONDS, ...twoApis }));
  console.log(
    JSON.stringify({
      summary: true,
      retrainsPerMinute: { oneWorker: oneWorker.perMinute, twoWorkers: twoWorkers.perMinute },
      scoresPerSecond: { oneApi: oneApi.rps, twoApis: twoApis.rps },
    }),
  );
} finally {
  await cluster.close();
}
