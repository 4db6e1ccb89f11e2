import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import type { Score } from '../../src/domain/entities.js';
import { startServer } from '../../src/server.js';
import { createRefit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';
import { CHURN_SPEC, type CliRun, refit, tempDir } from './cli-harness.js';

const DAY = 86_400_000;
/** The churn model with a drift window of 10 scores, so that 40 days of scores leave 30 to keep. */
const SPEC = { ...CHURN_SPEC, retrain: { triggers: { drift: { windowScores: 10 } } } };

/** 40 scores, one a day back from now (the wall clock: the CLI and the server use it). */
async function seed(store: Store): Promise<void> {
  const now = Date.now();
  const scores: Score[] = Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, modelId: 'churn', version: null, features: { age: 30 + i, plan: 'pro' }, score: 0.5, createdAt: new Date(now - i * DAY) }));
  await store.insertScores(scores);
}

interface Mode {
  readonly name: 'direct' | 'http';
  setUp(dir: string): Promise<{ flags: string[]; close: () => Promise<void> }>;
}

const MODES: readonly Mode[] = [
  {
    name: 'direct',
    async setUp(dir) {
      const store = await createStore({ url: `sqlite:${join(dir, 'refit.db')}` });
      const lib = createRefit({ store }).refit;
      await lib.createModel(SPEC);
      await seed(store);
      await lib.close();
      return { flags: ['--data-dir', dir], close: async () => {} };
    },
  },
  {
    name: 'http',
    async setUp(dir) {
      const server = await startServer(loadSettings({}, { port: 0, dataDir: dir, logLevel: 'silent' }), { cwd: dir });
      await server.refit.createModel(SPEC);
      await seed(server.parts.store);
      return { flags: ['--server', server.url], close: () => server.close() };
    },
  },
];

describe.each(MODES)('refit storage ($name)', (mode) => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let env: { flags: string[]; close: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
    env = await mode.setUp(tmp.dir);
  });
  afterEach(async () => {
    await env.close();
    await tmp.remove();
  });

  const run = (...args: string[]): Promise<CliRun> => refit([...args, ...env.flags], { cwd: tmp.dir });

  it('prints the database size, the rows of scores and labels, what retention keeps of each model, and why', async () => {
    const r = await run('storage');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^Database: +sqlite, \d+\.\d (KiB|MiB), [\d.]+ (B|KiB|MiB) of it free for reuse/m);
    expect(r.out).toMatch(/^Retention: +scores 30 days, labels kept forever; a prune every 10 min, 2,000 rows per statement$/m);
    expect(r.out).toMatch(/^Last prune: +none yet$/m);
    // A server prunes on a timer (the first a minute after start-up); the CLI on the data directory on none.
    expect(r.out).toMatch(mode.name === 'http' ? /^Next prune: +\d{4}-\d\d-\d\d \d\d:\d\dZ$/m : /^Next prune: +—$/m);
    expect(r.out).toMatch(/^scores +40 +\d+\.\d KiB/m);
    expect(r.out).toMatch(/^churn +40 +\d{4}-\d\d-\d\d \d\d:\d\dZ +\d{4}-\d\d-\d\d \d\d:\d\dZ +0 +— +kept$/m);
    const why = await run('storage', '--why');
    expect(why.out).toMatch(/^ {4}- retention: scores older than 30 days/m);
    expect(why.out).toMatch(/^ {4}- labels retention is off: every label is kept$/m);
    const json = JSON.parse((await run('storage', '--json')).out);
    expect(json).toMatchObject({ dialect: 'sqlite', tables: [{ name: 'scores', rows: 40 }, { name: 'labels', rows: 0 }], models: [{ modelId: 'churn' }] });
  });

  it('prunes now, or counts what would go with --dry-run, and shows it as the last prune', async () => {
    const dry = await run('storage', 'prune', '--dry-run');
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(dry.out).toMatch(/^Would prune 10 scores and 0 labels in \S+ \(dry run: nothing was deleted\)\.$/m);
    expect(dry.out).toMatch(/^churn +10 +\d{4}-\d\d-\d\d/m);
    const r = await run('storage', 'prune', '--table', 'scores');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/^Pruned 10 scores and 0 labels in \S+ \(1 statement\)\.$/m);
    expect(r.out).toMatch(/^Database: .* \(before: .*\)\.$/m);
    const after = await run('storage');
    expect(after.out).toMatch(/^scores +30 /m);
    expect(after.out).toMatch(new RegExp(`^Last prune: +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ \\(asked by ${mode.name === 'direct' ? 'cli-direct' : 'anonymous'}\\): 10 scores and 0 labels deleted in `, 'm'));
  });

  it('refuses an unknown table', async () => {
    const r = await run('storage', 'prune', '--table', 'jobs');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/must be 'scores' or 'labels'/);
  });
});
