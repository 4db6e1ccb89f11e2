import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import type { ModelSpec, ModelVersion, Score } from '../../src/domain/entities.js';
import { RefitError } from '../../src/errors.js';
import { createStore } from '../../src/store/create-store.js';
import type { NewLabel, Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas, latestTestSchema } from '../helpers/dialects.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const days = (n: number) => new Date(T0.getTime() + n * 86_400_000);

function spec(id: string, extra: Record<string, unknown> = {}): ModelSpec {
  return parseModelSpec({
    id,
    task: 'binary',
    features: [
      { name: 'age', type: 'number' },
      { name: 'plan', type: 'category' },
    ],
    trainer: { type: 'logistic' },
    ...extra,
  });
}

function versionRow(modelId: string, version: string, at: Date, extra: Partial<ModelVersion> = {}): ModelVersion {
  return {
    modelId,
    version,
    status: 'candidate',
    trainer: { type: 'logistic', params: { l2: 1 } },
    features: [{ name: 'age', type: 'number' }],
    artifactSha256: 'a'.repeat(64),
    referenceSha256: null,
    artifactBytes: 123,
    metrics: { auc: 0.81, accuracy: 0.75 },
    championMetrics: null,
    parentVersion: null,
    labelCount: 100,
    trainingSamples: 70,
    datasetHash: `hash-${version}`,
    decision: 'promoted',
    jobId: null,
    createdAt: at,
    ...extra,
  };
}

function label(age: number, value: number | string, occurredAt: Date, scoreId: string | null = null): NewLabel {
  return { features: { age, plan: 'pro' }, label: value, scoreId, occurredAt };
}

/** The created value of a store answer that must be `ok` (a conflict fails the test). */
function created<T extends { ok: boolean }>(answer: T): Extract<T, { ok: true }> {
  expect(answer.ok).toBe(true);
  return answer as Extract<T, { ok: true }>;
}

/** Expect a promise to reject with a RefitError of `code`; returns the error. */
async function refitError(p: Promise<unknown>, code: RefitError['code']): Promise<RefitError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RefitError);
  expect((err as RefitError).code).toBe(code);
  return err as RefitError;
}

afterAll(dropTestSchemas);

