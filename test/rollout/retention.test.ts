import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import type { Harness } from './harness.js';
import { capturingLogger, openHarness, spec, trainingRows } from './harness.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('artifact retention on $name', (dialect) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  /** Retrain with a new p (so every version has its own artifact) and new labels (its own reference sample). */
  async function version(p: number, seed: number): Promise<string> {
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: { p } } });
    await h.post('/api/v1/models/m/labels', { items: trainingRows(20, seed) });
    const job = await h.retrain();
    expect(job.status).toBe('completed');
    return job.result.newVersion as string;
  }

  const versions = async () => (await h.get('/api/v1/models/m/versions')).json().items as { version: string; status: string; artifactSha256: string; referenceSha256: string; artifactBytes: number; artifactDeletedAt: string | null }[];

  it('keeps the newest N, the active version, a canary and the rollback target, and reports the bytes it frees', async () => {
    h = await openHarness(await dialect.open());
    await h.post('/api/v1/models', spec({ policy: 'direct', keepVersions: 10 }));
    const v1 = await version(0.9, 1);
    const v2 = await version(0.91, 2);
    const v3 = await version(0.92, 3);
    const v4 = await version(0.93, 4);
    // v4 is active, v3 the rollback target. Canary for the next one.
    await h.put('/api/v1/models/m/retrain/config', { rollout: { policy: 'canary', keepVersions: 1 } });
    const v5 = await version(0.94, 5);
    expect((await h.get('/api/v1/models/m/rollout')).json().challenger.rollout.version).toBe(v5);

    // The retrain already ran retention: only v1 and v2 could go.
    const afterRetrain = await versions();
    const deleted = afterRetrain.filter((v) => v.artifactDeletedAt !== null).map((v) => v.version);
    expect(deleted.sort()).toEqual([v1, v2].sort());
    const [cleanup] = (await h.get('/api/v1/models/m/timeline')).json().items.filter((e: { action: string }) => e.action === 'retention.cleanup');
    expect(cleanup.actor).toBe('retrain:manual');
    const store = h.parts.store;
    const gone = afterRetrain.filter((v) => deleted.includes(v.version));
    for (const v of gone) {
      expect(await store.getArtifact(v.artifactSha256)).toBeNull();
    }
    // Freed: each deleted version's model artifact and its reference sample.
    expect(cleanup.numbers.freedBytes).toBeGreaterThan(gone.reduce((a, v) => a + v.artifactBytes, 0));
    expect(cleanup.numbers.deleted.map((d: { version: string }) => d.version).sort()).toEqual([v1, v2].sort());

    // A cleanup now has nothing left to free, and says why each version stays.
    const res = await h.post('/api/v1/models/m/retention/cleanup');
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ modelId: 'm', keepVersions: 1, deleted: [], freedBytes: 0 });
    const why = Object.fromEntries(report.kept.map((k: { version: string; reasons: string[] }) => [k.version, k.reasons]));
    expect(why[v5]).toEqual(expect.arrayContaining(['canary', 'recent']));
    expect(why[v4]).toEqual(['active']);
    expect(why[v3]).toEqual(['rollback target']);
    for (const v of [v3, v4, v5]) expect(await store.getArtifact((await versions()).find((x) => x.version === v)!.artifactSha256)).not.toBeNull();

    // Kept versions still serve; a deleted one cannot come back.
    const refused = await h.post('/api/v1/models/m/rollback', { version: v1 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'VERSION_NOT_RETAINED' });
    expect((await h.post('/api/v1/models/m/promote', { version: v2, reason: 'try' })).json()).toMatchObject({ code: 'VERSION_NOT_RETAINED' });
    expect((await h.post('/api/v1/models/m/rollback', { version: v3 })).statusCode).toBe(200);
  });

  it('a failing cleanup after a retrain is logged and does not fail the retrain that already committed', async () => {
    const { logger, lines } = capturingLogger();
    h = await openHarness(await dialect.open(), { logger });
    await h.post('/api/v1/models', spec({ policy: 'direct', keepVersions: 1 }));
    await h.post('/api/v1/models/m/labels', { items: trainingRows(20, 1) });
    // The first transaction after the promotion is the cleanup's: make it fail.
    const store = h.parts.store;
    const transaction = store.transaction.bind(store);
    let failNext = false;
    h.parts.hub.on('model:activated', () => (failNext = true));
    store.transaction = (async (fn: never) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      return transaction(fn);
    }) as typeof store.transaction;
    const job = await h.retrain();
    expect(job.status).toBe('completed');
    expect((await h.get('/api/v1/models/m')).json().activeVersion).toBe(job.result.newVersion);
    expect(lines.filter((l) => l.msg === 'retention cleanup failed')).toEqual([expect.objectContaining({ modelId: 'm', err: expect.objectContaining({ message: 'disk full' }) })]);
    expect((await h.get('/api/v1/models/m/timeline')).json().items.filter((e: { action: string }) => e.action === 'retention.cleanup')).toEqual([]);
  });

  it('frees nothing that a kept version shares (content-addressed artifacts)', async () => {
    h = await openHarness(await dialect.open());
    await h.post('/api/v1/models', spec({ keepVersions: 1 }));
    await h.post('/api/v1/models/m/labels', { items: trainingRows(20, 1) });
    // Same p, same labels: every version has the same bytes.
    const a = (await h.retrain()).result.newVersion as string;
    const b = (await h.retrain()).result.newVersion as string;
    const c = (await h.retrain()).result.newVersion as string;
    const all = await versions();
    expect(all.find((v) => v.version === a)!.artifactDeletedAt).not.toBeNull();
    expect(all.find((v) => v.version === b)!.artifactDeletedAt).toBeNull();
    expect(await h.parts.store.getArtifact(all.find((v) => v.version === c)!.artifactSha256)).not.toBeNull();
    const [cleanup] = (await h.get('/api/v1/models/m/timeline')).json().items.filter((e: { action: string }) => e.action === 'retention.cleanup');
    expect(cleanup.numbers).toMatchObject({ freedBytes: 0, deleted: [{ version: a, freedBytes: 0 }] });
  });
});
