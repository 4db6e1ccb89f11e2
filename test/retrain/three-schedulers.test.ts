import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';

const pgUrl = process.env.REFIT_TEST_DATABASE_URL;
const pgSchemas: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (!pgUrl || pgSchemas.length === 0) return;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  for (const s of pgSchemas) await c.query(`drop schema if exists "${s}" cascade`);
  await c.end();
});

/** Three stores on one database, as three processes would open it: each with its own connections. */
const SHARED: { name: string; open: () => Promise<Store[]> }[] = [
  {
    name: 'sqlite (one file)',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'refit-sched3-'));
      dirs.push(dir);
      const url = `sqlite:${join(dir, 'refit.db')}`;
      const first = await createStore({ url });
      return [first, await createStore({ url }), await createStore({ url })];
    },
  },
  ...(pgUrl
    ? [
        {
          name: 'postgres (one schema)',
          open: async () => {
            const schema = `refit_test_${randomBytes(6).toString('hex')}`;
            pgSchemas.push(schema);
            const first = await createStore({ url: pgUrl, schema });
            return [first, await createStore({ url: pgUrl, schema }), await createStore({ url: pgUrl, schema })];
          },
        },
      ]
    : []),
];

describe.each(SHARED)('three processes running the scheduler on $name', ({ open }) => {
  it('start each scheduled retrain and each check occurrence exactly once', async () => {
    const stores = await open();
    // One clock: the three "processes" tick at the same instant, the worst case for a race.
    const clock = new ManualClock('2026-03-02T08:15:00Z');
    const instances: { refit: Refit; parts: RefitParts }[] = stores.map((store) => createRefit({ store, clock, executor: inlineExecutor, defaultTimezone: 'UTC' }));
    try {
      const spec = { id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }], trainer: 'logistic', retrain: { schedule: '0 * * * *', minNewLabels: 1000, triggers: { checkSchedule: '30 * * * *' } } };
      await instances[0].refit.createModel(spec);
      for (const i of instances) await i.parts.scheduler.tick();
      const started: string[] = [];
      for (let half = 0; half < 8; half++) {
        clock.advance(half === 0 ? 15 * 60_000 : 30 * 60_000);
        if (half % 2 === 0) {
          // hh:30: the trigger checks are due; one process runs them.
          await Promise.all(instances.map((i) => i.parts.scheduler.tick()));
          continue;
        }
        const decisions = (await Promise.all(instances.map((i) => i.parts.scheduler.tick()))).flat().filter((d) => d.modelId === 'churn' && d.scheduleId === 'churn/default');
        const runs = decisions.filter((d) => d.outcome === 'started');
        // Exactly one process starts the occurrence; the others find it claimed (or already recorded).
        expect(runs).toHaveLength(1);
        expect(decisions.filter((d) => d.outcome !== 'claimed-elsewhere' && d.outcome !== 'started')).toEqual([]);
        started.push(runs[0].jobId!);
        for (const i of instances) await i.refit.whenIdle();
      }
      const jobs = await stores[0].listJobs('churn', { limit: 100, offset: 0 });
      expect(jobs.items.map((j) => j.id).sort()).toEqual([...started].sort());
      expect(jobs.items.every((j) => j.trigger === 'schedule')).toBe(true);
      // Four check occurrences (08:30 … 11:30), each run once.
      const checks = await instances[1].refit.listChecks('churn', 100);
      const runs = checks.map((c) => `${c.checkedAt.toISOString()} ${c.kind}`);
      // Each run records one row per kind (performance, drift, rate); a second run would repeat them.
      expect(new Set(runs).size).toBe(runs.length);
      expect(new Set(checks.map((c) => c.checkedAt.toISOString()))).toEqual(new Set(['2026-03-02T08:30:00.000Z', '2026-03-02T09:30:00.000Z', '2026-03-02T10:30:00.000Z', '2026-03-02T11:30:00.000Z']));
    } finally {
      for (const i of instances) await i.refit.close();
    }
  });
});