describe.each(DIALECTS)('the store on $name', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('reports its dialect', () => {
    expect(store.dialect).toBe(dialect.name);
  });

  describe('models', () => {
    it('creates, reads, lists and updates models', async () => {
      const answer = await store.createModel(spec('churn'), T0);
      expect(answer).toEqual({ ok: true, model: { spec: spec('churn'), activeVersion: null, createdAt: T0, updatedAt: T0 } });
      await store.createModel(spec('alpha'), minutes(1));

      expect(await store.getModel('churn')).toEqual(created(answer).model);
      expect(await store.getModel('nope')).toBeNull();
      expect((await store.listModels()).map((m) => m.spec.id)).toEqual(['alpha', 'churn']);

      const changed = spec('churn', { description: 'changed', retrain: { minNewLabels: 50 } });
      await store.updateModelSpec('churn', changed, minutes(5));
      const after = await store.getModel('churn');
      expect(after?.spec).toEqual(changed);
      expect(after?.spec.retrain.minNewLabels).toBe(50);
      expect(after?.createdAt).toEqual(T0);
      expect(after?.updatedAt).toEqual(minutes(5));
    });

    it('answers a taken id with a conflict (not an error) and keeps the first model', async () => {
      await store.createModel(spec('churn'), T0);
      expect(await store.createModel(spec('churn', { description: 'second' }), minutes(1))).toEqual({ ok: false, reason: 'exists' });
      expect((await store.getModel('churn'))?.spec.description).toBe('');
      expect(await store.listModels()).toHaveLength(1);
    });

    it('keeps the trained-through watermark per model, 0 by default', async () => {
      await store.createModel(spec('churn'), T0);
      await store.createModel(spec('other'), T0);
      expect(await store.getTrainedThrough('churn')).toBe(0);
      await store.setTrainedThrough('churn', 42);
      expect(await store.getTrainedThrough('churn')).toBe(42);
      expect(await store.getTrainedThrough('other')).toBe(0);
      expect(await store.getTrainedThrough('missing')).toBe(0);
    });
  });

  describe('versions and activation', () => {
    beforeEach(async () => {
      await store.createModel(spec('churn'), T0);
      await store.createModel(spec('other'), T0);
    });

    it('lists versions newest first and knows the latest, whatever its status', async () => {
      expect(await store.latestVersion('churn')).toBeNull();
      expect(await store.listVersions('churn')).toEqual([]);
      const v1 = versionRow('churn', '1.0.0', minutes(1));
      const v2 = versionRow('churn', '1.1.0', minutes(2), { parentVersion: '1.0.0', championMetrics: { auc: 0.8 }, jobId: 'job-2' });
      const v3 = versionRow('churn', '1.2.0', minutes(3), { status: 'rejected', decision: 'rejected: auc worse' });
      for (const v of [v1, v2, v3]) await store.insertVersion(v);
      await store.insertVersion(versionRow('other', '9.0.0', minutes(9)));

      expect(await store.listVersions('churn')).toEqual([v3, v2, v1]);
      expect(await store.latestVersion('churn')).toEqual(v3);
      expect(await store.getVersion('churn', '1.1.0')).toEqual(v2);
      expect(await store.getVersion('churn', '9.0.0')).toBeNull();

      await store.setVersionStatus('churn', '1.0.0', 'rejected');
      expect((await store.getVersion('churn', '1.0.0'))?.status).toBe('rejected');
      expect((await store.getVersion('churn', '1.1.0'))?.status).toBe('candidate');
    });

    it('activate moves the pointer, retires the previous version and records the history', async () => {
      await store.insertVersion(versionRow('churn', '1.0.0', minutes(1)));
      await store.insertVersion(versionRow('churn', '1.1.0', minutes(2)));

      const first = await store.activate({ modelId: 'churn', toVersion: '1.0.0', action: 'promote', reason: 'first version', actor: 'pipeline', at: minutes(3) });
      expect(first).toMatchObject({ modelId: 'churn', fromVersion: null, toVersion: '1.0.0', action: 'promote', reason: 'first version', actor: 'pipeline', createdAt: minutes(3) });
      expect((await store.getModel('churn'))?.activeVersion).toBe('1.0.0');
      expect((await store.getVersion('churn', '1.0.0'))?.status).toBe('active');

      const second = await store.activate({ modelId: 'churn', toVersion: '1.1.0', action: 'promote', reason: 'better auc', actor: 'pipeline', at: minutes(4) });
      expect(second).toMatchObject({ fromVersion: '1.0.0', toVersion: '1.1.0' });
      expect(second.id).toBeGreaterThan(first.id);
      const model = await store.getModel('churn');
      expect(model?.activeVersion).toBe('1.1.0');
      expect(model?.updatedAt).toEqual(minutes(4));
      expect((await store.listVersions('churn')).map((v) => [v.version, v.status])).toEqual([
        ['1.1.0', 'active'],
        ['1.0.0', 'retired'],
      ]);
      expect(await store.listActivations('churn')).toEqual([second, first]);
      expect(await store.listActivations('other')).toEqual([]);
    });

    it('a transaction that fails after activate changes nothing', async () => {
      await store.insertVersion(versionRow('churn', '1.0.0', minutes(1)));
      await store.insertVersion(versionRow('churn', '1.1.0', minutes(2)));
      await store.activate({ modelId: 'churn', toVersion: '1.0.0', action: 'promote', reason: 'first', actor: 'pipeline', at: minutes(3) });
      const eventsBefore = await store.listEvents(0, 100);

      await expect(
        store.transaction(async (tx) => {
          await tx.activate({ modelId: 'churn', toVersion: '1.1.0', action: 'promote', reason: 'second', actor: 'pipeline', at: minutes(4) });
          await tx.appendEvent({ eventType: 'model.promoted', runId: null, modelId: 'churn', occurredAt: minutes(4), payload: { modelId: 'churn' } });
          // Inside the transaction the change is visible...
          expect((await tx.getModel('churn'))?.activeVersion).toBe('1.1.0');
          throw new Error('the event could not be written');
        }),
      ).rejects.toThrow('the event could not be written');

      // ...and after the failure none of it is.
      expect((await store.getModel('churn'))?.activeVersion).toBe('1.0.0');
      expect((await store.listVersions('churn')).map((v) => [v.version, v.status])).toEqual([
        ['1.1.0', 'candidate'],
        ['1.0.0', 'active'],
      ]);
      expect(await store.listActivations('churn')).toHaveLength(1);
      expect(await store.listEvents(0, 100)).toEqual(eventsBefore);
    });

    it('a transaction that succeeds commits everything it wrote', async () => {
      await store.insertVersion(versionRow('churn', '1.0.0', minutes(1)));
      const result = await store.transaction(async (tx) => {
        const a = await tx.activate({ modelId: 'churn', toVersion: '1.0.0', action: 'promote', reason: 'first', actor: 'pipeline', at: minutes(2) });
        await tx.appendEvent({ eventType: 'model.promoted', runId: null, modelId: 'churn', occurredAt: minutes(2), payload: { newVersion: '1.0.0' } });
        return a.toVersion;
      });
      expect(result).toBe('1.0.0');
      expect((await store.getModel('churn'))?.activeVersion).toBe('1.0.0');
      expect((await store.listEvents(0, 10)).map((e) => e.eventType)).toEqual(['model.promoted']);
    });

    it('refuses to activate a version of an unknown model', async () => {
      await refitError(store.activate({ modelId: 'ghost', toVersion: '1.0.0', action: 'promote', reason: 'x', actor: 'x', at: T0 }), 'MODEL_NOT_FOUND');
    });
  });

  describe('labels', () => {
    beforeEach(async () => {
      await store.createModel(spec('churn'), T0);
      await store.createModel(spec('other'), T0);
    });

    it('returns increasing ids, counts per model and after an id', async () => {
      expect(await store.insertLabels('churn', [], T0)).toEqual([]);
      expect(await store.maxLabelId('churn')).toBe(0);
      const a = await store.insertLabels('churn', [label(20, 0, T0), label(30, 1, T0), label(40, 1, T0)], T0);
      await store.insertLabels('other', [label(50, 1, T0)], T0);
      const b = await store.insertLabels('churn', [label(60, 0, T0), label(70, 1, T0)], T0);
      const ids = [...a, ...b];
      expect(ids).toHaveLength(5);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);

      expect(await store.countLabels('churn')).toBe(5);
      expect(await store.countLabels('other')).toBe(1);
      expect(await store.countLabelsAfter('churn', a[2])).toBe(2);
      expect(await store.countLabelsAfter('churn', b[1])).toBe(0);
      expect(await store.maxLabelId('churn')).toBe(b[1]);
    });

    it('inserts a batch larger than one insert chunk in order', async () => {
      const many = Array.from({ length: 1203 }, (_, i) => label(i, i % 2, T0));
      const ids = await store.insertLabels('churn', many, T0);
      expect(ids).toHaveLength(1203);
      expect(new Set(ids).size).toBe(1203);
      const rows = await store.loadLabels('churn', { kind: 'all' }, T0);
      expect(rows.map((r) => r.features.age)).toEqual(many.map((l) => l.features.age));
    });

    it('stores a batch mixing plain labels with score ids, meta and other times, each row as sent and ids in order', async () => {
      // Chunks of plain labels (features, label, one time) take the short insert on SQLite; the
      // others take the full one. Every row must come back as sent either way.
      const many: NewLabel[] = Array.from({ length: 250 }, (_, i) => label(i, i % 2, T0));
      many[120] = { ...label(120, 1, T0, 's-120') };
      many[150] = { ...label(150, 0, T0), meta: { source: 'app' } };
      for (let i = 200; i < 250; i++) many[i] = label(i, i % 2, days(-60));
      const ids = await store.insertLabels('churn', many, T0);
      expect(ids.slice(1).every((id, i) => id === ids[i] + 1)).toBe(true);
      const rows = await store.loadLabels('churn', { kind: 'all' }, T0);
      expect(rows.map((r) => [r.features.age, r.label])).toEqual(many.map((l) => [l.features.age, l.label]));
      const raw = await store.loadLabelsRaw('churn', { kind: 'all' }, T0);
      expect(raw.map((r) => r.id)).toEqual(ids);
      expect(raw[120].scoreId).toBe('s-120');
      expect(JSON.parse(raw[150].meta ?? 'null')).toEqual({ source: 'app' });
      expect(raw.filter((r) => r.scoreId !== null || r.meta !== null)).toHaveLength(2);
      expect(await store.loadLabels('churn', { kind: 'days', days: 30 }, T0)).toHaveLength(200);
    });

    it('loads every label, oldest first, with features and label values as sent', async () => {
      await store.insertLabels('churn', [label(20, 0, days(-1)), label(30, 1, days(-400))], T0);
      await store.insertLabels('churn', [{ features: { age: null, plan: 'team' }, label: 1, scoreId: 's-1', occurredAt: T0 }], T0);
      await store.insertLabels('other', [label(99, 1, T0)], T0);
      const rows = await store.loadLabels('churn', { kind: 'all' }, T0);
      expect(rows.map((r) => [r.features, r.label])).toEqual([
        [{ age: 20, plan: 'pro' }, 0],
        [{ age: 30, plan: 'pro' }, 1],
        [{ age: null, plan: 'team' }, 1],
      ]);
    });

    it('a days window keeps labels that occurred within N days before the given now', async () => {
      await store.insertLabels(
        'churn',
        [label(1, 0, days(-40)), label(2, 1, days(-29)), label(3, 0, days(-1)), label(4, 1, days(-31)), label(5, 1, days(0))],
        T0,
      );
      const rows = await store.loadLabels('churn', { kind: 'days', days: 30 }, T0);
      expect(rows.map((r) => r.features.age)).toEqual([2, 3, 5]);
      // The window moves with the given now, not with the wall clock.
      const later = await store.loadLabels('churn', { kind: 'days', days: 30 }, days(20));
      expect(later.map((r) => r.features.age)).toEqual([3, 5]);
      const fractional = await store.loadLabels('churn', { kind: 'days', days: 1.5 }, T0);
      expect(fractional.map((r) => r.features.age)).toEqual([3, 5]);
    });

    it('a labels window keeps the last N received, oldest first', async () => {
      await store.insertLabels('churn', [1, 2, 3, 4, 5, 6].map((age) => label(age, age % 2, days(-age))), T0);
      await store.insertLabels('other', [label(100, 1, T0)], T0);
      expect((await store.loadLabels('churn', { kind: 'labels', count: 4 }, T0)).map((r) => r.features.age)).toEqual([3, 4, 5, 6]);
      expect((await store.loadLabels('churn', { kind: 'labels', count: 100 }, T0)).map((r) => r.features.age)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('sums up the labels up to an id and reads only those after one, for a window kept between retrains', async () => {
      expect(await store.labelSpan('churn', 100)).toEqual({ count: 0, firstId: 0, lastId: 0, idSum: 0 });
      const a = await store.insertLabels('churn', [label(1, 0, T0), label(2, 1, T0, 's-2'), label(3, 0, T0)], T0);
      await store.insertLabels('other', [label(50, 1, T0)], T0);
      const b = await store.insertLabels('churn', [label(4, 1, T0), label(5, 0, T0)], T0);
      expect(await store.labelSpan('churn', a[2])).toEqual({ count: 3, firstId: a[0], lastId: a[2], idSum: a[0] + a[1] + a[2] });
      expect(await store.labelSpan('churn', b[1])).toEqual({ count: 5, firstId: a[0], lastId: b[1], idSum: [...a, ...b].reduce((x, y) => x + y, 0) });
      const after = await store.loadLabelsRawBetween('churn', a[1], b[0]);
      expect(after.map((r) => [r.id, JSON.parse(r.features).age])).toEqual([
        [a[2], 3],
        [b[0], 4],
      ]);
      // The same rows the whole window holds, in the same form.
      const whole = await store.loadLabelsRaw('churn', { kind: 'all' }, T0);
      expect(await store.loadLabelsRawBetween('churn', 0, b[1])).toEqual(whole);
      expect(await store.loadLabelsRawBetween('churn', b[1], b[1] + 100)).toEqual([]);
    });

    it('keeps features and labels exactly as sent: quotes, backslashes, emoji, NUL, a lone surrogate, text that looks like an escape', async () => {
      // PostgreSQL sends a batch as one JSON text unless JSON cannot carry it (NUL, lone surrogates):
      // every shape must come back as sent.
      const odd = ['say "hi"', 'back\\slash', 'tab\there', 'emoji 🙂 é', 'looks like \\u0000 and \\ud800', 'nul \u0000 inside', 'lone \ud800 surrogate'];
      const at = (i: number) => (i % 2 ? T0 : days(-1));
      const batches: NewLabel[][] = odd.map((text, i) => [
        // Plain (features and label only) and full (score id, meta, another time) in one batch each.
        { features: { age: i, plan: text }, label: text, scoreId: null, occurredAt: T0 },
        { features: { age: i + 0.5, plan: text }, label: 1, scoreId: `s-${i}`, meta: { note: text }, occurredAt: at(i) },
      ]);
      const plainOnly: NewLabel[][] = odd.map((text, i) => [{ features: { age: 100 + i, plan: text }, label: text, scoreId: null, occurredAt: T0 }]);
      for (const b of [...batches, ...plainOnly]) await store.insertLabels('churn', b, T0);
      const raw = await store.loadLabelsRaw('churn', { kind: 'all' }, T0);
      const sent = [...batches.flat(), ...plainOnly.flat()];
      expect(raw).toHaveLength(sent.length);
      const byAge = new Map(raw.map((r) => [JSON.parse(r.features).age as number, r]));
      for (const l of sent) {
        const r = byAge.get(l.features.age as number);
        expect(r?.features).toBe(JSON.stringify(l.features));
        expect(r?.label).toBe(JSON.stringify(l.label));
        expect(r?.scoreId).toBe(l.scoreId);
        expect(r?.meta ?? null).toBe(l.meta ? JSON.stringify(l.meta) : null);
      }
    });

    it('refuses labels of a model that does not exist and stores none of the batch', async () => {
      await expect(store.insertLabels('nobody', [label(1, 0, T0), label(2, 1, T0)], T0)).rejects.toThrow();
      expect(await store.countLabels('nobody')).toBe(0);
      // The store is still usable after the refused batch.
      expect(await store.insertLabels('churn', [label(3, 1, T0)], T0)).toHaveLength(1);
    });

    it('keeps multiclass and regression label values', async () => {
      await store.insertLabels('churn', [label(1, 'setosa', T0), label(2, 3.25, T0), label(3, -0.5, T0)], T0);
      expect((await store.loadLabels('churn', { kind: 'all' }, T0)).map((r) => r.label)).toEqual(['setosa', 3.25, -0.5]);
    });
  });

  describe('scores', () => {
    beforeEach(async () => {
      await store.createModel(spec('churn'), T0);
      await store.createModel(spec('other'), T0);
    });

    it('stores scores and reads them back by id for one model', async () => {
      const scores: Score[] = [
        { id: 's-1', modelId: 'churn', version: '1.0.0', features: { age: 30, plan: 'pro' }, score: 0.25, createdAt: T0 },
        { id: 's-2', modelId: 'churn', version: null, features: { age: null, plan: 'basic' }, score: 0.5, createdAt: minutes(1) },
        { id: 's-3', modelId: 'churn', version: '2.0.0', features: { age: 1, plan: 'team' }, score: [0.1, 0.7, 0.2], createdAt: minutes(2) },
      ];
      await store.insertScores(scores);
      await store.insertScores([{ id: 's-9', modelId: 'other', version: null, features: {}, score: 0.5, createdAt: T0 }]);
      await store.insertScores([]);

      const got = await store.getScores('churn', ['s-1', 's-2', 's-3', 's-1', 'missing', 's-9']);
      expect([...got.keys()].sort()).toEqual(['s-1', 's-2', 's-3']);
      for (const s of scores) expect(got.get(s.id)).toMatchObject(s);
      expect((await store.getScores('other', ['s-1', 's-9'])).has('s-1')).toBe(false);
      expect((await store.getScores('churn', [])).size).toBe(0);
    });
    it('keeps scores whose features hold quotes, backslashes, emoji, NUL or a lone surrogate exactly as sent', async () => {
      const odd = ['say "hi"', 'back\\slash', 'emoji 🙂', 'looks like \\u0000', 'nul \u0000', 'lone \udc00'];
      const plain: Score[] = odd.map((text, i) => ({ id: `o-${i}`, modelId: 'churn', version: '1.0.0', features: { age: i, plan: text }, score: 0.5, createdAt: T0, latencyMs: 1.25 }));
      const full: Score[] = odd.map((text, i) => ({ id: `f-${i}`, modelId: 'churn', version: '1.0.0', features: { age: i, plan: text }, score: 0, createdAt: T0, error: `failed ${i}`, served: false }));
      for (const [i] of odd.entries()) {
        await store.insertScores([plain[i]]);
        await store.insertScores([full[i]]);
      }
      const got = await store.getScores('churn', [...plain, ...full].map((x) => x.id));
      for (const x of [...plain, ...full]) expect(got.get(x.id)).toMatchObject({ ...x, arm: 'champion', served: x.served ?? true, error: x.error ?? null });
    });

    it('refuses a batch holding a score of a model that does not exist, storing none of it', async () => {
      const scores: Score[] = [
        { id: 'k-1', modelId: 'churn', version: '1.0.0', features: { age: 1, plan: 'pro' }, score: 0.5, createdAt: T0 },
        { id: 'k-2', modelId: 'nobody', version: '1.0.0', features: { age: 2, plan: 'pro' }, score: 0.5, createdAt: T0 },
      ];
      await expect(store.insertScores(scores)).rejects.toThrow();
      expect((await store.getScores('churn', ['k-1'])).size).toBe(0);
    });

    it('stores a batch mixing plain scores with challenger, shadow and failed ones, each as sent', async () => {
      // Chunks of plain scores (one model, version and arm, served) take the short insert on SQLite.
      const scores: Score[] = Array.from({ length: 230 }, (_, i) => ({ id: `p-${String(i).padStart(3, '0')}`, modelId: 'churn', version: '1.0.0', features: { age: i, plan: 'pro' }, score: i / 1000, createdAt: minutes(i % 3), latencyMs: i % 7 }));
      scores[110] = { ...scores[110], arm: 'challenger', version: '2.0.0' };
      scores[111] = { ...scores[111], arm: 'challenger', version: '2.0.0', served: false, shadowOf: 'p-110' };
      scores[112] = { ...scores[112], error: 'boom' };
      scores[220] = { ...scores[220], modelId: 'other', version: null };
      await store.insertScores(scores);
      const got = await store.getScores('churn', scores.map((s) => s.id));
      expect(got.size).toBe(229);
      for (const s of scores.filter((x) => x.modelId === 'churn')) expect(got.get(s.id)).toMatchObject({ ...s, arm: s.arm ?? 'champion', served: s.served ?? true, shadowOf: s.shadowOf ?? null, error: s.error ?? null });
      expect((await store.getScores('other', ['p-220'])).get('p-220')).toMatchObject({ version: null, score: 0.22 });
      // A plain batch alone (the short insert on both dialects), latencies missing and present, multiclass scores.
      const plain: Score[] = Array.from({ length: 30 }, (_, i) => ({ id: `q-${String(i).padStart(2, '0')}`, modelId: 'churn', version: '3.0.0', features: { age: i, plan: 'team' }, score: [i / 100, 1 - i / 100], createdAt: minutes(i), ...(i % 2 ? { latencyMs: i / 10 } : {}) }));
      await store.insertScores(plain);
      const back = await store.getScores('churn', plain.map((x) => x.id));
      for (const x of plain) expect(back.get(x.id)).toMatchObject({ ...x, arm: 'champion', served: true, shadowOf: null, error: null, latencyMs: x.latencyMs ?? null });
    });
  });

  describe('jobs', () => {
    beforeEach(async () => {
      await store.createModel(spec('churn'), T0);
      await store.createModel(spec('other'), T0);
    });

    it('allows one pending or running job per model: the second is answered with the active job', async () => {
      const first = created(await store.createJob({ id: 'job-1', modelId: 'churn', trigger: 'manual', force: true, at: T0 })).job;
      expect(first).toMatchObject({ id: 'job-1', modelId: 'churn', status: 'pending', trigger: 'manual', force: true, stages: [], attempts: 0, result: null, startedAt: null });
      expect(await store.findActiveJob('churn')).toEqual(first);

      expect(await store.createJob({ id: 'job-2', modelId: 'churn', trigger: 'schedule', force: false, at: minutes(1) })).toEqual({ ok: false, active: first });
      expect(await store.getJob('job-2')).toBeNull();

      // Another model is independent.
      await expect(store.createJob({ id: 'job-o', modelId: 'other', trigger: 'manual', force: false, at: T0 })).resolves.toMatchObject({ ok: true, job: { status: 'pending' } });

      // Still refused while running; allowed once the first has finished.
      await store.updateJob('job-1', { status: 'running', startedAt: minutes(1), attempts: 1 });
      expect(await store.createJob({ id: 'job-3', modelId: 'churn', trigger: 'manual', force: false, at: minutes(2) })).toMatchObject({ ok: false, active: { id: 'job-1', status: 'running' } });
      await store.updateJob('job-1', { status: 'completed', finishedAt: minutes(3), stage: null });
      expect(await store.findActiveJob('churn')).toBeNull();
      await expect(store.createJob({ id: 'job-4', modelId: 'churn', trigger: 'drift', force: false, at: minutes(4) })).resolves.toMatchObject({ ok: true, job: { id: 'job-4', status: 'pending' } });
    });

    it('lets exactly one of many concurrent createJob calls win', async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.createJob({ id: `race-${i}`, modelId: 'churn', trigger: 'manual', force: false, at: T0 })),
      );
      const won = answers.filter((a) => a.ok);
      const lost = answers.filter((a) => !a.ok);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(5);
      const winner = created(won[0]).job.id;
      for (const l of lost) expect(l).toEqual({ ok: false, active: expect.objectContaining({ id: winner, status: 'pending' }) });
      expect((await store.findActiveJob('churn'))?.id).toBe(winner);
    });

    it('updates jobs field by field and reads them back', async () => {
      await store.createJob({ id: 'job-1', modelId: 'churn', trigger: 'manual', force: false, at: T0 });
      const stages = [{ name: 'loading labels', startedAt: minutes(1).toISOString(), durationMs: 12 }];
      const running = await store.updateJob('job-1', { status: 'running', stage: 'training', progress: 0.5, stages, attempts: 1, startedAt: minutes(1) });
      expect(running).toMatchObject({ status: 'running', stage: 'training', progress: 0.5, stages, attempts: 1, startedAt: minutes(1), finishedAt: null });
      const result = {
        oldVersion: null,
        newVersion: '1.0.0',
        promoted: true,
        oldMetrics: null,
        newMetrics: { auc: 0.9 },
        improvementPct: null,
        primaryMetric: 'auc',
        trainingSamples: 70,
        trainingMs: 15,
        labelCount: 100,
        decision: 'promoted',
      };
      const done = await store.updateJob('job-1', { status: 'completed', stage: null, progress: null, result, finishedAt: minutes(2) });
      expect(done).toMatchObject({ status: 'completed', stage: null, progress: null, result, error: null, finishedAt: minutes(2), stages });
      expect(await store.getJob('job-1')).toEqual(done);
      expect(await store.getJob('missing')).toBeNull();
      await refitError(store.updateJob('missing', { status: 'failed' }), 'JOB_NOT_FOUND');
    });

    it('pages jobs newest first with the total', async () => {
      for (let i = 0; i < 5; i++) {
        await store.createJob({ id: `job-${i}`, modelId: 'churn', trigger: 'manual', force: false, at: minutes(i) });
        await store.updateJob(`job-${i}`, { status: 'completed', finishedAt: minutes(i) });
      }
      await store.createJob({ id: 'job-other', modelId: 'other', trigger: 'manual', force: false, at: minutes(9) });

      const first = await store.listJobs('churn', { limit: 2, offset: 0 });
      expect(first.total).toBe(5);
      expect(first.items.map((j) => j.id)).toEqual(['job-4', 'job-3']);
      expect((await store.listJobs('churn', { limit: 2, offset: 2 })).items.map((j) => j.id)).toEqual(['job-2', 'job-1']);
      const last = await store.listJobs('churn', { limit: 2, offset: 4 });
      expect(last).toMatchObject({ total: 5 });
      expect(last.items.map((j) => j.id)).toEqual(['job-0']);
      expect(await store.listJobs('churn', { limit: 2, offset: 10 })).toEqual({ items: [], total: 5 });
      expect(await store.listJobs('ghost', { limit: 2, offset: 0 })).toEqual({ items: [], total: 0 });
    });

    it('marks failed the pending or running jobs whose owner is gone, and only those', async () => {
      await store.createJob({ id: 'done', modelId: 'churn', trigger: 'manual', force: false, at: T0, owner: 'gone' });
      await store.updateJob('done', { status: 'completed', finishedAt: minutes(1) });
      await store.createJob({ id: 'running', modelId: 'churn', trigger: 'manual', force: false, at: minutes(2), owner: 'gone' });
      await store.updateJob('running', { status: 'running', stage: 'training', startedAt: minutes(2) });
      await store.createJob({ id: 'pending', modelId: 'other', trigger: 'schedule', force: false, at: minutes(3) });
      await store.createModel(spec('third'), minutes(3));
      await store.createJob({ id: 'alive', modelId: 'third', trigger: 'manual', force: false, at: minutes(3), owner: 'live' });
      expect(await store.heartbeatJobs('live', minutes(9))).toBe(1);

      const seen: unknown[] = [];
      const isOrphan = (j: { owner: string | null; heartbeatAt: Date }) => (seen.push(j), j.owner !== 'live');
      const failed = await store.failOrphanedJobs(isOrphan, minutes(10), 'interrupted');
      expect(failed.map((j) => j.id).sort()).toEqual(['pending', 'running']);
      expect(seen).toContainEqual({ owner: 'live', heartbeatAt: minutes(9) });
      expect(seen).toContainEqual({ owner: null, heartbeatAt: minutes(3) });
      for (const j of failed) expect(j).toMatchObject({ status: 'failed', error: 'interrupted', stage: null, finishedAt: minutes(10) });
      expect(await store.getJob('running')).toMatchObject({ status: 'failed', error: 'interrupted', stage: null, finishedAt: minutes(10) });
      expect(await store.getJob('pending')).toMatchObject({ status: 'failed', error: 'interrupted' });
      expect(await store.getJob('done')).toMatchObject({ status: 'completed', error: null, finishedAt: minutes(1) });
      expect(await store.getJob('alive')).toMatchObject({ status: 'pending', error: null });
      expect(await store.findActiveJob('churn')).toBeNull();
      expect(await store.failOrphanedJobs(isOrphan, minutes(11), 'again')).toEqual([]);
      // The model can retrain again.
      await expect(store.createJob({ id: 'next', modelId: 'churn', trigger: 'manual', force: false, at: minutes(12) })).resolves.toMatchObject({ ok: true, job: { status: 'pending' } });
    });
  });

  describe('events', () => {
    it('appends events and lists them after a seq, in order, with a limit', async () => {
      const appended = [];
      for (const [i, type] of (['model.created', 'model.retrain.started', 'model.retrain.completed', 'model.promoted'] as const).entries()) {
        appended.push(await store.appendEvent({ eventType: type, runId: i === 0 ? null : 'job-1', modelId: 'churn', occurredAt: minutes(i), payload: { modelId: 'churn', step: i } }));
      }
      for (let i = 1; i < appended.length; i++) expect(appended[i].seq).toBeGreaterThan(appended[i - 1].seq);
      expect(new Set(appended.map((e) => e.eventId)).size).toBe(4);
      expect(appended[0]).toMatchObject({ eventType: 'model.created', eventVersion: 1, runId: null, occurredAt: T0.toISOString(), payload: { modelId: 'churn', step: 0 } });

      expect(await store.listEvents(0, 100)).toEqual(appended);
      expect(await store.listEvents(appended[1].seq, 100)).toEqual(appended.slice(2));
      expect(await store.listEvents(0, 2)).toEqual(appended.slice(0, 2));
      expect(await store.listEvents(appended[3].seq, 100)).toEqual([]);
    });
  });

  describe('artifacts', () => {
    it('stores bytes under their sha256, idempotently, and reads them back verified', async () => {
      const bytes = new Uint8Array(randomBytes(4096));
      const sha = await store.artifacts.put(bytes);
      expect(sha).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(await store.artifacts.put(bytes)).toBe(sha);
      const back = await store.getArtifact(sha);
      expect(back).not.toBeNull();
      expect(Buffer.from(back as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
      expect(createHash('sha256').update(back as Uint8Array).digest('hex')).toBe(sha);
    });

    it('stores only the bytes of a view, not the whole buffer behind it', async () => {
      const whole = new Uint8Array(randomBytes(1000));
      const view = whole.subarray(100, 300);
      const sha = await store.artifacts.put(view);
      expect(sha).toBe(createHash('sha256').update(view).digest('hex'));
      const back = await store.getArtifact(sha);
      expect(back?.byteLength).toBe(200);
      expect(Buffer.from(back as Uint8Array).equals(Buffer.from(view))).toBe(true);
    });

    it('returns null for an unknown or wrong sha256', async () => {
      const sha = await store.artifacts.put(new TextEncoder().encode('model bytes'));
      expect(await store.getArtifact('0'.repeat(64))).toBeNull();
      expect(await store.getArtifact(sha.slice(0, 63) + (sha[63] === '0' ? '1' : '0'))).toBeNull();
      expect(await store.getArtifact(sha.toUpperCase())).toBeNull();
    });

    it('stores empty bytes', async () => {
      const sha = await store.artifacts.put(new Uint8Array(0));
      expect(sha).toBe(createHash('sha256').update(new Uint8Array(0)).digest('hex'));
      expect((await store.getArtifact(sha))?.byteLength).toBe(0);
    });
  });
});

