/**
 * Single-row scoring under load, against a bare Fastify route answering a constant, each in its
 * own process on this machine, with the same load generator (autocannon) in this process.
 *
 * Refit runs as `refit serve` on SQLite in a temporary directory, with a trained gbdt version of a
 * six-feature model; every score it answers is stored. Both servers run throughout; after a
 * warm-up of each, the load takes turns between them in ROUNDS rounds of SECONDS / ROUNDS each,
 * so that whatever else the machine does falls on both alike. After the load, the server is
 * stopped (SIGTERM) and the scores table is counted: every acknowledged score must be there.
 * Prints one JSON line: requests per second of both over their rounds, the median and worst of
 * the rounds' p99 latencies, `ratio` (Refit / anchor) and each round's ratio, acknowledged
 * against stored scores, and the CPU microseconds per request of each server's event loop (its
 * main thread; Linux), which bounds what it can answer.
 *
 * `--against DIR`: a second Refit server, started from another checkout's build (DIR/bin/refit.js
 * and DIR/dist, e.g. a `git worktree` of an earlier commit after `npx tsc -p tsconfig.build.json`
 * there), set up the same way and taking its turn in every round, so that two builds are compared
 * under the same load in the same minutes: separate runs of this benchmark on this machine have
 * differed by a fifth in the anchor's own rate, more than most changes to scoring. Adds the other
 * build's figures as `against_*` fields.
 *
 *   npm run bench:score [-- --seconds 10 --rounds 5 --connections 50 --against DIR] */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { mulberry32 } from '../src/data/random.js';
import { ROOT, cpuSeconds, SERVE_NODE_ARGS, startListening, startRefit, type Listening } from './support/processes.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 50);
const ROUNDS = arg('rounds', 5);
const againstAt = process.argv.indexOf('--against');
const AGAINST = againstAt >= 0 ? process.argv[againstAt + 1] : undefined;
if (againstAt >= 0 && (AGAINST === undefined || AGAINST.startsWith('--'))) {
  console.error('--against takes a directory: a checkout of Refit with its build (npx tsc -p tsconfig.build.json there)');
  process.exit(2);
}


async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const FEATURES = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, type: 'number' as const }));
const body = JSON.stringify({ items: [{ features: Object.fromEntries(FEATURES.map((f, i) => [f.name, i + 0.5])) }] });

/** One round of load on one server: requests, latency percentiles, and its event loop's CPU meanwhile. */
type Round = Awaited<ReturnType<typeof autocannon>> & { loopCpuS: number | null };

async function round(url: string, pid: number | undefined, seconds: number): Promise<Round> {
  const cpu0 = cpuSeconds(pid, true);
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: seconds });
  const cpu1 = cpuSeconds(pid, true);
  return Object.assign(r, { loopCpuS: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 });
}

/** Totals over the measured rounds of one server. */
function summary(rounds: Round[], seconds: number) {
  const requests = rounds.reduce((a, r) => a + r.requests.total, 0);
  const p99s = rounds.map((r) => r.latency.p99).sort((a, b) => a - b);
  const cpu = rounds.every((r) => r.loopCpuS !== null) ? rounds.reduce((a, r) => a + (r.loopCpuS ?? 0), 0) : null;
  return {
    rps: Math.round(requests / (rounds.length * seconds)),
    // Median and worst of the rounds' p99s.
    p99Ms: p99s[Math.floor(p99s.length / 2)],
    worstP99Ms: p99s[p99s.length - 1],
    failed: rounds.reduce((a, r) => a + r.errors + r.non2xx, 0),
    loopCpuUs: perRequestUs(0, cpu, requests),
  };
}

/** CPU microseconds per request (user + system) of the server's main thread (its event loop), or null where /proc is not there. */
function perRequestUs(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || requests === 0 ? null : Math.round(((after - before) * 1e6) / requests);
}


