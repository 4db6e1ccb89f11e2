/**
 * Sustained load: a fixed mix of scoring, labels and retrains against `refit serve` on SQLite in a
 * temporary directory, for 10 minutes by default. Eight clients in this process, each one request
 * at a time on a kept-alive connection: five score single rows, two score batches of 50, one
 * sends labels (batches of 100, by score id, for scores the others received); a retrain is
 * requested every 30 seconds. Prints one JSON line per minute (requests, p99, the server's RSS at
 * the minute's end, the slowest request, the peak and mean of its RSS sampled every second, the
 * heap and mapped-file parts of RSS, the database size, retrains finished, failures) and a summary
 * line comparing the last minute with the first (with the slowest request and the fewest requests
 * of any minute, where a stall shows). The model is a gbdt on six numbers that learns from its
 * 50,000 most recent labels, and its trigger checks run every 5 minutes (wall clock) instead of
 * hourly. The same mix runs for a warm-up minute first (its line says `"warmup": true`; the
 * summary compares the measured minutes only, and counts its failures too): without it the first
 * measured minute was a cold start (no retrain finished yet, the heaps not yet at their working
 * size), so RSS rose over the next two minutes and then held, and the comparison counted that.
 *
 *   npm run bench:soak [-- --minutes 10 --warmup 1 --retrain-every 30 --window 50000 --check-every 5]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../src/data/random.js';
import { startRefit } from './support/processes.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg('minutes', 10);
/** Minutes of the same mix before the measured ones (0: none). */
const WARMUP = arg('warmup', 1);
const RETRAIN_EVERY_S = arg('retrain-every', 30);
const MINUTE_MS = arg('minute-ms', 60_000);
/** Labels each retrain learns from (the most recent): models here retrain on tens of thousands. */
const WINDOW = arg('window', 50_000);
/**
 * Minutes between the model's trigger checks (live performance, accept rate, drift); by default
 * they run hourly, at the hour, so a 10-minute run had one only if it spanned the hour.
 */
const CHECK_EVERY_MIN = arg('check-every', 5);


const agent = new Agent({ keepAlive: true, maxSockets: 16 });
let base = '';
/** One request on a kept-alive connection; the parsed answer and its status. */
function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, agent, headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: any = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const FEATURES = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, type: 'number' as const }));
const rnd = mulberry32(5);
const row = () => Object.fromEntries(FEATURES.map((f) => [f.name, Math.round(rnd() * 1e5) / 1e4]));
const truth = (f: Record<string, number>) => (f.f0 + f.f1 * f.f2 * 0.1 + rnd() * 3 > 8 ? 1 : 0);

interface Minute {
  requests: number;
  latencies: number[];
  failures: number;
  retrains: number;
}
const minutes: Minute[] = [];
const current = () => minutes[minutes.length - 1];
const newMinute = () => minutes.push({ requests: 0, latencies: [], failures: 0, retrains: 0 });

