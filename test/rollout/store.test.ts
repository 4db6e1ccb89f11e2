import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import type { ModelVersion } from '../../src/domain/entities.js';
import type { Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

function versionRow(version: string, sha: string, extra: Partial<ModelVersion> = {}): ModelVersion {
  return {
    modelId: 'm',
    version,
    status: 'candidate',
    trainer: { type: 'logistic', params: {} },
    features: [{ name: 'x', type: 'number' }],
    artifactSha256: sha,
    referenceSha256: null,
    artifactBytes: 3,
    metrics: { auc: 0.8 },
    championMetrics: null,
    parentVersion: null,
    labelCount: 10,
    trainingSamples: 7,
    datasetHash: `h-${version}`,
    decision: 'promoted',
    jobId: null,
    createdAt: T0,
    ...extra,
  };
}

afterAll(dropTestSchemas);

describe.each(DIALECTS)('the rollout store on $name', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
    await store.createModel(parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic' }), T0);
    await store.insertVersion(versionRow('1', 'a'.repeat(64)));
    await store.insertVersion(versionRow('2', 'b'.repeat(64)));
  });
  afterEach(async () => {
    await store.close();
  });

  it('runs one challenger and one watch per model at a time; a rollout is decided once', async () => {
    const canary = await store.createRollout({ modelId: 'm', kind: 'challenger', mode: 'canary', version: '2', baseVersion: '1', share: 0.1, startedAt: T0, endsAt: minutes(60) });
    await expect(store.createRollout({ modelId: 'm', kind: 'challenger', mode: 'shadow', version: '2', baseVersion: '1', share: null, startedAt: T0, endsAt: minutes(60) })).rejects.toThrow();
    const watch = await store.createRollout({ modelId: 'm', kind: 'watch', mode: null, version: '1', baseVersion: null, share: null, startedAt: T0, endsAt: minutes(60) });
    expect(await store.runningRollouts('m')).toEqual({ challenger: canary, watch });
    expect((await store.listRunningRollouts()).map((r) => r.id)).toEqual([canary.id, watch.id]);
    expect(await store.finishRollout(canary.id, { status: 'aborted', reason: 'bad', numbers: { z: -3 }, at: minutes(5) })).toBe(true);
    expect(await store.finishRollout(canary.id, { status: 'promoted', reason: 'late', numbers: null, at: minutes(6) })).toBe(false);
    const [latest] = await store.listRollouts('m', 1);
    expect(latest).toMatchObject({ id: watch.id });
    expect((await store.listRollouts('m', 5)).find((r) => r.id === canary.id)).toMatchObject({ status: 'aborted', reason: 'bad', numbers: { z: -3 }, finishedAt: minutes(5) });
    expect((await store.runningRollouts('m')).challenger).toBeNull();
  });

  it('keeps at most one active version per model, and every activation on the timeline', async () => {
    await store.activate({ modelId: 'm', toVersion: '1', action: 'promote', reason: 'first', actor: 'test', at: minutes(1) });
    await store.activate({ modelId: 'm', toVersion: '2', action: 'force-promote', reason: 'forced: because', actor: 'alice', at: minutes(2), numbers: { why: 1 } });
    expect((await store.listVersions('m')).map((v) => [v.version, v.status])).toEqual([
      ['2', 'active'],
      ['1', 'retired'],
    ]);
    await expect(store.setVersionStatus('m', '1', 'active')).rejects.toThrow();
    const page = await store.listTimeline('m', { limit: 10, offset: 0 });
    expect(page.total).toBe(2);
    expect(page.items.map((e) => [e.action, e.version, e.fromVersion, e.actor, e.reason])).toEqual([
      ['force-promote', '2', '1', 'alice', 'forced: because'],
      ['promote', '1', null, 'test', 'first'],
    ]);
    expect(page.items[0].numbers).toEqual({ why: 1 });
    expect((await store.listTimeline('m', { limit: 1, offset: 1 })).items[0].action).toBe('promote');
  });

  it('keeps an intent until the transaction that carries out the change commits', async () => {
    const id = await store.beginIntent({ modelId: 'm', action: 'promote', version: '2', fromVersion: '1', actor: 'x', reason: 'r', startedAt: T0, owner: 'host/1/abc' });
    await expect(
      store.transaction(async (tx) => {
        await tx.clearIntent(id);
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect((await store.listIntents()).map((i) => [i.id, i.version, i.startedAt, i.owner])).toEqual([[id, '2', T0, 'host/1/abc']]);
    await store.transaction((tx) => tx.clearIntent(id));
    expect(await store.listIntents()).toEqual([]);
  });

  it('reads the outcomes and serving numbers of a rollout per arm, shadow scores joined through the served one', async () => {
    const row = { modelId: 'm', features: { x: 1 }, createdAt: minutes(1) };
    await store.insertScores([
      { ...row, id: 's1', version: '1', score: 0.9, arm: 'champion', latencyMs: 2 },
      { ...row, id: 's2', version: '2', score: 0.2, arm: 'challenger', latencyMs: 5 },
      { ...row, id: 'sh1', version: '2', score: 0.3, arm: 'challenger', latencyMs: 7, served: false, shadowOf: 's1' },
      { ...row, id: 'e1', version: '2', score: 0, arm: 'challenger', latencyMs: 1, served: false, error: 'boom' },
      { ...row, id: 'old', version: '1', score: 0.9, createdAt: T0 },
    ]);
    await store.insertLabels(
      'm',
      ['s1', 's2', 'old'].map((scoreId) => ({ features: { x: 1 }, label: 1, scoreId, occurredAt: minutes(2) })),
      minutes(2),
    );
    const { outcomes, complete } = await store.rolloutOutcomes('m', minutes(1), { afterLabelId: 0, limit: 10, shadow: true });
    expect(complete).toBe(true);
    expect(outcomes.map((o) => [o.version, o.arm, o.shadow, o.score]).sort()).toEqual([
      ['1', 'champion', false, 0.9],
      ['2', 'challenger', false, 0.2],
      ['2', 'challenger', true, 0.3],
    ]);
    const serving = await store.servingStats('m', minutes(1), 10);
    expect(serving.complete).toBe(true);
    const stats = Object.fromEntries(serving.stats.map((s) => [s.version, s]));
    expect(stats['1']).toMatchObject({ attempts: 1, errors: 0, latenciesMs: [2] });
    expect(stats['2']).toMatchObject({ attempts: 3, errors: 1 });
    expect([...stats['2'].latenciesMs].sort((a, b) => a - b)).toEqual([1, 5, 7]);
    // What callers received, for drift: no shadow or failed rows.
    expect((await store.recentScores('m', 10)).map((s) => s.id).sort()).toEqual(['old', 's1', 's2']);
  });

  it('reads a rollout\'s outcomes from the labels received since it started, the most recent first, and its newest attempts only', async () => {
    const row = { modelId: 'm', features: { x: 1 }, version: '2', arm: 'champion' as const };
    await store.insertScores([{ ...row, id: 'before', score: 0.9, createdAt: T0 }]);
    await store.insertLabels('m', [{ features: { x: 1 }, label: 1, scoreId: 'before', occurredAt: T0 }], T0);
    const watch = await store.createRollout({ modelId: 'm', kind: 'watch', mode: null, version: '2', baseVersion: '1', share: null, startedAt: minutes(1), endsAt: minutes(60) });
    // The watermark: the newest label id when it started (labels at or below it are of older scores).
    const [first] = await store.insertLabels('m', [{ features: { x: 1 }, label: 0, scoreId: 'before', occurredAt: T0 }], minutes(1));
    expect(watch.labelsAfterId).toBe(first - 1);
    expect((await store.runningRollouts('m')).watch?.labelsAfterId).toBe(first - 1);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    await store.insertScores(ids.map((id, i) => ({ ...row, id, score: i / 10, createdAt: minutes(2 + i), latencyMs: i })));
    for (const [i, id] of ids.entries()) await store.insertLabels('m', [{ features: { x: 1 }, label: 1, scoreId: id, occurredAt: minutes(3 + i) }], minutes(3 + i));
    const all = await store.rolloutOutcomes('m', watch.startedAt, { afterLabelId: watch.labelsAfterId, limit: 10, shadow: false });
    expect(all.complete).toBe(true);
    expect(all.outcomes.map((o) => o.score).sort()).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    // Bounded: the outcomes of the most recently received labels.
    const newest = await store.rolloutOutcomes('m', watch.startedAt, { afterLabelId: watch.labelsAfterId, limit: 2, shadow: false });
    expect(newest.complete).toBe(false);
    expect(newest.outcomes.map((o) => o.score).sort()).toEqual([0.3, 0.4]);
    const serving = await store.servingStats('m', watch.startedAt, 3);
    expect(serving.complete).toBe(false);
    expect(serving.stats).toEqual([{ version: '2', attempts: 3, errors: 0, latenciesMs: [4, 3, 2] }]);
    expect((await store.servingStats('m', watch.startedAt, 5)).complete).toBe(true);
  });

  it('deletes artifact bytes and counts the versions still using them', async () => {
    const sha = await store.artifacts.put(new Uint8Array([1, 2, 3, 4]));
    await store.insertVersion(versionRow('3', sha, { referenceSha256: sha }));
    expect(await store.countArtifactUses(sha)).toBe(1);
    await store.markArtifactDeleted('m', '3', minutes(1));
    expect((await store.getVersion('m', '3'))?.artifactDeletedAt).toEqual(minutes(1));
    expect(await store.countArtifactUses(sha)).toBe(0);
    expect(await store.artifacts.delete(sha)).toBe(4);
    expect(await store.artifacts.delete(sha)).toBe(0);
    expect(await store.getArtifact(sha)).toBeNull();
  });
});
