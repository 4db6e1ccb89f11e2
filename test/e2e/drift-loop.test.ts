import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

// A concept-drift stream from the shared generator: the label's dependence on the inputs rotates
// (by 0.8) half way through the rows, so a model trained on the first half degrades on the second.
const FEATURES = 8;
const ROWS = 12_000;
let dir: string;
let X: Float32Array;
let y: Float32Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'refit-drift-'));
  const script = fileURLToPath(new URL('../../bench/make-data.mjs', import.meta.url));
  execFileSync(process.execPath, [script, '--out', dir, '--rows', String(ROWS), '--features', String(FEATURES), '--drift', '0.8', '--seed', '5']);
  const xb = readFileSync(join(dir, 'X.f32'));
  const yb = readFileSync(join(dir, 'y.f32'));
  X = new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.byteLength));
  y = new Float32Array(yb.buffer.slice(yb.byteOffset, yb.byteOffset + yb.byteLength));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const features = (i: number) => Object.fromEntries(Array.from({ length: FEATURES }, (_, j) => [`f${j}`, X[i * FEATURES + j]]));

describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('concept drift end to end on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(dialect);
  });
  afterAll(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  /** Score rows [from, to) through the API, then send their labels as feedback by score id. */
  async function serveAndFeedBack(from: number, to: number): Promise<string[]> {
    const versions: string[] = [];
    for (let s = from; s < to; s += 1000) {
      const e = Math.min(to, s + 1000);
      const scored = await req('POST', '/api/v1/models/stream/score', { items: Array.from({ length: e - s }, (_, k) => ({ features: features(s + k) })) });
      expect(scored.statusCode).toBe(200);
      const items = scored.json().items as { scoreId: string; version: string }[];
      versions.push(...items.map((i) => i.version));
      const fb = await req('POST', '/api/v1/models/stream/labels', { items: items.map((it, k) => ({ scoreId: it.scoreId, label: y[s + k] })) });
      expect(fb.statusCode).toBe(201);
    }
    return versions;
  }

  it('notices the fall in live results, retrains on its own, and the new version does better live', async () => {
    const created = await req('POST', '/api/v1/models', {
      id: 'stream',
      task: 'binary',
      features: Array.from({ length: FEATURES }, (_, j) => ({ name: `f${j}`, type: 'number' })),
      trainer: 'logistic',
      retrain: {
        minNewLabels: 100,
        window: { labels: 2000 },
        // The schedule stays on (enabled: false would stop trigger-started retrains too) but never comes due in this test.
        schedule: '0 0 1 1 *',
        triggers: { performance: { minLabels: 200, windowHours: 2 }, rate: { enabled: false } },
      },
    });
    expect(created.statusCode).toBe(201);

    // Version 1 learns the first concept.
    await req('POST', '/api/v1/models/stream/labels', { items: Array.from({ length: 3000 }, (_, i) => ({ features: features(i), label: y[i] })) });
    await req('POST', '/api/v1/models/stream/retrain', {});
    await t.parts.queue.whenIdle();
    const v1 = (await req('GET', '/api/v1/models/stream')).json().activeVersion as string;
    expect(v1).toMatch(/^1\.0\.0-/);

    // It serves rows from the first half: live results match its baseline, the hourly check is calm.
    t.clock.advance(3_600_000);
    await serveAndFeedBack(3000, 4000);
    t.clock.set('2026-11-23T08:00:00Z');
    await t.parts.scheduler.tick();
    let checks = (await req('GET', '/api/v1/models/stream/checks')).json().items;
    expect(checks.find((c: { kind: string }) => c.kind === 'performance')).toMatchObject({ decision: 'ok' });

    // The concept turns (second half of the stream); feedback shows it.
    t.clock.advance(30 * 60_000);
    const servedByV1 = await serveAndFeedBack(6000, 8000);
    expect(new Set(servedByV1)).toEqual(new Set([v1]));
    const needed = (await req('GET', '/api/v1/models/stream/retrain-needed')).json();
    expect(needed.needed, JSON.stringify(needed.triggers)).toBe(true);
    expect(needed.reasons.join(' ')).toMatch(/performance: live auc .* beyond the 10% drop limit/);

    // The next hourly check fires a retrain on its own.
    t.clock.set('2026-11-23T09:00:00Z');
    await t.parts.scheduler.tick();
    await t.parts.queue.whenIdle();
    checks = (await req('GET', '/api/v1/models/stream/checks')).json().items;
    const fired = checks.find((c: { kind: string; decision: string }) => c.kind === 'performance' && c.decision === 'fire');
    expect(fired).toBeDefined();
    const job = (await req('GET', `/api/v1/jobs/${fired.jobId}`)).json();
    expect(job).toMatchObject({ trigger: 'performance', status: 'completed' });
    expect(job.result.promoted).toBe(true);
    const v2 = job.result.newVersion as string;
    expect((await req('GET', '/api/v1/models/stream')).json().activeVersion).toBe(v2);

    // One cause, one retrain: the next check is in cooldown or calm, and starts nothing.
    t.clock.set('2026-11-23T10:00:00Z');
    await t.parts.scheduler.tick();
    await t.parts.queue.whenIdle();
    expect((await req('GET', '/api/v1/models/stream/retrain/history')).json().total).toBe(2);

    // Later feedback: the new version's live accuracy beats what the old one showed after the turn.
    t.clock.advance(10 * 60_000);
    const servedByV2 = await serveAndFeedBack(8000, 10_000);
    expect(new Set(servedByV2)).toEqual(new Set([v2]));
    t.clock.advance(60_000);
    // Three one-hour windows ending 10:11: v1's post-turn feedback (08:30) and v2's (10:10).
    const perf = (await req('GET', '/api/v1/models/stream/performance?window=1h&windows=3')).json();
    // The baseline is measured on the most recent labels (out of time), so it is honest rather than high.
    expect(perf.baselines[v1].auc).toBeGreaterThan(0.65);
    const liveOf = (v: string) => {
      const ws = perf.windows.filter((w: { version: string }) => w.version === v);
      expect(ws.length).toBeGreaterThan(0);
      return ws.reduce((a: number, w: { metrics: { accuracy: number }; count: number }) => a + w.metrics.accuracy * w.count, 0) / ws.reduce((a: number, w: { count: number }) => a + w.count, 0);
    };
    expect(liveOf(v2)).toBeGreaterThan(liveOf(v1) + 0.05);
  });
});
