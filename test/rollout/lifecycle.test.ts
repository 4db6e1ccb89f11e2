import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import type { Harness } from './harness.js';
import { openHarness, scoreRows, sendOutcomes, spec, trainingRows } from './harness.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('rollout lifecycle on $name', (dialect) => {
  let h: Harness;
  const extra: Harness[] = [];
  afterEach(async () => {
    for (const x of extra.splice(0)) await x.stop();
    await h.close();
  });

  async function setup(rollout: Record<string, unknown>, challenger: Record<string, unknown>, store?: Store) {
    h = await openHarness(store ?? (await dialect.open()));
    await h.post('/api/v1/models', spec(rollout));
    await h.post('/api/v1/models/m/labels', { items: trainingRows(60) });
    const first = (await h.retrain()).result.newVersion as string;
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: challenger } });
    const second = (await h.retrain()).result.newVersion as string;
    return { first, second };
  }

  it('promotes a shadow whose logged scores do as well as the champion on the same rows', async () => {
    const { second } = await setup({ policy: 'shadow', minLabels: 100 }, { p: 0.8 });
    await sendOutcomes(h, await scoreRows(h, 150), () => 1);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('promote');
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(second);
    const stopped = (await h.refit.events(0, 1000)).filter((e) => e.eventType === 'model.shadow.stopped');
    expect(stopped.map((e) => e.payload.outcome)).toEqual(['promoted']);
    expect((await h.get('/api/v1/models/m/timeline')).json().items.slice(0, 2).map((e: { action: string }) => e.action)).toEqual(['promote', 'shadow.stopped']);
  });

  it('aborts a canary that is still inconclusive when its duration ends, keeping the champion', async () => {
    const { first, second } = await setup({ policy: 'canary', durationHours: 6 }, { p: 0.8 });
    await sendOutcomes(h, await scoreRows(h, 100), () => 1);
    expect((await h.post('/api/v1/models/m/rollout/evaluate')).json().challenger.decision).toBe('continue');
    h.clock.advance(6 * 3_600_000);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('abort');
    expect(decided.challenger.reason).toMatch(/^inconclusive at the end of the duration/);
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(first);
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'canary.aborted', version: second });
  });

  it('supersedes a running canary when a newer challenger arrives', async () => {
    const { first, second } = await setup({ policy: 'canary' }, { p: 0.8 });
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: { p: 0.85 } } });
    const third = (await h.retrain()).result.newVersion as string;
    const state = (await h.get('/api/v1/models/m/rollout')).json();
    expect(state.challenger.rollout).toMatchObject({ version: third, baseVersion: first, status: 'running' });
    expect(state.recent[1]).toMatchObject({ version: second, status: 'aborted', reason: `superseded by ${third}` });
    const versions = (await h.get('/api/v1/models/m/versions')).json().items as { version: string; status: string }[];
    expect(Object.fromEntries(versions.map((v) => [v.version, v.status]))).toEqual({ [first]: 'active', [second]: 'candidate', [third]: 'canary' });
    expect(new Set((await scoreRows(h, 2_000)).filter((i) => i.arm === 'challenger').map((i) => i.version))).toEqual(new Set([third]));
  });

  it('promotes once when two instances on the same database decide the same canary at the same time', async () => {
    const store = await dialect.open();
    const { second } = await setup({ policy: 'canary' }, { p: 0.8 }, store);
    await sendOutcomes(h, await scoreRows(h, 3_000), () => 1);
    const other = await openHarness(store, { clock: h.clock });
    extra.push(other);
    const [a, b] = await Promise.all([h.refit.evaluateRollout('m'), other.refit.evaluateRollout('m')]);
    expect([a.challenger?.decision, b.challenger?.decision]).toEqual(['promote', 'promote']);
    expect((await store.listVersions('m')).filter((v) => v.status === 'active').map((v) => v.version)).toEqual([second]);
    const events = (await h.refit.events(0, 1000)).map((e) => e.eventType);
    expect(events.filter((t) => t === 'model.canary.promoted')).toHaveLength(1);
    expect(events.filter((t) => t === 'model.promoted')).toHaveLength(2); // the first version's and this one
    expect(await store.listIntents()).toEqual([]);
    const actions = (await h.get('/api/v1/models/m/timeline')).json().items.map((e: { action: string }) => e.action);
    expect(actions.filter((x: string) => x === 'canary.promoted')).toHaveLength(1);
    expect(actions).not.toContain('failed');
  });

  it('lets one of two racing manual rollbacks through and answers the other 409', async () => {
    const store = await dialect.open();
    const { first } = await setup({ policy: 'direct' }, { p: 0.8 }, store);
    const other = await openHarness(store, { clock: h.clock });
    extra.push(other);
    const results = await Promise.all([h.post('/api/v1/models/m/rollback', { version: first }), other.post('/api/v1/models/m/rollback', { version: first })]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const refused = results.find((r) => r.statusCode === 409);
    expect(refused?.json()).toMatchObject({ code: 'ROLLBACK_IMPOSSIBLE' });
    expect((await store.listVersions('m')).filter((v) => v.status === 'active').map((v) => v.version)).toEqual([first]);
    expect((await h.refit.events(0, 1000)).filter((e) => e.eventType === 'model.rollback')).toHaveLength(1);
  });
});
