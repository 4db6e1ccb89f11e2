/**
 * Label ingest: batches of labels (default 5,000, six number features each) posted one after
 * another to `POST /api/v1/models/:id/labels` of a `refit serve` on SQLite in a temporary
 * directory, against an anchor in the same run: a bare Fastify route that parses the same batches
 * and writes them to SQLite with one prepared statement per row in one transaction per batch (what
 * a hand-written ingest script does). After the run Refit is stopped and its labels are counted.
 * Prints one JSON line: labels per second of both and `ratio` (Refit / anchor), and the CPU
 * seconds each server spent on the timed batches (on Linux; less sensitive than wall time to
 * whatever else the machine runs).
 *
 * With --database-url postgres://… Refit runs on a fresh PostgreSQL database made there for the
 * run (and dropped after); the anchor stays on SQLite.
 *
 *   npm run bench:ingest [-- --batches 40 --batch 5000 --rounds 5] [--database-url postgres://postgres@127.0.0.1:5432/postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { mulberry32 } from '../src/data/random.js';
import { ROOT, cpuSeconds, SERVE_NODE_ARGS, startListening, startRefit } from './support/processes.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCHES = arg('batches', 40);
const BATCH = arg('batch', 5_000);
const ROUNDS = arg('rounds', 5);
const urlAt = process.argv.indexOf('--database-url');
const PG_URL = urlAt >= 0 ? process.argv[urlAt + 1] : null;

/** A fresh PostgreSQL database for the run, and how to drop it. */
async function freshDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `refit_bench_ingest_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name}`);
      await c.end();
    },
  };
}


const FEATURES = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, type: 'number' as const }));
const rnd = mulberry32(11);
// Distinct bodies, made before timing starts.
const bodies = Array.from({ length: BATCHES }, () =>
  JSON.stringify({
    items: Array.from({ length: BATCH }, () => {
      const f = FEATURES.map(() => Math.round(rnd() * 1e6) / 1e5);
      return { features: Object.fromEntries(f.map((v, i) => [`f${i}`, v])), label: f[0] + f[1] > 10 ? 1 : 0 };
    }),
  }),
);

/** Post `batches` of the bodies in turn (one client, as an application's exporter would): seconds taken and the server's CPU seconds meanwhile. */
async function post(url: string, pid: number | undefined, batches: readonly string[]): Promise<{ seconds: number; cpuSeconds: number | null }> {
  const t = performance.now();
  const cpu0 = cpuSeconds(pid);
  for (const body of batches) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    await res.arrayBuffer();
  }
  const cpu1 = cpuSeconds(pid);
  return { seconds: (performance.now() - t) / 1000, cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

/** Labels per second and CPU seconds over the rounds of one server. */
function total(rounds: { seconds: number; cpuSeconds: number | null }[]) {
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0);
  const cpu = rounds.every((r) => r.cpuSeconds !== null) ? rounds.reduce((a, r) => a + (r.cpuSeconds ?? 0), 0) : null;
  return { perSecond: Math.round((BATCHES * BATCH) / seconds), seconds: Number(seconds.toFixed(2)), cpuSeconds: cpu === null ? null : Number(cpu.toFixed(2)) };
}

const dir = mkdtempSync(join(tmpdir(), 'refit-bench-ingest-'));
try {
  const bare = await startListening([...SERVE_NODE_ARGS, join(ROOT, 'bench/support/bare-ingest.mjs'), join(dir, 'anchor.db')]);
  const database = PG_URL ? await freshDatabase(PG_URL) : null;
  // INGEST_PROFILE=DIR: the server writes a V8 CPU profile there when it stops.
  const profile = process.env.INGEST_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.INGEST_PROFILE}`] : [];
  const refit = await startRefit(join(dir, 'refit'), { nodeArgs: profile, ...(database ? { extraArgs: ['--database-url', database.url] } : {}) });
  const created = await fetch(`${refit.url}/api/v1/models`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // No schedule or trigger: ingest alone is measured.
    body: JSON.stringify({ id: 'bench', task: 'binary', features: FEATURES, trainer: { type: 'gbdt' }, retrain: { enabled: false, minNewLabels: 1_000_000_000 } }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${(await created.text()).slice(0, 500)}`);
  const anchorUrl = `${bare.url}/labels`;
  const refitUrl = `${refit.url}/api/v1/models/bench/labels`;
  // One batch each first, untimed (JIT, connection); then the batches in ROUNDS rounds, the two
  // servers taking turns, so that whatever else the machine does falls on both alike.
  await post(anchorUrl, bare.child.pid, bodies.slice(0, 1));
  await post(refitUrl, refit.child.pid, bodies.slice(0, 1));
  const anchorRounds: { seconds: number; cpuSeconds: number | null }[] = [];
  const refitRounds: { seconds: number; cpuSeconds: number | null }[] = [];
  const per = Math.ceil(BATCHES / ROUNDS);
  for (let from = 0; from < BATCHES; from += per) {
    anchorRounds.push(await post(anchorUrl, bare.child.pid, bodies.slice(from, from + per)));
    refitRounds.push(await post(refitUrl, refit.child.pid, bodies.slice(from, from + per)));
  }
  const anchor = total(anchorRounds);
  const ours = total(refitRounds);
  bare.child.kill('SIGTERM');
  refit.child.kill('SIGTERM');
  await Promise.all([bare.exited, refit.exited]);
  let stored: number;
  if (database) {
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    stored = Number((await c.query("select count(*) as n from labels where model_id = 'bench'")).rows[0].n);
    await c.end();
    await database.drop();
  } else {
    const db = new Database(join(dir, 'refit', 'refit.db'), { readonly: true });
    stored = (db.prepare("select count(*) as n from labels where model_id = 'bench'").get() as { n: number }).n;
    db.close();
  }
  console.log(
    JSON.stringify({
      bench: 'ingest',
      store: database ? 'postgres' : 'sqlite',
      batches: BATCHES,
      batch: BATCH,
      rounds: ROUNDS,
      refit_labels_per_s: ours.perSecond,
      refit_s: ours.seconds,
      refit_cpu_s: ours.cpuSeconds,
      anchor: 'bare fastify + better-sqlite3 prepared insert',
      anchor_labels_per_s: anchor.perSecond,
      anchor_cpu_s: anchor.cpuSeconds,
      ratio: Number((ours.perSecond / anchor.perSecond).toFixed(3)),
      stored,
      all_stored: stored === (BATCHES + 1) * BATCH,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