/** A model with a trained gbdt version on `server`. */
async function setUp(server: Listening, labels: unknown[]): Promise<void> {
  await call(server.url, 'POST', '/api/v1/models', { id: 'bench', task: 'binary', features: FEATURES, trainer: { type: 'gbdt' } });
  await call(server.url, 'POST', '/api/v1/models/bench/labels', { items: labels });
  const job = await call(server.url, 'POST', '/api/v1/models/bench/retrain', { force: true });
  for (;;) {
    const j = await call(server.url, 'GET', `/api/v1/jobs/${job.jobId}`);
    if (!['pending', 'running'].includes(j.status)) {
      if (j.status !== 'completed') throw new Error(`retrain ended ${j.status}: ${j.error}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'refit-bench-score-'));
const dirs = [dir];
try {
  const bare = await startListening([...SERVE_NODE_ARGS, join(ROOT, 'bench/support/bare-fastify.mjs')]);
  // SCORE_PROFILE=DIR: the server writes a V8 CPU profile there when it stops. SCORE_NODE_ARGS:
  // more options for the server's node, space-separated (e.g. --trace-gc).
  const nodeArgs = [
    ...(process.env.SCORE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SCORE_PROFILE}`] : []),
    ...(process.env.SCORE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
  ];
  const refit = await startRefit(dir, { nodeArgs });
  const otherDir = AGAINST === undefined ? null : mkdtempSync(join(tmpdir(), 'refit-bench-score-against-'));
  if (otherDir !== null) dirs.push(otherDir);
  const other = AGAINST !== undefined && otherDir !== null ? await startRefit(otherDir, { root: AGAINST }) : null;
  const rnd = mulberry32(3);
  const labels = Array.from({ length: 5_000 }, () => {
    const f = FEATURES.map(() => rnd() * 10);
    return { features: Object.fromEntries(f.map((v, i) => [`f${i}`, v])), label: f[0] + f[1] * f[2] * 0.1 + rnd() * 3 > 8 ? 1 : 0 };
  });
  for (const server of other === null ? [refit] : [refit, other]) await setUp(server, labels);
  const anchorUrl = `${bare.url}/score`;
  const scoreUrl = `${refit.url}/api/v1/models/bench/score`;
  // A warm-up of each (JIT, connections), then ROUNDS rounds taking turns, so that whatever else
  // the machine does meanwhile falls on both alike. Every acknowledged score counts, warm-up too.
  await round(anchorUrl, bare.child.pid, 2);
  let acknowledged = (await round(scoreUrl, refit.child.pid, 2))['2xx'] ?? 0;
  const otherUrl = other === null ? null : `${other.url}/api/v1/models/bench/score`;
  if (other !== null && otherUrl !== null) await round(otherUrl, other.child.pid, 2);
  const anchorRounds: Round[] = [];
  const refitRounds: Round[] = [];
  const otherRounds: Round[] = [];
  const per = SECONDS / ROUNDS;
  for (let i = 0; i < ROUNDS; i++) {
    anchorRounds.push(await round(anchorUrl, bare.child.pid, per));
    // With --against, the two builds take turns going first.
    if (other !== null && otherUrl !== null && i % 2 === 1) otherRounds.push(await round(otherUrl, other.child.pid, per));
    const r = await round(scoreUrl, refit.child.pid, per);
    acknowledged += r['2xx'] ?? 0;
    refitRounds.push(r);
    if (other !== null && otherUrl !== null && i % 2 === 0) otherRounds.push(await round(otherUrl, other.child.pid, per));
  }
  bare.child.kill('SIGTERM');
  refit.child.kill('SIGTERM');
  other?.child.kill('SIGTERM');
  await Promise.all([bare.exited, refit.exited, other?.exited]);
  const db = new Database(join(dir, 'refit.db'), { readonly: true });
  const stored = (db.prepare("select count(*) as n from scores where model_id = 'bench'").get() as { n: number }).n;
  db.close();
  const ours = summary(refitRounds, per);
  const anchor = summary(anchorRounds, per);
  console.log(
    JSON.stringify({
      bench: 'score',
      seconds: SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      refit_rps: ours.rps,
      refit_p99_ms: ours.p99Ms,
      refit_worst_round_p99_ms: ours.worstP99Ms,
      refit_failed: ours.failed,
      refit_loop_cpu_us_per_request: ours.loopCpuUs,
      anchor: 'bare fastify',
      anchor_rps: anchor.rps,
      anchor_p99_ms: anchor.p99Ms,
      anchor_loop_cpu_us_per_request: anchor.loopCpuUs,
      ratio: Number((ours.rps / anchor.rps).toFixed(3)),
      round_ratios: refitRounds.map((r, i) => Number((r.requests.total / anchorRounds[i].requests.total).toFixed(3))),
      acknowledged,
      stored,
      all_stored: stored >= acknowledged,
      ...(other === null ? {} : againstFields(summary(otherRounds, per), anchor.rps, ours.rps, otherRounds, refitRounds)),
    }),
  );
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** The `--against` build's figures: its rate, ratio to the anchor, p99 and event-loop CPU, and this build's rate over its, round by round. */
function againstFields(s: ReturnType<typeof summary>, anchorRps: number, oursRps: number, theirs: Round[], mine: Round[]) {
  return {
    against: AGAINST,
    against_rps: s.rps,
    against_ratio: Number((s.rps / anchorRps).toFixed(3)),
    against_p99_ms: s.p99Ms,
    against_failed: s.failed,
    against_loop_cpu_us_per_request: s.loopCpuUs,
    this_over_against: Number((oursRps / s.rps).toFixed(3)),
    this_over_against_rounds: mine.map((r, i) => Number((r.requests.total / theirs[i].requests.total).toFixed(3))),
  };
}
