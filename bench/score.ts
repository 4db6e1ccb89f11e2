/**
 * Single-row scoring under load, against a bare Fastify route answering a constant, each in its
 * own process on this machine, with the same load generator (autocannon) in this process.
 *
 * Refit runs as `refit serve` on SQLite in a temporary directory, with a trained gbdt version of a
 * six-feature model; every score it answers is stored. After the load, the server is stopped
 * (SIGTERM) and the scores table is counted: every acknowledged score must be there.
 * Prints one JSON line: requests per second and p99 of both, `ratio` (Refit / anchor), and
 * acknowledged against stored scores, and the CPU microseconds per request of each server's event
 * loop (its main thread; Linux), which bounds what it can answer.
 *
 *   npm run bench:score [-- --seconds 10 --connections 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { mulberry32 } from '../src/data/random.js';
import { ROOT, cpuSeconds, startListening, startRefit } from './support/processes.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 50);


async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function load(url: string, body: string, pid: number | undefined): Promise<{ rps: number; p99Ms: number; ok: number; failed: number; cpuUs: number | null }> {
  // A short warm-up (JIT, connection set-up), then the measured run.
  await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: 2 });
  const cpu0 = cpuSeconds(pid, true);
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: SECONDS });
  return { rps: Math.round(r.requests.total / SECONDS), p99Ms: r.latency.p99, ok: r['2xx'] ?? r.requests.total - r.non2xx, failed: r.errors + r.non2xx, cpuUs: perRequestUs(cpu0, cpuSeconds(pid, true), r.requests.total) };
}

/** CPU microseconds per request (user + system) of the server's main thread (its event loop), or null where /proc is not there. */
function perRequestUs(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || requests === 0 ? null : Math.round(((after - before) * 1e6) / requests);
}

const FEATURES = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, type: 'number' as const }));
const body = JSON.stringify({ items: [{ features: Object.fromEntries(FEATURES.map((f, i) => [f.name, i + 0.5])) }] });

// Anchor.
const bare = await startListening([join(ROOT, 'bench/support/bare-fastify.mjs')]);
const anchor = await load(`${bare.url}/score`, body, bare.child.pid);
bare.child.kill('SIGTERM');
await bare.exited;

// Refit.
const dir = mkdtempSync(join(tmpdir(), 'refit-bench-score-'));
try {
  // SCORE_PROFILE=DIR: the server writes a V8 CPU profile there when it stops.
  const refit = await startRefit(dir, { nodeArgs: [...(process.env.SCORE_NODE_ARGS ? process.env.SCORE_NODE_ARGS.split(" ") : []), ...(process.env.SCORE_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.SCORE_PROFILE}`] : [])] });
  await call(refit.url, 'POST', '/api/v1/models', { id: 'bench', task: 'binary', features: FEATURES, trainer: { type: 'gbdt' } });
  const rnd = mulberry32(3);
  const labels = Array.from({ length: 5_000 }, () => {
    const f = FEATURES.map(() => rnd() * 10);
    return { features: Object.fromEntries(f.map((v, i) => [`f${i}`, v])), label: f[0] + f[1] * f[2] * 0.1 + rnd() * 3 > 8 ? 1 : 0 };
  });
  await call(refit.url, 'POST', '/api/v1/models/bench/labels', { items: labels });
  const job = await call(refit.url, 'POST', '/api/v1/models/bench/retrain', { force: true });
  for (;;) {
    const j = await call(refit.url, 'GET', `/api/v1/jobs/${job.jobId}`);
    if (!['pending', 'running'].includes(j.status)) {
      if (j.status !== 'completed') throw new Error(`retrain ended ${j.status}: ${j.error}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const scoreUrl = `${refit.url}/api/v1/models/bench/score`;
  // Count the warm-up's acknowledged scores too: every one of them must be stored.
  const warm = await autocannon({ url: scoreUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: 2 });
  const cpu0 = cpuSeconds(refit.child.pid, true);
  const r = await autocannon({ url: scoreUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: SECONDS });
  const cpuUs = perRequestUs(cpu0, cpuSeconds(refit.child.pid, true), r.requests.total);
  const acknowledged = (warm['2xx'] ?? 0) + (r['2xx'] ?? 0);
  refit.child.kill('SIGTERM');
  await refit.exited;
  const db = new Database(join(dir, 'refit.db'), { readonly: true });
  const stored = (db.prepare("select count(*) as n from scores where model_id = 'bench'").get() as { n: number }).n;
  db.close();
  const rps = Math.round(r.requests.total / SECONDS);
  console.log(
    JSON.stringify({
      bench: 'score',
      seconds: SECONDS,
      connections: CONNECTIONS,
      refit_rps: rps,
      refit_p99_ms: r.latency.p99,
      refit_failed: r.errors + r.non2xx,
      refit_loop_cpu_us_per_request: cpuUs,
      anchor: 'bare fastify',
      anchor_rps: anchor.rps,
      anchor_p99_ms: anchor.p99Ms,
      anchor_loop_cpu_us_per_request: anchor.cpuUs,
      ratio: Number((rps / anchor.rps).toFixed(3)),
      acknowledged,
      stored,
      all_stored: stored >= acknowledged,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