// Reopening the same database must find its schema up to date and its rows intact.
const pgUrl = process.env.REFIT_TEST_DATABASE_URL;
const tmp = mkdtempSync(join(tmpdir(), 'refit-store-'));
const reopenSchemas: string[] = [];
const REOPEN: { name: string; open: () => Promise<Store> }[] = [
  { name: 'sqlite', open: () => createStore({ url: `sqlite:${join(tmp, 'nested', 'refit.db')}` }) },
  ...(pgUrl
    ? [
        (() => {
          const schema = `refit_test_reopen_${randomBytes(6).toString('hex')}`;
          reopenSchemas.push(schema);
          return { name: 'postgres', open: () => createStore({ url: pgUrl, schema }) };
        })(),
      ]
    : []),
];

afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  if (!pgUrl || reopenSchemas.length === 0) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    for (const s of reopenSchemas) await client.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await client.end();
  }
});

describe.each(DIALECTS.filter((d) => d.name === 'postgres'))('label ids on $name', (dialect) => {
  let store: Store;
  beforeEach(async () => {
    store = await dialect.open();
    await store.createModel(spec('churn'), T0);
  });
  afterEach(async () => {
    await store.close();
  });

  it('returns the right label ids when the sequence leaves gaps (values taken by others meanwhile)', async () => {
    const client = new pg.Client({ connectionString: process.env.REFIT_TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`alter sequence "${latestTestSchema()}".labels_id_seq increment by 3`);
    } finally {
      await client.end();
    }
    const many = Array.from({ length: 40 }, (_, i) => label(i, i % 2, T0));
    many[7] = label(7, 1, T0, 's-7');
    const ids = await store.insertLabels('churn', many.slice(0, 20), T0);
    ids.push(...(await store.insertLabels('churn', many.slice(20), T0)));
    expect(ids.slice(1).every((id, i) => id === ids[i] + 3)).toBe(true);
    const raw = await store.loadLabelsRaw('churn', { kind: 'all' }, T0);
    expect(raw.map((r) => r.id)).toEqual(ids);
    expect(raw.map((r) => (JSON.parse(r.features) as { age: number }).age)).toEqual(many.map((l) => l.features.age));
    expect(raw[7].scoreId).toBe('s-7');
  });
});

describe.each(REOPEN)('migrations on $name', ({ open }) => {
  it('run again on an existing database without error and keep its rows', async () => {
    const first = await open();
    await first.createModel(spec('churn'), T0);
    const [id] = await first.insertLabels('churn', [label(30, 1, T0)], T0);
    await first.close();

    const second = await open();
    try {
      expect((await second.getModel('churn'))?.spec).toEqual(spec('churn'));
      expect(await second.countLabels('churn')).toBe(1);
      const [next] = await second.insertLabels('churn', [label(31, 0, T0)], T0);
      expect(next).toBeGreaterThan(id);
      expect(await second.createModel(spec('churn'), T0)).toEqual({ ok: false, reason: 'exists' });
    } finally {
      await second.close();
    }
    const third = await open();
    try {
      expect(await third.countLabels('churn')).toBe(2);
    } finally {
      await third.close();
    }
  });
});