const dir = mkdtempSync(join(tmpdir(), 'refit-bench-soak-'));
// SOAK_PROFILE=DIR writes a CPU profile of the server there.
const refit = await startRefit(dir, process.env.SOAK_PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.SOAK_PROFILE}`] } : {});
base = refit.url;
const failures: string[] = [];
try {
  const created = await call('POST', '/api/v1/models', { id: 'soak', task: 'binary', features: FEATURES, trainer: { type: 'gbdt' }, retrain: { minNewLabels: 1, window: { labels: WINDOW }, triggers: { checkSchedule: `*/${CHECK_EVERY_MIN} * * * *` } } });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.json).slice(0, 300)}`);
  const seed = Array.from({ length: 5_000 }, () => {
    const f = row();
    return { features: f, label: truth(f) };
  });
  await call('POST', '/api/v1/models/soak/labels', { items: seed });
  const first = await call('POST', '/api/v1/models/soak/retrain', { force: true });
  for (;;) {
    const j = await call('GET', `/api/v1/jobs/${first.json.jobId}`);
    if (!['pending', 'running'].includes(j.json.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const end = Date.now() + MINUTES * MINUTE_MS;
  const scored: { id: string; label: number }[] = [];
  let stop = false;
  newMinute();

  const timed = async (method: string, path: string, body: unknown): Promise<any> => {
    const t = performance.now();
    let res: { status: number; json: any };
    try {
      res = await call(method, path, body);
    } catch (err) {
      current().failures++;
      failures.push(String(err));
      return null;
    }
    const m = current();
    m.latencies.push(performance.now() - t);
    m.requests++;
    if (res.status >= 300) {
      m.failures++;
      if (failures.length < 20) failures.push(`${method} ${path}: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
      return null;
    }
    return res.json;
  };

  const scorer = (batch: number) => async () => {
    while (!stop) {
      const rows = Array.from({ length: batch }, row);
      const out = await timed('POST', '/api/v1/models/soak/score', { items: rows.map((features) => ({ features })) });
      if (out && scored.length < 50_000) out.items.forEach((it: { scoreId: string }, i: number) => scored.push({ id: it.scoreId, label: truth(rows[i]) }));
    }
  };
  const labeller = async () => {
    while (!stop) {
      if (scored.length < 100) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const items = scored.splice(0, 100).map((s) => ({ scoreId: s.id, label: s.label }));
      await timed('POST', '/api/v1/models/soak/labels', { items });
    }
  };
  const retrainer = async () => {
    const pending: string[] = [];
    while (!stop) {
      await new Promise((r) => setTimeout(r, RETRAIN_EVERY_S * 1000));
      if (stop) break;
      const r = await call('POST', '/api/v1/models/soak/retrain', { force: true }).catch(() => null);
      if (r?.json?.jobId) pending.push(r.json.jobId);
      for (const id of [...pending]) {
        const j = await call('GET', `/api/v1/jobs/${id}`).catch(() => null);
        const status = j?.json?.status;
        if (status && !['pending', 'running'].includes(status)) {
          pending.splice(pending.indexOf(id), 1);
          if (status === 'completed') current().retrains++;
          else {
            current().failures++;
            failures.push(`retrain ${id} ${status}: ${j?.json?.error}`);
          }
        }
      }
    }
  };

  /** A line of the server's /proc status in MB: VmRSS, or its parts RssAnon (heaps) and RssFile + RssShmem (mapped files). */
  const status = (field: string) => {
    const m = readFileSync(`/proc/${refit.child.pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  };
  const rss = () => status('VmRSS');
  // The garbage-collected heap saws up and down by tens of MB between collections, so one sample a
  // minute lands anywhere on the saw: RSS is also sampled every second, and each minute reports
  // the peak and mean of its samples besides the sample at its end.
  let samples: number[] = [];
  const sampler = setInterval(() => {
    try {
      const v = rss();
      if (Number.isFinite(v)) samples.push(v);
    } catch {
      // The server has gone (a failed run): the summary says why.
    }
  }, 1000);
  sampler.unref();
  const dbMb = () => {
    let bytes = 0;
    for (const f of ['refit.db', 'refit.db-wal']) {
      try {
        bytes += statSync(join(dir, f)).size;
      } catch {
        // not there (yet)
      }
    }
    return Math.round(bytes / 1024 / 1024);
  };

  const lines: Record<string, number>[] = [];
  const warmLines: Record<string, number>[] = [];
  const reporter = (async () => {
    for (let k = 1 - WARMUP; k <= MINUTES; k++) {
      await new Promise((r) => setTimeout(r, Math.max(0, Date.now() + MINUTE_MS - Date.now())));
      const m = current();
      newMinute();
      const sorted = m.latencies.sort((a, b) => a - b);
      const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : NaN;
      const taken = samples;
      samples = [];
      const rssPeak = taken.length ? Math.max(...taken) : NaN;
      const rssMean = taken.length ? Math.round(taken.reduce((a, b) => a + b, 0) / taken.length) : NaN;
      // The slowest request that finished this minute: a stalled server shows here (its few stuck
      // requests are far under 1 % of a minute's, so p99 does not show them).
      const line = { minute: k, requests: m.requests, p99_ms: Number(p99.toFixed(1)), max_ms: sorted.length ? Math.round(sorted[sorted.length - 1]) : NaN, rss_mb: rss(), rss_peak_mb: rssPeak, rss_mean_mb: rssMean, rss_anon_mb: status('RssAnon'), rss_file_mb: status('RssFile') + status('RssShmem'), db_mb: dbMb(), retrains: m.retrains, failures: m.failures };
      if (k < 1) {
        warmLines.push(line);
        console.log(JSON.stringify({ ...line, warmup: true }));
        continue;
      }
      lines.push(line);
      console.log(JSON.stringify(line));
    }
  })();
  const clients = [...Array.from({ length: 5 }, () => scorer(1)), scorer(50), scorer(50), labeller].map((c) => c());
  const retraining = retrainer();
  await reporter;
  clearInterval(sampler);
  stop = true;
  await Promise.all(clients);
  await retraining;
  void end;
  const firstM = lines[0];
  const lastM = lines[lines.length - 1];
  console.log(
    JSON.stringify({
      bench: 'soak',
      minutes: MINUTES,
      warmup_minutes: WARMUP,
      first_minute_requests: firstM.requests,
      last_minute_requests: lastM.requests,
      ratio: Number((lastM.requests / firstM.requests).toFixed(3)),
      // Minutes without a finished request have no p99 (they show as requests 0).
      max_p99_ms: Math.max(...lines.map((l) => l.p99_ms).filter((v) => Number.isFinite(v))),
      max_latency_ms: Math.max(...lines.map((l) => l.max_ms).filter((v) => Number.isFinite(v))),
      min_minute_requests: Math.min(...lines.map((l) => l.requests)),
      rss_first_mb: firstM.rss_mb,
      rss_last_mb: lastM.rss_mb,
      rss_growth: Number((lastM.rss_mb / firstM.rss_mb - 1).toFixed(3)),
      // The same from each minute's peak and mean of its once-a-second samples.
      rss_peak_growth: Number((lastM.rss_peak_mb / firstM.rss_peak_mb - 1).toFixed(3)),
      rss_mean_growth: Number((lastM.rss_mean_mb / firstM.rss_mean_mb - 1).toFixed(3)),
      db_mb: lastM.db_mb,
      retrains: lines.reduce((s, l) => s + l.retrains, 0),
      // Failures of the warm-up too: nothing may fail at any time.
      failures: [...warmLines, ...lines].reduce((s, l) => s + l.failures, 0),
      ...(failures.length ? { first_failures: failures.slice(0, 5) } : {}),
    }),
  );
} finally {
  refit.child.kill('SIGTERM');
  await refit.exited;
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
