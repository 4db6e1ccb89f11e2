/**
 * Does the API stay responsive while a big model trains? Starts a real server (SQLite in a temp
 * directory, training in a worker thread), loads 200,000 labels, warms the HTTP client with 20
 * requests, starts a retrain and polls GET /healthz every 20 ms until the job ends. Prints one
 * JSON line with the latency figures (the client runs in the server's process, so anything that
 * holds the event loop shows up).
 *
 *   npm run bench:responsiveness [-- --labels 200000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../src/config/settings.js';
import { mulberry32 } from '../src/data/random.js';
import { startServer } from '../src/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const LABELS = arg('labels', 200_000);
const dir = mkdtempSync(join(tmpdir(), 'refit-bench-'));
const server = await startServer(loadSettings({}, { port: 0, dataDir: dir, logLevel: 'warn' }));
const { refit } = server;

await refit.createModel({
  id: 'bench',
  task: 'binary',
  features: [
    { name: 'a', type: 'number' },
    { name: 'b', type: 'number' },
    { name: 'c', type: 'number' },
    { name: 'plan', type: 'category' },
    { name: 'title', type: 'text' },
  ],
  trainer: { type: 'logistic' },
});
const rnd = mulberry32(7);
const words = ['data', 'engineer', 'senior', 'sales', 'assistant', 'manager', 'platform', 'nurse', 'driver', 'analytics'];
const plans = ['basic', 'pro', 'team', 'enterprise'];
for (let done = 0; done < LABELS; done += 10_000) {
  const items = Array.from({ length: Math.min(10_000, LABELS - done) }, () => {
    const a = rnd() * 4 - 2;
    const b = rnd() * 4 - 2;
    const title = `${words[Math.floor(rnd() * 10)]} ${words[Math.floor(rnd() * 10)]}`;
    const logit = a - 0.5 * b + (title.includes('data') ? 1 : -0.3);
    return { features: { a, b, c: rnd(), plan: plans[Math.floor(rnd() * 4)], title }, label: rnd() < 1 / (1 + Math.exp(-logit)) ? 1 : 0 };
  });
  await refit.addLabels('bench', items);
}

// Warm the client first (undici's connection pool, the route's first run): the very first
// request of a process pays for connecting and compiling, which is not what is measured here.
let coldMs = 0;
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  await (await fetch(`${server.url}/healthz`)).arrayBuffer();
  if (i === 0) coldMs = performance.now() - t0;
}

const latencies: number[] = [];
const started = performance.now();
const { job } = await refit.retrain('bench');
let finished = false;
const ended = refit.whenIdle().then(() => {
  finished = true;
});
while (!finished) {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/healthz`);
  await res.arrayBuffer();
  latencies.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 20));
}
await ended;
const seconds = (performance.now() - started) / 1000;
const result = await refit.getJob(job.id);
latencies.sort((x, y) => x - y);
const q = (p: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2));
console.log(
  JSON.stringify({
    bench: 'healthz-while-training',
    labels: LABELS,
    jobStatus: result.status,
    retrainSeconds: Number(seconds.toFixed(2)),
    trainingMs: result.result?.trainingMs ?? null,
    healthzRequests: latencies.length,
    healthzMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: Number(latencies[latencies.length - 1].toFixed(2)) },
    over50ms: latencies.filter((x) => x > 50).length,
    firstRequestBeforeWarmupMs: Number(coldMs.toFixed(2)),
  }),
);
await server.close();
rmSync(dir, { recursive: true, force: true });
