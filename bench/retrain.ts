/**
 * How long does one retrain take through the API, next to XGBoost's fit on the same rows?
 *
 * Writes data with make-data.mjs (binary, 6 number features; 56,250 rows, whose first 80% are
 * the 45,000 train rows), starts `refit serve` as users run it (the build in dist/, which the npm
 * script compiles first; SQLite in a temporary directory; training in its worker thread), creates
 * a model with trainer gbdt and its defaults, posts the 45,000 train rows as labels through the
 * HTTP API, then starts retrains through the HTTP API (`force`, so each one trains) and times each
 * from the POST until the job's completion event arrives on the event stream (`GET
 * /api/v1/events`, no polling delay), then reads the job back. The first retrain has no champion
 * (and starts the server's training threads); the later ones also score the champion and
 * bootstrap the comparison, as a routine retrain does, on a window the server already holds. After
 * each retrain it times the anchor once, XGBoost hist with gbdt's defaults (100 trees, depth 6,
 * 255 bins, lr 0.1, 2 threads) on the very same rows (the server idle meanwhile), and prints one
 * JSON line; `ratio` = median retrain / median XGBoost fit, `outside_fit_ms` = each retrain less
 * its fit (`training_ms`).
 *
 *   npm run bench:retrain [-- --runs 5 --rows 56250 --python /usr/bin/python3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRefit } from './support/processes.js';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(argValue('runs') ?? 5);
const ROWS = Number(argValue('rows') ?? 56_250);
const PYTHON = argValue('python') ?? '/usr/bin/python3';
const FEATURES = 6;
const BATCH = 10_000;

const here = new URL('.', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'refit-bench-retrain-'));
const dataDir = join(dir, 'data');
execFileSync(process.execPath, [join(here, 'make-data.mjs'), '--out', dataDir, '--rows', String(ROWS), '--features', String(FEATURES)], { stdio: 'ignore' });
const meta = JSON.parse(readFileSync(join(dataDir, 'meta.json'), 'utf8')) as { trainRows: number; features: number; featureNames: string[] };
const X = new Float32Array(readFileSync(join(dataDir, 'X.f32')).buffer.slice(0));
const Y = new Float32Array(readFileSync(join(dataDir, 'y.f32')).buffer.slice(0));

// RETRAIN_PROFILE=DIR: the server (and each of its threads) writes a V8 CPU profile there when it stops.
const server = await startRefit(join(dir, 'refit'), process.env.RETRAIN_PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.RETRAIN_PROFILE}`] } : {});
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
};

const MODEL = 'bench-retrain';
await api('POST', '/api/v1/models', {
  id: MODEL,
  task: 'binary',
  features: meta.featureNames.map((name) => ({ name, type: 'number' })),
  trainer: { type: 'gbdt' },
});
// Exactly the anchor's train rows (the first trainRows), in order, as labels.
const F = meta.features;
for (let start = 0; start < meta.trainRows; start += BATCH) {
  const items = [];
  for (let i = start; i < Math.min(meta.trainRows, start + BATCH); i++) {
    const features: Record<string, number> = {};
    for (let j = 0; j < F; j++) features[meta.featureNames[j]] = X[i * F + j];
    items.push({ features, label: Y[i] });
  }
  await api('POST', `/api/v1/models/${MODEL}/labels`, { items });
}

/**
 * The event stream of the model: resolves `finished(jobId)` when that job's completed or failed
 * event arrives (the job row is final in the same transaction).
 */
