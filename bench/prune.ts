/**
 * Retention on SQLite: how long a prune of N old scores takes, how long each delete statement
 * holds the event loop (and SQLite's writer), what the file does, and what scoring sees meanwhile.
 *
 *   npx tsx bench/prune.ts [--rows 430000] [--old 0.66] [--batch 2000] [--every 5] [--dir /tmp/refit-prune-bench]
 *   npx tsx bench/prune.ts --pg postgres://postgres@127.0.0.1:5432/test     (the same on PostgreSQL, in a fresh schema)
 *
 * Fills a fresh SQLite store with `rows` scores of one model (features as the demo's: 6 numbers and
 * categories), spread over 90 days with `old` of them older than the 30-day retention, labels for
 * one in ten; then (1) prunes while idle, (2) fills another one and sends a one-row score request
 * every `every` ms, first alone, then while a prune runs. Prints one JSON line per phase.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ManualClock } from '../src/domain/clock.js';
import type { Score } from '../src/domain/entities.js';
import { inlineExecutor } from '../src/retrain/executor.js';
import { createRefit } from '../src/service/index.js';
import { createStore } from '../src/store/create-store.js';
import type { NewLabel, Store } from '../src/store/store.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rows = Number(flag('rows') ?? 430_000);
const oldShare = Number(flag('old') ?? 0.66);
const batchRows = Number(flag('batch') ?? 2_000);
const dir = flag('dir') ?? '/tmp/refit-prune-bench';
const pgUrl = flag('pg');
const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;

const SPEC = {
  id: 'jobs',
  task: 'binary',
  features: [
    { name: 'salary', type: 'number' },
    { name: 'distanceKm', type: 'number' },
    { name: 'seniority', type: 'category' },
    { name: 'remote', type: 'boolean' },
    { name: 'industry', type: 'category' },
    { name: 'skillsMatch', type: 'number' },
  ],
  trainer: { type: 'logistic' },
};

async function fill(store: Store): Promise<void> {
  const chunk = 10_000;
  for (let start = 0; start < rows; start += chunk) {
    const scores: Score[] = [];
    // Labels by the day they were received (an hour after their score).
    const labels = new Map<number, NewLabel[]>();
    for (let i = start; i < Math.min(rows, start + chunk); i++) {
      // The newest (1 - old) share within 30 days, the rest spread over days 30..90.
      const fresh = i < rows * (1 - oldShare);
      const ageMs = fresh ? (i / (rows * (1 - oldShare))) * 30 * DAY : 30 * DAY + ((i - rows * (1 - oldShare)) / (rows * oldShare)) * 60 * DAY + 60_000;
      const features = { salary: 40_000 + (i % 900) * 100, distanceKm: i % 80, seniority: ['junior', 'mid', 'senior'][i % 3], remote: i % 2 === 0, industry: ['tech', 'retail', 'health', 'finance'][i % 4], skillsMatch: (i % 100) / 100 };
      scores.push({ id: `s${i}`, modelId: 'jobs', version: '1.0.0', features, score: (i % 997) / 997, createdAt: new Date(NOW.getTime() - ageMs), arm: 'champion', latencyMs: 0.4, served: true });
      if (i % 10 === 0) {
        const occurredAt = new Date(NOW.getTime() - ageMs + 3_600_000);
        const day = Math.ceil(occurredAt.getTime() / DAY);
        labels.set(day, [...(labels.get(day) ?? []), { features, label: i % 3 === 0 ? 1 : 0, scoreId: `s${i}`, occurredAt }]);
      }
    }
    await store.insertScores(scores);
    for (const [day, items] of labels) await store.insertLabels('jobs', items, new Date(Math.min(NOW.getTime(), day * DAY)));
  }
}

function fileBytes(path: string): number {
  let n = 0;
  for (const f of [path, `${path}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no such file
    }
  }
  return n;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x: number) => Math.round(x * 100) / 100;

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}

async function open(name: string) {
  const path = join(dir, `${name}.db`);
  if (pgUrl) await dropSchema(`refit_prune_bench_${name}`);
  const store = pgUrl ? await createStore({ url: pgUrl, schema: `refit_prune_bench_${name}` }) : await createStore({ url: `sqlite:${path}` });

  // Statement timings: every prune statement, as the pruner issues it.
  const statementMs: number[] = [];
  const timed: Store = {
    ...store,
    pruneScores: async (...args) => {
      const t0 = performance.now();
      const done = await store.pruneScores(...args);
      statementMs.push(performance.now() - t0);
      return done;
    },
    pruneLabels: async (...args) => {
      const t0 = performance.now();
      const done = await store.pruneLabels(...args);
      statementMs.push(performance.now() - t0);
      return done;
    },
  };
  const clock = new ManualClock(NOW);
  const { refit } = createRefit({ store: timed, clock, executor: inlineExecutor, retention: { scoresDays: 30, labelsDays: 30, batchRows } });
  await refit.createModel({ ...SPEC, retrain: { window: { days: 30 } } });
  await fill(store);
  return { path, store, refit, statementMs };
}

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

// 1. Idle.
{
  const fillStart = performance.now();
  const { path, store, refit, statementMs } = await open('idle');
  const fillMs = performance.now() - fillStart;
  // GET /api/v1/storage counts every row and (SQLite) reads dbstat: how long it takes here.
  const r0 = performance.now();
  const before = (await refit.storage()).stats;
  const reportMs = performance.now() - r0;
  const fileBefore = fileBytes(path);
  const t0 = performance.now();
  const result = await refit.prune({});
  const wallMs = performance.now() - t0;
  const after = (await refit.storage()).stats;
  const fileAfter = fileBytes(path);
  // As many new scores as went: they land on the freed pages, the file does not grow.
  const fresh: Score[] = Array.from({ length: result.scoresDeleted }, (_, i) => ({ id: `new${i}`, modelId: 'jobs', version: '1.0.0', features: { salary: 50_000 + i, distanceKm: i % 80, seniority: 'mid', remote: true, industry: 'tech', skillsMatch: 0.5 }, score: 0.5, createdAt: NOW }));
  for (let i = 0; i < fresh.length; i += 10_000) await store.insertScores(fresh.slice(i, i + 10_000));
  const refilled = (await refit.storage()).stats;
  console.log(
    JSON.stringify({
      phase: 'idle',
      rows,
      scoresDeleted: result.scoresDeleted,
      labelsDeleted: result.labelsDeleted,
      batches: result.batches,
      batchRows,
      pruneMs: Math.round(wallMs),
      rowsPerSecond: Math.round((result.scoresDeleted + result.labelsDeleted) / (wallMs / 1000)),
      statementMsP50: round(quantile(statementMs, 0.5)),
      statementMsP99: round(quantile(statementMs, 0.99)),
      statementMsMax: round(Math.max(...statementMs)),
      statementsOver40Ms: statementMs.filter((ms) => ms > 40).length,
      fillMs: Math.round(fillMs),
      storageReportMs: Math.round(reportMs),
      dbBytesBefore: before.databaseBytes,
      freeBytesBefore: before.freeBytes,
      dbBytesAfter: after.databaseBytes,
      freeBytesAfter: after.freeBytes,
      fileBytesBefore: fileBefore,
      fileBytesAfter: fileAfter,
      scoresLeft: after.tables[0].rows,
      labelsLeft: after.tables[1].rows,
      refilledScores: fresh.length,
      dbBytesRefilled: refilled.databaseBytes,
      freeBytesRefilled: refilled.freeBytes,
    }),
  );
  await refit.close();
}

// 2. Scoring alone, then while a prune runs: a request every `every` ms (open loop, as clients
// send them), each timed from when it was due, so time spent waiting for a delete statement counts.
{
  const every = Number(flag('every') ?? 5);
  const { refit } = await open('busy');
  const features = { salary: 52_000, distanceKm: 12, seniority: 'mid', remote: true, industry: 'tech', skillsMatch: 0.7 };
  const load = async (until: () => boolean): Promise<number[]> => {
    const latencies: number[] = [];
    const inflight: Promise<void>[] = [];
    let due = performance.now();
    while (!until()) {
      await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      // Every request due by now goes at once, as a server reads all those waiting on its sockets.
      for (; due <= performance.now(); due += every) {
        const at = due;
        inflight.push(refit.score('jobs', [{ features }]).then(() => void latencies.push(performance.now() - at)));
      }
    }
    await Promise.all(inflight);
    return latencies;
  };
  await load(((t) => () => performance.now() - t > 1000)(performance.now()));
  const alone = await load(((t) => () => performance.now() - t > 3000)(performance.now()));
  let done = false;
  const t0 = performance.now();
  const pruning = refit.prune({}).then((r) => {
    done = true;
    return r;
  });
  const during = await load(() => done);
  const result = await pruning;
  const wallMs = performance.now() - t0;
  const stats = (xs: number[]) => ({ n: xs.length, p50: round(quantile(xs, 0.5)), p99: round(quantile(xs, 0.99)), max: round(Math.max(...xs)) });
  console.log(JSON.stringify({ phase: 'scoring', rows, requestEveryMs: every, scoresDeleted: result.scoresDeleted, labelsDeleted: result.labelsDeleted, batches: result.batches, pruneMs: Math.round(wallMs), scoreMsAlone: stats(alone), scoreMsDuringPrune: stats(during) }));
  await refit.close();
}
rmSync(dir, { recursive: true, force: true });
if (pgUrl) for (const name of ['idle', 'busy']) await dropSchema(`refit_prune_bench_${name}`);
