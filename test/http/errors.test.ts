import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../src/domain/entities.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/errors.js';
import { PROBLEM_TYPE_BASE } from '../../src/http/problem.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

const CHURN = {
  id: 'churn',
  task: 'binary',
  features: [
    { name: 'age', type: 'number' },
    { name: 'plan', type: 'category' },
  ],
  trainer: { type: 'logistic' },
};
const SPECIES = {
  id: 'species',
  task: 'multiclass',
  features: [{ name: 'petal', type: 'number' }],
  trainer: 'logistic',
  classes: ['setosa', 'versicolor', 'virginica'],
};
const PRICE = { id: 'price', task: 'regression', features: [{ name: 'rooms', type: 'number' }], trainer: 'ridge' };

interface Response {
  readonly statusCode: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
  json(): any;
}

/**
 * Assert that a response is an RFC 9457 problem document for `code` (content type, status,
 * every member) and return its body.
 */
function expectProblem(res: Response, code: ErrorCode, instance?: string): any {
  const { status, title } = ERROR_CATALOGUE[code];
  expect({ status: res.statusCode, body: res.body.slice(0, 300) }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  const body = res.json();
  expect(body).toMatchObject({ type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-'), title, status, code });
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  expect(typeof body.instance).toBe('string');
  if (instance !== undefined) expect(body.instance).toBe(instance);
  if (body.errors !== undefined) {
    for (const e of body.errors) expect(e).toEqual({ path: expect.stringMatching(/^\//), message: expect.any(String) });
  }
  return body;
}

/** The `errors[]` of a problem as `path: message` pairs, for readable assertions. */
function paths(body: { errors?: { path: string }[] }): string[] {
  return (body.errors ?? []).map((e) => e.path);
}

/** A stored version row (no real artifact: the paths under test never load it). */
function versionRow(modelId: string, version: string, at: Date): ModelVersion {
  return {
    modelId,
    version,
    status: 'candidate',
    trainer: { type: 'logistic', params: {} },
    features: CHURN.features as ModelVersion['features'],
    artifactSha256: 'f'.repeat(64),
    referenceSha256: null,
    artifactBytes: 10,
    metrics: { auc: 0.8 },
    championMetrics: null,
    parentVersion: null,
    labelCount: 10,
    trainingSamples: 7,
    datasetHash: 'hash',
    decision: 'promoted',
    jobId: null,
    createdAt: at,
  };
}

afterAll(dropTestSchemas);

describe.each(DIALECTS)('client errors are problem+json, never 500, on $name', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await openTestApp(dialect);
  });
  afterEach(async () => {
    await t.close();
  });

  const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  const raw = (url: string, body: string, contentType = 'application/json') => send('POST', url, body, { 'content-type': contentType });
  const createChurn = async () => expect((await send('POST', '/api/v1/models', CHURN)).statusCode).toBe(201);

  describe('the body itself', () => {
    it('refuses malformed JSON with 400 INVALID_JSON', async () => {
      await createChurn();
      expectProblem(await raw('/api/v1/models', '{"id": "x", '), 'INVALID_JSON', '/api/v1/models');
      expectProblem(await raw('/api/v1/models/churn/labels', '{"items": [}'), 'INVALID_JSON', '/api/v1/models/churn/labels');
    });

    it('refuses an empty body sent as JSON with 400 INVALID_JSON', async () => {
      const body = expectProblem(await raw('/api/v1/models', ''), 'INVALID_JSON');
      expect(body.detail).toMatch(/empty/);
    });

    it('refuses a body that is not JSON with 415, whatever its type', async () => {
      await createChurn();
      expectProblem(await raw('/api/v1/models', 'id=churn', 'text/plain'), 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await raw('/api/v1/models', '<model id="x"/>', 'application/xml'), 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await raw('/api/v1/models/churn/labels', 'items=1', 'application/x-www-form-urlencoded'), 'UNSUPPORTED_MEDIA_TYPE');
      expect(await t.parts.store.countLabels('churn')).toBe(0);
    });

    it('refuses JSON with NaN as invalid JSON (JSON has no NaN)', async () => {
      await createChurn();
      expectProblem(await raw('/api/v1/models/churn/labels', '{"items":[{"features":{"age":NaN,"plan":"pro"},"label":1}]}'), 'INVALID_JSON');
      expectProblem(await raw('/api/v1/models/churn/score', '{"items":[{"features":{"age":NaN}}]}'), 'INVALID_JSON');
      expect(await t.parts.store.countLabels('churn')).toBe(0);
    });

    it('refuses numbers that overflow to Infinity (1e999), naming where', async () => {
      await createChurn();
      await send('POST', '/api/v1/models', PRICE);
      const labels = expectProblem(await raw('/api/v1/models/churn/labels', '{"items":[{"features":{"age":1e999,"plan":"pro"},"label":1}]}'), 'VALIDATION_FAILED');
      expect(labels.errors).toEqual([{ path: '/items/0/features/age', message: expect.stringMatching(/finite number/) }]);
      const score = expectProblem(await raw('/api/v1/models/churn/score', '{"items":[{"features":{"age":-1e999}}]}'), 'VALIDATION_FAILED');
      expect(paths(score)).toEqual(['/items/0/features/age']);
      const label = expectProblem(await raw('/api/v1/models/price/labels', '{"items":[{"features":{"rooms":3},"label":1e999}]}'), 'VALIDATION_FAILED');
      expect(label.errors).toEqual([{ path: '/items/0/label', message: expect.stringMatching(/finite number/) }]);
      const spec = expectProblem(await raw('/api/v1/models', JSON.stringify({ ...CHURN, id: 'inf' }).replace(/}$/, ',"defaultScore":1e999}')), 'VALIDATION_FAILED');
      expect(paths(spec)).toEqual(['/defaultScore']);
      expect(await t.parts.store.countLabels('churn')).toBe(0);
      expect(await t.parts.store.countLabels('price')).toBe(0);
      expect(await t.parts.store.getModel('inf')).toBeNull();
    });

    it('refuses a malformed URL or a body that does not match its Content-Length with 400 BAD_REQUEST', async () => {
      await createChurn();
      expectProblem(await send('GET', '/api/v1/models/%E0%A4%A'), 'BAD_REQUEST');
      const short = await send('POST', '/api/v1/models/churn/labels', '{"items":[{"features":{"age":1},"label":1}]}', { 'content-type': 'application/json', 'content-length': '999' });
      expectProblem(short, 'BAD_REQUEST');
      expect(await t.parts.store.countLabels('churn')).toBe(0);
    });

    it('refuses prototype-pollution keys instead of dropping them', async () => {
      await createChurn();
      expectProblem(await raw('/api/v1/models/churn/labels', '{"items":[{"features":{"age":1},"label":1}],"__proto__":{"admin":true}}'), 'INVALID_JSON');
      expect(await t.parts.store.countLabels('churn')).toBe(0);
    });
  });

  it('refuses a body over the limit with 413', async () => {
    const small = await openTestApp(dialect, { bodyLimit: 1024 });
    try {
      const res = await small.app.inject({ method: 'POST', url: '/api/v1/models', payload: { ...CHURN, description: 'x'.repeat(2000) } });
      expectProblem(res, 'PAYLOAD_TOO_LARGE', '/api/v1/models');
      expect(await small.parts.store.getModel('churn')).toBeNull();
      // The same request under the limit goes through.
      expect((await small.app.inject({ method: 'POST', url: '/api/v1/models', payload: CHURN })).statusCode).toBe(201);
    } finally {
      await small.close();
    }
  });

  describe('things that do not exist', () => {
    it('answers an unknown route or method with 404 NOT_FOUND', async () => {
      const body = expectProblem(await send('GET', '/api/v1/nothing-here?x=1'), 'NOT_FOUND', '/api/v1/nothing-here?x=1');
      expect(body.detail).toContain('/api/v1/nothing-here');
      await createChurn();
      expectProblem(await send('DELETE', '/api/v1/models/churn'), 'NOT_FOUND');
      expect(await t.parts.store.getModel('churn')).not.toBeNull();
    });

    it('answers every model route with 404 MODEL_NOT_FOUND for an unknown model', async () => {
      const routes: [method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown][] = [
        ['GET', '/api/v1/models/ghost'],
        ['POST', '/api/v1/models/ghost/labels', { items: [{ features: { age: 1 }, label: 1 }] }],
        ['POST', '/api/v1/models/ghost/score', { items: [{ features: { age: 1 } }] }],
        ['GET', '/api/v1/models/ghost/versions'],
        ['GET', '/api/v1/models/ghost/activations'],
        ['POST', '/api/v1/models/ghost/rollback', {}],
        ['POST', '/api/v1/models/ghost/rollback', { version: '1.0.0' }],
        ['POST', '/api/v1/models/ghost/retrain', {}],
        ['POST', '/api/v1/models/ghost/retrain'],
        ['GET', '/api/v1/models/ghost/retrain/status'],
        ['GET', '/api/v1/models/ghost/retrain/history'],
        ['GET', '/api/v1/models/ghost/retrain/config'],
        ['PUT', '/api/v1/models/ghost/retrain/config', { minNewLabels: 3 }],
      ];
      for (const [method, url, payload] of routes) {
        const body = expectProblem(await send(method, url, payload), 'MODEL_NOT_FOUND', url);
        expect(body.detail).toContain("'ghost'");
      }
      expect(await t.parts.store.getModel('ghost')).toBeNull();
    });

    it('answers an unknown schedule with 404 and refuses to delete a model’s own schedule with 409', async () => {
      await createChurn();
      expectProblem(await send('DELETE', '/api/v1/schedules/no-such-schedule'), 'SCHEDULE_NOT_FOUND', '/api/v1/schedules/no-such-schedule');
      const own = expectProblem(await send('DELETE', '/api/v1/schedules/churn%2Fdefault'), 'SCHEDULE_IS_DEFAULT');
      expect(own.detail).toMatch(/retrain\/config/);
    });

    it('answers an unknown job with 404 JOB_NOT_FOUND', async () => {
      expectProblem(await send('GET', '/api/v1/jobs/no-such-job'), 'JOB_NOT_FOUND', '/api/v1/jobs/no-such-job');
      expectProblem(await send('POST', '/api/v1/jobs/no-such-job/cancel'), 'JOB_NOT_FOUND');
    });
  });

  describe('rollback', () => {
    it('is 409 when the model has never had a version, with or without a body', async () => {
      await createChurn();
      expectProblem(await send('POST', '/api/v1/models/churn/rollback', {}), 'ROLLBACK_IMPOSSIBLE');
      // A bare POST (no body, no content type) means "the previous version" too.
      expectProblem(await send('POST', '/api/v1/models/churn/rollback'), 'ROLLBACK_IMPOSSIBLE');
    });

    it('is 409 when only one version was ever active, 404 for an unknown version, and moves nothing', async () => {
      await createChurn();
      const at = t.clock.now();
      await t.parts.store.insertVersion(versionRow('churn', '1.0.0', at));
      await t.parts.store.activate({ modelId: 'churn', toVersion: '1.0.0', action: 'promote', reason: 'first', actor: 'test', at });

      expectProblem(await send('POST', '/api/v1/models/churn/rollback', {}), 'ROLLBACK_IMPOSSIBLE');
      const already = expectProblem(await send('POST', '/api/v1/models/churn/rollback', { version: '1.0.0' }), 'ROLLBACK_IMPOSSIBLE');
      expect(already.detail).toMatch(/already active/);
      const unknown = expectProblem(await send('POST', '/api/v1/models/churn/rollback', { version: '9.9.9' }), 'VERSION_NOT_FOUND');
      expect(unknown.detail).toContain('9.9.9');
      const bad = expectProblem(await send('POST', '/api/v1/models/churn/rollback', { version: '1.0.0', to: 'x' }), 'VALIDATION_FAILED');
      expect(paths(bad)).toEqual(['/to']);

      expect((await t.refit.getModel('churn')).activeVersion).toBe('1.0.0');
      expect(await t.parts.store.listActivations('churn')).toHaveLength(1);
    });

    it('refuses to activate a version whose artifact is missing: a 500 problem, and the active version stays', async () => {
      await createChurn();
      const at = t.clock.now();
      await t.parts.store.insertVersion(versionRow('churn', '1.0.0', at));
      await t.parts.store.insertVersion(versionRow('churn', '1.1.0', at));
      await t.parts.store.activate({ modelId: 'churn', toVersion: '1.1.0', action: 'promote', reason: 'test', actor: 'test', at });
      expectProblem(await send('POST', '/api/v1/models/churn/rollback', { version: '1.0.0' }), 'ARTIFACT_CORRUPT');
      expect((await t.refit.getModel('churn')).activeVersion).toBe('1.1.0');
    });
  });

  describe('models', () => {
    it('refuses a duplicate model id with 409 MODEL_EXISTS and keeps the first spec', async () => {
      await createChurn();
      const body = expectProblem(await send('POST', '/api/v1/models', { ...CHURN, description: 'second' }), 'MODEL_EXISTS', '/api/v1/models');
      expect(body.detail).toContain("'churn'");
      expect((await t.refit.getModel('churn')).spec.description).toBe('');
      expect(await t.refit.listModels()).toHaveLength(1);
    });

    it('names every problem of an invalid spec at once, with paths', async () => {
      const body = expectProblem(
        await send('POST', '/api/v1/models', {
          id: 'bad',
          task: 'ranking',
          features: [
            { name: 'age', type: 'number' },
            { name: 'age', type: 'category' },
          ],
          trainer: { type: 'xgboost-turbo' },
        }),
        'VALIDATION_FAILED',
      );
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { path: '/task', message: expect.stringMatching(/binary/) },
          { path: '/features/1/name', message: expect.stringMatching(/duplicate feature name 'age'/) },
          { path: '/trainer/type', message: expect.stringMatching(/unknown trainer 'xgboost-turbo'/) },
        ]),
      );
      expect(body.errors).toHaveLength(3);
      expect(await t.parts.store.getModel('bad')).toBeNull();
    });

    it('names unknown spec fields and bad nested values by path', async () => {
      const body = expectProblem(
        await send('POST', '/api/v1/models', {
          ...CHURN,
          featurs: [],
          features: [{ name: 'age', type: 'numeric' }],
          retrain: { minNewLabels: -2, window: { weeks: 2 } },
          trainer: { type: 'logistic', params: { l2: -1 } },
        }),
        'VALIDATION_FAILED',
      );
      expect(paths(body)).toEqual(expect.arrayContaining(['/featurs', '/features/0/type', '/retrain/minNewLabels', '/retrain/window']));
      expect(body.errors.find((e: { path: string }) => e.path === '/featurs').message).toMatch(/unknown field/);
      expect(await t.refit.listModels()).toHaveLength(0);
    });

    it('refuses a body that is not an object', async () => {
      const body = expectProblem(await send('POST', '/api/v1/models', [CHURN]), 'VALIDATION_FAILED');
      expect(paths(body)).toEqual(['/']);
    });
  });

  describe('labels and scores', () => {
    it('names every row with a wrong feature type by its path', async () => {
      await createChurn();
      const labels = expectProblem(
        await send('POST', '/api/v1/models/churn/labels', {
          items: [
            { features: { age: 30, plan: 'pro' }, label: 1 },
            { features: { age: 41, plan: { tier: 'pro' } }, label: 0 },
            { features: { age: 'forty', plan: 'basic' }, label: 1 },
            { features: { age: [1], plan: 'basic' }, label: 0 },
          ],
        }),
        'VALIDATION_FAILED',
      );
      expect(paths(labels)).toEqual(['/items/1/features/plan', '/items/2/features/age', '/items/3/features/age']);
      expect(labels.errors[1].message).toMatch(/finite number.*"forty"/);
      expect(labels.detail).toMatch(/3 problems; nothing was stored/);

      const score = expectProblem(
        await send('POST', '/api/v1/models/churn/score', { items: [{ features: { age: 30 } }, { features: { age: true } }, { features: 'age=3' }, 7] }),
        'VALIDATION_FAILED',
      );
      expect(paths(score)).toEqual(['/items/1/features/age', '/items/2/features', '/items/3']);
    });

    it('stores nothing from a batch with one bad row', async () => {
      await createChurn();
      expect((await send('POST', '/api/v1/models/churn/labels', { items: [{ features: { age: 20, plan: 'pro' }, label: 0 }] })).statusCode).toBe(201);
      const before = await t.parts.store.countLabels('churn');
      const good = Array.from({ length: 50 }, (_, i) => ({ features: { age: 20 + i, plan: 'basic' }, label: i % 2 }));
      const bad = [...good.slice(0, 25), { features: { age: 'old', plan: 'basic' }, label: 1 }, ...good.slice(25)];
      const body = expectProblem(await send('POST', '/api/v1/models/churn/labels', { items: bad }), 'VALIDATION_FAILED');
      expect(paths(body)).toEqual(['/items/25/features/age']);
      expect(await t.parts.store.countLabels('churn')).toBe(before);
      expect((await send('GET', '/api/v1/models/churn/retrain/status')).json().newLabels).toBe(before);
    });

    it('names unknown feature keys and unknown item fields instead of dropping them', async () => {
      await createChurn();
      const labels = expectProblem(
        await send('POST', '/api/v1/models/churn/labels', {
          items: [
            { features: { age: 30, plan: 'pro', agee: 31 }, label: 1 },
            { features: { age: 30, plan: 'pro' }, label: 1, ocurredAt: '2026-01-01T00:00:00Z' },
          ],
        }),
        'VALIDATION_FAILED',
      );
      expect(labels.errors).toHaveLength(2);
      expect(labels.errors).toEqual(
        expect.arrayContaining([
          { path: '/items/0/features/agee', message: expect.stringMatching(/unknown feature 'agee'/) },
          { path: '/items/1/ocurredAt', message: expect.stringMatching(/unknown field 'ocurredAt'/) },
        ]),
      );
      const score = expectProblem(await send('POST', '/api/v1/models/churn/score', { items: [{ features: { age: 3, Plan: 'pro' } }, { features: { age: 3 }, id: 'x' }] }), 'VALIDATION_FAILED');
      expect(paths(score)).toEqual(['/items/0/features/Plan', '/items/1/id']);
      expect(await t.parts.store.countLabels('churn')).toBe(0);
    });

    it('names labels whose scoreId is unknown, or that carry neither features nor a scoreId', async () => {
      await createChurn();
      const scored = await send('POST', '/api/v1/models/churn/score', { items: [{ features: { age: 30, plan: 'pro' } }] });
      const scoreId = scored.json().items[0].scoreId as string;
      const body = expectProblem(
        await send('POST', '/api/v1/models/churn/labels', {
          items: [{ scoreId, label: 1 }, { scoreId: 'no-such-score', label: 0 }, { label: 1 }],
        }),
        'VALIDATION_FAILED',
      );
      expect(body.errors).toEqual([
        { path: '/items/1/scoreId', message: expect.stringMatching(/no score 'no-such-score'/) },
        { path: '/items/2', message: expect.stringMatching(/features or a scoreId/) },
      ]);
      expect(await t.parts.store.countLabels('churn')).toBe(0);
    });

    it('refuses a bad occurredAt and an empty batch by path', async () => {
      await createChurn();
      const when = expectProblem(
        await send('POST', '/api/v1/models/churn/labels', { items: [{ features: { age: 1 }, label: 1, occurredAt: 'yesterday' }] }),
        'VALIDATION_FAILED',
      );
      expect(paths(when)).toEqual(['/items/0/occurredAt']);
      expect(paths(expectProblem(await send('POST', '/api/v1/models/churn/labels', { items: [] }), 'VALIDATION_FAILED'))).toEqual(['/items']);
      expect(paths(expectProblem(await send('POST', '/api/v1/models/churn/score', { items: [] }), 'VALIDATION_FAILED'))).toEqual(['/items']);
      expect(paths(expectProblem(await send('POST', '/api/v1/models/churn/labels', {}), 'VALIDATION_FAILED'))).toEqual(['/items']);
    });

    it('refuses label values that do not fit the task', async () => {
      await createChurn();
      expect((await send('POST', '/api/v1/models', SPECIES)).statusCode).toBe(201);
      expect((await send('POST', '/api/v1/models', PRICE)).statusCode).toBe(201);

      const binary = expectProblem(
        await send('POST', '/api/v1/models/churn/labels', {
          items: [
            { features: { age: 1 }, label: 2 },
            { features: { age: 1 }, label: 'yes' },
            { features: { age: 1 }, label: true },
          ],
        }),
        'VALIDATION_FAILED',
      );
      expect(binary.errors).toEqual([
        { path: '/items/0/label', message: expect.stringMatching(/binary label must be 0, 1, true or false, got 2/) },
        { path: '/items/1/label', message: expect.stringMatching(/binary label/) },
      ]);

      const multi = expectProblem(
        await send('POST', '/api/v1/models/species/labels', {
          items: [
            { features: { petal: 1.4 }, label: 'setosa' },
            { features: { petal: 5.1 }, label: 'daisy' },
          ],
        }),
        'VALIDATION_FAILED',
      );
      expect(multi.errors).toEqual([{ path: '/items/1/label', message: expect.stringMatching(/unknown class 'daisy'/) }]);

      const regression = expectProblem(
        await send('POST', '/api/v1/models/price/labels', {
          items: [
            { features: { rooms: 3 }, label: '350000' },
            { features: { rooms: 4 }, label: null },
            { features: { rooms: 5 }, label: 410000.5 },
          ],
        }),
        'VALIDATION_FAILED',
      );
      expect(paths(regression)).toEqual(['/items/0/label', '/items/1/label']);

      for (const id of ['churn', 'species', 'price']) expect(await t.parts.store.countLabels(id)).toBe(0);
    });
  });

  describe('retrain', () => {
    it('refuses an invalid retrain config naming every field, and leaves the config unchanged', async () => {
      await createChurn();
      const before = (await send('GET', '/api/v1/models/churn/retrain/config')).json();
      const body = expectProblem(
        await send('PUT', '/api/v1/models/churn/retrain/config', { minNewLabels: -1, autoPromot: false, window: { days: 0 }, gates: { maxDegradation: 2 } }),
        'VALIDATION_FAILED',
      );
      expect(paths(body).sort()).toEqual(['/autoPromot', '/gates/maxDegradation', '/minNewLabels', '/window/days'].sort());
      expect(body.errors.find((e: { path: string }) => e.path === '/autoPromot').message).toMatch(/unknown field 'autoPromot'/);
      const unknownTrainer = expectProblem(await send('PUT', '/api/v1/models/churn/retrain/config', { minNewLabels: 3, trainer: 'nope' }), 'VALIDATION_FAILED');
      expect(paths(unknownTrainer)).toEqual(['/trainer/type']);
      const wrongTask = expectProblem(await send('PUT', '/api/v1/models/churn/retrain/config', { minNewLabels: 3, trainer: 'ridge' }), 'VALIDATION_FAILED');
      expect(wrongTask.errors[0].message).toMatch(/does not support task 'binary'/);
      expect((await send('GET', '/api/v1/models/churn/retrain/config')).json()).toEqual(before);
      expect(before).toMatchObject({ minNewLabels: 5, window: 'all', autoPromote: true });
    });

    it('refuses unknown fields in a retrain request by name', async () => {
      await createChurn();
      const body = expectProblem(await send('POST', '/api/v1/models/churn/retrain', { forse: true }), 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ path: '/forse', message: "unknown field 'forse'" }]);
      const typed = expectProblem(await send('POST', '/api/v1/models/churn/retrain', { force: 'yes' }), 'VALIDATION_FAILED');
      expect(paths(typed)).toEqual(['/force']);
      expect((await t.parts.store.listJobs('churn', { limit: 10, offset: 0 })).total).toBe(0);
    });

    it('refuses a second retrain while one is pending with 409 and the job id', async () => {
      await createChurn();
      const created = await t.parts.store.createJob({ id: 'job-1', modelId: 'churn', trigger: 'manual', force: false, at: t.clock.now() });
      if (!created.ok) throw new Error('the first job must be created');
      const pending = created.job;
      const body = expectProblem(await send('POST', '/api/v1/models/churn/retrain', {}), 'RETRAIN_IN_PROGRESS');
      expect(body.jobId).toBe(pending.id);
      const joined = await send('POST', '/api/v1/models/churn/retrain', { join: true });
      expect(joined.statusCode).toBe(200);
      expect(joined.json()).toMatchObject({ jobId: pending.id, joined: true });
    });

    it('refuses a bad querystring with the parameter named', async () => {
      await createChurn();
      for (const [query, where] of [
        ['limit=0', '/querystring/limit'],
        ['limit=201', '/querystring/limit'],
        ['limit=ten', '/querystring/limit'],
        ['offset=-1', '/querystring/offset'],
      ] as const) {
        const url = `/api/v1/models/churn/retrain/history?${query}`;
        expect(paths(expectProblem(await send('GET', url), 'VALIDATION_FAILED', url))).toEqual([where]);
      }
      expect(paths(expectProblem(await send('GET', '/api/v1/events?after=-5&follow=false'), 'VALIDATION_FAILED'))).toEqual(['/querystring/after']);
      expect(paths(expectProblem(await send('GET', '/api/v1/events?follow=maybe'), 'VALIDATION_FAILED'))).toEqual(['/querystring/follow']);
      expect((await send('GET', '/api/v1/models/churn/retrain/history?limit=1')).statusCode).toBe(200);
    });

    it('refuses a model id that is too long as a bad path parameter', async () => {
      const url = `/api/v1/models/${'m'.repeat(65)}`;
      expect(paths(expectProblem(await send('GET', url), 'VALIDATION_FAILED'))).toEqual(['/params/id']);
    });
  });
});
