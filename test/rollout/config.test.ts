import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseModelSpec } from '../../src/config/model-spec.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import type { Harness } from './harness.js';
import { openHarness, spec } from './harness.js';

afterAll(dropTestSchemas);

describe('the rollout policy in a spec', () => {
  it('defaults to direct, with the documented thresholds', () => {
    const s = parseModelSpec({ id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic' });
    expect(s.retrain.rollout).toEqual({
      policy: 'direct',
      canaryShare: 0.1,
      steps: null,
      durationHours: 24,
      minLabels: 200,
      minScores: 100,
      significance: 0.05,
      thresholds: { minSuccessRate: 0.8, maxErrorRate: 0.05, maxLatencyP95Ms: 100 },
      watchHours: 24,
      rollback: { minSuccessRate: 0.75, maxErrorRate: 0.1, maxLatencyP95Ms: 200, minLabels: 50 },
      keepVersions: 10,
    });
  });
});

describe.each(DIALECTS)('rollout configuration over HTTP on $name', (dialect) => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness(await dialect.open());
    expect((await h.post('/api/v1/models', spec())).statusCode).toBe(201);
  });
  afterEach(async () => {
    await h.close();
  });

  it('sets a canary through PUT …/retrain/config, keeping what is not named', async () => {
    const res = await h.put('/api/v1/models/m/retrain/config', { rollout: { policy: 'canary', canaryShare: 0.25, thresholds: { maxLatencyP95Ms: 50 } } });
    expect(res.statusCode).toBe(200);
    expect(res.json().rollout).toMatchObject({ policy: 'canary', canaryShare: 0.25, durationHours: 24, thresholds: { minSuccessRate: 0.8, maxErrorRate: 0.05, maxLatencyP95Ms: 50 } });
    // Another change leaves the rollout alone.
    const other = await h.put('/api/v1/models/m/retrain/config', { minNewLabels: 3 });
    expect(other.json().rollout).toMatchObject({ policy: 'canary', canaryShare: 0.25 });
    expect((await h.get('/api/v1/models/m/rollout')).json().policy).toMatchObject({ policy: 'canary', canaryShare: 0.25 });
  });

  it('refuses a bad rollout configuration whole, naming every problem, and changes nothing', async () => {
    const res = await h.put('/api/v1/models/m/retrain/config', {
      minNewLabels: 7,
      rollout: { policy: 'blue-green', canaryShare: 1.5, thresholds: { minSuccessRate: 2 }, rollback: { maxLatencyP95Ms: -1 }, keepVersions: 0, bogus: true },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    const paths = body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['/rollout/bogus', '/rollout/canaryShare', '/rollout/keepVersions', '/rollout/policy', '/rollout/rollback/maxLatencyP95Ms', '/rollout/thresholds/minSuccessRate'].sort());
    const config = (await h.get('/api/v1/models/m/retrain/config')).json();
    expect(config.minNewLabels).toBe(1);
    expect(config.rollout.policy).toBe('direct');
  });

  it('refuses a rollout that is not an object, a bad entity key and a promotion without a reason', async () => {
    const notObject = await h.put('/api/v1/models/m/retrain/config', { rollout: 'canary' });
    expect(notObject.statusCode).toBe(400);
    expect(notObject.json().errors[0].path).toBe('/rollout');
    const key = await h.post('/api/v1/models/m/score', { items: [{ features: { x: 1 }, entityKey: 42 }, { features: { x: 1 }, entityKey: '' }, { features: { x: 1 }, entityKey: 'ok' }] });
    expect(key.statusCode).toBe(400);
    expect(key.json().errors.map((e: { path: string }) => e.path)).toEqual(['/items/0/entityKey', '/items/1/entityKey']);
    const promote = await h.post('/api/v1/models/m/promote', { version: '1.0.0', reason: '  ', extra: 1 });
    expect(promote.statusCode).toBe(400);
    expect(promote.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/extra', '/reason']);
    const noBody = await h.post('/api/v1/models/m/promote');
    expect(noBody.statusCode).toBe(400);
    expect(noBody.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/reason', '/version']);
    const timeline = await h.get('/api/v1/models/m/timeline?limit=0');
    expect(timeline.statusCode).toBe(400);
    expect(timeline.json().code).toBe('VALIDATION_FAILED');
  });

  it('accepts a rollout policy in the spec at creation', async () => {
    const res = await h.post('/api/v1/models', { ...spec({ policy: 'shadow', durationHours: 6 }), id: 'm2' });
    expect(res.statusCode).toBe(201);
    expect(res.json().retrain.rollout).toMatchObject({ policy: 'shadow', durationHours: 6, canaryShare: 0.1 });
    const bad = await h.post('/api/v1/models', { ...spec({ policy: 'canary', canaryShare: 0 }), id: 'm3' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['/retrain/rollout/canaryShare']);
  });
});