async function openEvents(): Promise<{ finished: (jobId: string) => Promise<string>; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/api/v1/events?modelId=${MODEL}`, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  if (!res.body) throw new Error('no event stream');
  const waiters = new Map<string, (type: string) => void>();
  const seen = new Map<string, string>();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!data || (event !== 'model.retrain.completed' && event !== 'model.retrain.failed')) continue;
          const runId = (JSON.parse(data) as { runId?: string }).runId;
          if (!runId) continue;
          seen.set(runId, event);
          waiters.get(runId)?.(event);
        }
      }
    } catch {
      // Aborted at the end of the run.
    }
  })();
  return {
    finished: (jobId) =>
      new Promise((resolve) => {
        const already = seen.get(jobId);
        if (already) resolve(already);
        else waiters.set(jobId, resolve);
      }),
    close: () => controller.abort(),
  };
}

interface JobWire {
  status: string;
  error: string | null;
  stages: { name: string; durationMs: number }[];
  result: { trainingMs: number; trainingSamples: number; labelCount: number; decision: string } | null;
}

/** One fit of the anchor, XGBoost hist with gbdt's defaults, on the same train rows. */
function xgboostFit(): { fit_s: number; rows: number } {
  const anchor = spawnSync(PYTHON, [join(here, 'anchors', 'anchor-gbdt.py'), dataDir, '--only', 'xgboost', '--trees', '100', '--depth', '6', '--bins', '255', '--lr', '0.1', '--threads', '2'], { encoding: 'utf8' });
  if (anchor.status !== 0) throw new Error(`the XGBoost anchor failed: ${anchor.stderr}`);
  return JSON.parse(anchor.stdout.trim().split('\n').pop()!) as { fit_s: number; rows: number };
}

// Each retrain is followed by one anchor fit (the server idle meanwhile), so that both see the
// same conditions on a machine whose load changes; the ratio is of the two medians.
const events = await openEvents();
const runs: { seconds: number; trainingMs: number | null; stages: Record<string, number> }[] = [];
const anchorRuns: { fit_s: number; rows: number }[] = [];
const loads: number[] = [];
for (let r = 0; r < RUNS; r++) {
  loads.push(loadavg()[0]);
  const t0 = performance.now();
  const started = await api<{ jobId: string }>('POST', `/api/v1/models/${MODEL}/retrain`, { force: true });
  const event = await events.finished(started.jobId);
  const seconds = (performance.now() - t0) / 1000;
  const job = await api<JobWire>('GET', `/api/v1/jobs/${started.jobId}`);
  if (event !== 'model.retrain.completed' || job.status !== 'completed') throw new Error(`retrain ${r + 1} ended ${job.status}: ${job.error ?? ''}`);
  runs.push({ seconds, trainingMs: job.result?.trainingMs ?? null, stages: Object.fromEntries(job.stages.map((s) => [s.name, s.durationMs])) });
  anchorRuns.push(xgboostFit());
}
loads.push(loadavg()[0]);
events.close();
server.child.kill('SIGTERM');
await server.exited;
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const retrainS = median(runs.map((x) => x.seconds));
const xgbS = median(anchorRuns.map((x) => x.fit_s));
const trainingMs = runs.map((x) => x.trainingMs).filter((x): x is number => x !== null);
const outsideFit = runs.map((x) => Math.round(x.seconds * 1000 - (x.trainingMs ?? 0)));
const stageNames = [...new Set(runs.flatMap((x) => Object.keys(x.stages)))];
console.log(
  JSON.stringify({
    bench: 'retrain-through-api',
    labels: meta.trainRows,
    features: FEATURES,
    trainer: 'gbdt (defaults)',
    retrain_s: { median: r3(retrainS), runs: runs.map((x) => r3(x.seconds)) },
    training_ms: { median: trainingMs.length ? median(trainingMs) : null, runs: trainingMs },
    // Each retrain's time outside the fit (retrain − training_ms): what the service adds to the learner.
    outside_fit_ms: { median: median(outsideFit), runs: outsideFit },
    stages_ms_median: Object.fromEntries(stageNames.map((n) => [n, median(runs.map((x) => x.stages[n] ?? 0))])),
    xgboost: { fit_s: { median: xgbS, runs: anchorRuns.map((x) => x.fit_s) }, rows: anchorRuns[0].rows, threads: 2 },
    ratio: Number((retrainS / xgbS).toFixed(2)),
    // The 1-minute load average before each retrain and at the end: above ~1 others share the two cores.
    load1: loads.map((x) => Number(x.toFixed(2))),
  }),
);
