import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { ManualClock } from '../../src/domain/clock.js';
import { mulberry32 } from '../../src/data/random.js';
import { buildApp } from '../../src/http/app.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { claimOwnerId } from '../../src/retrain/job-owner.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import type { Store } from '../../src/store/store.js';
import { getTrainer, registerTrainer } from '../../src/train/registry.js';
import type { Predictor, Trainer } from '../../src/train/trainer.js';

/**
 * A trainer whose versions are set by hand: every row gets probability `p`, so a version "says 1"
 * (p ≥ 0.5) or "says 0"; with `fail` every prediction throws (a broken version).
 */
/**
 * Virtual scoring time: a version with `latencyMs` advances it by that much per prediction, and
 * the harness's Refit measures latency on it, so slow versions need no sleeping.
 */
let virtualMs = 0;

let fits = 0;

function fixedPredictor(p: number, fail: boolean, failNow = fail, latencyMs = 0, fit = 0): Predictor {
  const predict = (n: number) => {
    if (failNow) throw new Error('this version cannot score');
    virtualMs += latencyMs;
    return new Float64Array(n).fill(p);
  };
  return {
    kind: 'test-fixed',
    outputsPerRow: 1,
    classes: ['0', '1'],
    predictRows: (rows) => predict(rows.length),
    predictMatrix: (x) => predict(x.rows),
    // `fit` tells apart two versions with the same settings (loads are counted per artifact).
    serialize: () => new TextEncoder().encode(JSON.stringify(fail ? { p, fail, latencyMs, fit } : { p, fail, latencyMs })),
  };
}
const loadsByArtifact = new Map<string, number>();
const fixedTrainer: Trainer<{ p: number; fail: boolean; latencyMs: number }> = {
  name: 'test-fixed',
  paramsSchema: z.object({ p: z.number().min(0).max(1).default(0.9), fail: z.boolean().default(false), latencyMs: z.number().min(0).default(0) }).strict(),
  tasks: ['binary'],
  // Trained versions validate fine (and fast); a `fail` version breaks once loaded for serving.
  fit: async (_data, params) => fixedPredictor(params.p, params.fail, false, params.latencyMs, ++fits),
  // A `fail` version passes its first load (the smoke test before activation) and breaks in
  // serving afterwards: these tests are about what live numbers do with a version that broke late.
  load: (bytes) => {
    const text = new TextDecoder().decode(bytes);
    const { p, fail, latencyMs } = JSON.parse(text) as { p: number; fail: boolean; latencyMs?: number };
    const loads = (loadsByArtifact.get(text) ?? 0) + 1;
    loadsByArtifact.set(text, loads);
    return fixedPredictor(p, fail, fail && loads > 1, latencyMs ?? 0);
  },
};
if (!getTrainer('test-fixed')) registerTrainer(fixedTrainer);

/** A binary model on the fixed trainer; rollout settings as given. */
export function spec(rollout: Record<string, unknown> = {}, p = 0.9) {
  return {
    id: 'm',
    task: 'binary',
    features: [{ name: 'x', type: 'number' }],
    trainer: { type: 'test-fixed', params: { p } },
    // Retrain triggers off: these tests are about rollouts, and a triggered retrain would add versions.
    retrain: { minNewLabels: 1, rollout, triggers: { performance: { enabled: false }, drift: { enabled: false }, rate: { enabled: false } } },
  };
}

/** Labelled rows for training (their labels do not matter to the fixed trainer). */
export function trainingRows(n: number, seed = 1) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({ features: { x: rnd() }, label: i % 2 }));
}

/** A Refit with a manual clock, a seeded routing source and the inline executor, plus its HTTP app. */
export interface Harness {
  readonly refit: Refit;
  /** The collaborators behind `refit`, for tests that spy on or drive them. */
  readonly parts: RefitParts;
  readonly app: FastifyInstance;
  readonly clock: ManualClock;
  post(url: string, payload?: unknown): Promise<{ statusCode: number; json: () => any; headers: Record<string, unknown> }>;
  get(url: string): Promise<{ statusCode: number; json: () => any; headers: Record<string, unknown> }>;
  put(url: string, payload: unknown): Promise<{ statusCode: number; json: () => any; headers: Record<string, unknown> }>;
  /** Start a retrain and wait for it; returns the job. */
  retrain(): Promise<any>;
  /** Stop the app without closing the store (for restarts on the same store). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** Open a harness on a store (the same store can be opened again to simulate a restart). */
export async function openHarness(store: Store, options: { clock?: ManualClock; seed?: number; logger?: Logger } = {}): Promise<Harness> {
  const clock = options.clock ?? new ManualClock('2026-11-23T06:00:00Z');
  // Released by stop(), which plays a process that dies: its jobs and changes become orphans.
  const owner = claimOwnerId();
  const { refit, parts } = createRefit({
    store,
    clock,
    owner,
    executor: inlineExecutor,
    routingRandom: mulberry32(options.seed ?? 7),
    stopwatch: () => virtualMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const app = await buildApp(refit);
  const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) }) as unknown as Promise<{ statusCode: number; json: () => any; headers: Record<string, unknown> }>;
  return {
    refit,
    parts,
    app,
    clock,
    post: (url, payload) => inject('POST', url, payload),
    get: (url) => inject('GET', url),
    put: (url, payload) => inject('PUT', url, payload),
    async retrain() {
      clock.advance(60_000);
      const res = await inject('POST', '/api/v1/models/m/retrain', { force: true });
      if (res.statusCode !== 202) throw new Error(`retrain refused: ${res.statusCode} ${JSON.stringify(res.json())}`);
      await parts.queue.whenIdle();
      return (await inject('GET', `/api/v1/jobs/${res.json().jobId}`)).json();
    },
    async stop() {
      parts.scheduler.stop();
      await parts.queue.close();
      await app.close();
      owner.release();
    },
    async close() {
      await app.close();
      await refit.close();
    },
  };
}

/** Score `n` rows (with optional entity keys); returns the response items. */
export async function scoreRows(h: Harness, n: number, keys?: (i: number) => string): Promise<{ scoreId: string; version: string; arm: string; score: number }[]> {
  const out: { scoreId: string; version: string; arm: string; score: number }[] = [];
  for (let start = 0; start < n; start += 5_000) {
    const items = Array.from({ length: Math.min(5_000, n - start) }, (_, j) => ({ features: { x: (start + j) / n }, ...(keys ? { entityKey: keys(start + j) } : {}) }));
    const res = await h.post('/api/v1/models/m/score', { items });
    if (res.statusCode !== 200) throw new Error(`score refused: ${res.statusCode} ${JSON.stringify(res.json())}`);
    out.push(...res.json().items);
  }
  return out;
}

/** Send a label for each score: `label(item)` decides it. */
export async function sendOutcomes(h: Harness, items: readonly { scoreId: string; version: string; arm: string }[], label: (item: { version: string; arm: string }) => number): Promise<void> {
  for (let start = 0; start < items.length; start += 5_000) {
    const batch = items.slice(start, start + 5_000).map((it) => ({ scoreId: it.scoreId, label: label(it) }));
    const res = await h.post('/api/v1/models/m/labels', { items: batch });
    if (res.statusCode !== 201) throw new Error(`labels refused: ${res.statusCode} ${JSON.stringify(res.json())}`);
  }
}

/** A pino logger that keeps what it writes (as parsed lines) instead of printing it. */
export function capturingLogger(): { logger: Logger; lines: { level: number; msg: string; modelId?: string; err?: { message: string } }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}
