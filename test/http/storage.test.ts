import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problemSchema, pruneResultSchema, storageReportSchema } from '../../src/contract/index.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('storage routes on $name', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await openTestApp(dialect);
    const spec = { id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'logistic' }, retrain: { window: { days: 30 }, triggers: { drift: { windowScores: 10 } } } };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/models', payload: spec })).statusCode).toBe(201);
    // 40 days of scores through the API, one a day, on the test's clock.
    for (let i = 0; i < 40; i++) {
      expect((await t.app.inject({ method: 'POST', url: '/api/v1/models/m/score', payload: { items: [{ features: { x: i } }] } })).statusCode).toBe(200);
      t.clock.advance(DAY);
    }
  });
  afterEach(async () => {
    await t.close();
  });
  afterAll(async () => {
    await dropTestSchemas();
  });

  it('GET /api/v1/storage reports the database size, rows and bytes of scores and labels, and what retention keeps of each model', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/storage' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(storageReportSchema.parse(body)).toEqual(body);
    expect(body.dialect).toBe(dialect.name);
    expect(body.database.databaseBytes).toBeGreaterThan(0);
    expect(body.tables).toEqual([
      { name: 'scores', rows: 40, bytes: expect.any(Number), deadRows: dialect.name === 'sqlite' ? null : expect.any(Number) },
      { name: 'labels', rows: 0, bytes: expect.any(Number), deadRows: dialect.name === 'sqlite' ? null : expect.any(Number) },
    ]);
    expect(body.retention).toEqual({ scoresDays: 30, labelsDays: null, intervalMinutes: 10, batchRows: 2000, nextPruneAt: null });
    expect(body.models).toEqual([
      {
        modelId: 'm',
        scores: { rows: 40, oldestAt: '2026-11-23T06:00:00.000Z', pruneBefore: new Date(t.clock.now().getTime() - 30 * DAY).toISOString(), keptBecause: expect.arrayContaining([expect.stringMatching(/^retention: scores older than 30 days/)]) },
        labels: { rows: 0, oldestAt: null, pruneBefore: null, keptBecause: ['labels retention is off: every label is kept'] },
      },
    ]);
    expect(body.lastPrune).toBeNull();
  });

  it('POST /api/v1/storage/prune deletes what is past its age, reports it, and GET shows it as the last prune', async () => {
    const dry = await t.app.inject({ method: 'POST', url: '/api/v1/storage/prune', payload: { dryRun: true } });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, scoresDeleted: 10, labelsDeleted: 0 });
    // Without a body: both tables.
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/storage/prune' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(pruneResultSchema.parse(body)).toEqual(body);
    expect(body).toMatchObject({ trigger: 'manual', requestedBy: 'anonymous', dryRun: false, scoresDeleted: 10, labelsDeleted: 0, batches: 1, models: [{ modelId: 'm', scoresDeleted: 10, labelsDeleted: 0, labelsBefore: null }] });
    expect(body.after.databaseBytes).toBeGreaterThan(0);
    await t.refit.whenIdle();
    const report = (await t.app.inject({ method: 'GET', url: '/api/v1/storage' })).json();
    expect(report.tables[0]).toMatchObject({ name: 'scores', rows: 30 });
    expect(report.lastPrune).toEqual(body);
    // Audited: who asked (each request, the dry run too) and what went (the prune itself, actor `retention`).
    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/audit?action=storage.prune' })).json().items;
    expect(audit.map((a: { actor: string }) => a.actor).sort()).toEqual(['anonymous', 'anonymous', 'retention']);
    expect(audit.find((a: { actor: string }) => a.actor === 'retention').detail).toMatchObject({ scoresDeleted: 10, requestedBy: 'anonymous' });
  });

  it('refuses bad input with a problem document naming every problem', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/storage/prune', payload: { dryRun: 'yes', tables: ['scores', 'jobs'], olderThan: '7d' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const doc = problemSchema.parse(res.json());
    expect(doc).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(doc.errors).toEqual(
      expect.arrayContaining([
        { path: '/dryRun', message: 'must be true or false' },
        { path: '/tables/1', message: "must be 'scores' or 'labels'" },
        { path: '/olderThan', message: "unknown field 'olderThan'" },
      ]),
    );
    expect(doc.errors).toHaveLength(3);
    const notObject = await t.app.inject({ method: 'POST', url: '/api/v1/storage/prune', payload: [1, 2] });
    expect(notObject.statusCode).toBe(400);
    expect(notObject.headers['content-type']).toMatch(/^application\/problem\+json/);
    // Nothing was deleted.
    expect((await t.refit.storage()).stats.tables[0].rows).toBe(40);
  });

  it('answers 409 PRUNE_IN_PROGRESS while a prune runs', async () => {
    // Hold the prune at its first look at the database until the second request has been answered.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const store = t.parts.store;
    const measure = store.spaceSnapshot;
    store.spaceSnapshot = async () => {
      await gate;
      return measure();
    };
    const running = t.refit.prune({});
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/storage/prune', payload: {} });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'PRUNE_IN_PROGRESS', status: 409 });
    release();
    expect(await running).toMatchObject({ scoresDeleted: 10 });
  });
});
