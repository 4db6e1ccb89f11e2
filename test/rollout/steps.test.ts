import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import type { Harness } from './harness.js';
import { openHarness, scoreRows, sendOutcomes, spec, trainingRows } from './harness.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('gradual canary steps on $name', (dialect) => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  async function setup(challenger: Record<string, unknown>) {
    h = await openHarness(await dialect.open());
    expect((await h.post('/api/v1/models', spec({ policy: 'canary', steps: [0.1, 0.5, 1], minLabels: 40 }))).statusCode).toBe(201);
    await h.post('/api/v1/models/m/labels', { items: trainingRows(60) });
    const first = (await h.retrain()).result.newVersion as string;
    // No offline guards: the challenger must reach traffic so that its live numbers decide.
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: challenger }, gates: { guards: {} } });
    const second = (await h.retrain()).result.newVersion as string;
    return { first, second };
  }
  const share = async () => (await h.get('/api/v1/models/m/rollout')).json().recent[0].share;

  it('holds each step until its analysis passes, then moves up, and promotes after the last', async () => {
    const { first, second } = await setup({ p: 0.8 });
    expect(await share()).toBe(0.1);
    // Not enough outcomes yet: the step holds.
    expect((await h.post('/api/v1/models/m/rollout/evaluate')).json().challenger.decision).toBe('continue');
    expect(await share()).toBe(0.1);
    await sendOutcomes(h, await scoreRows(h, 1000), () => 1);
    await h.post('/api/v1/models/m/rollout/evaluate');
    expect(await share()).toBe(0.5);
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(first);
    const step = (await h.get('/api/v1/models/m/timeline')).json().items[0];
    expect(step).toMatchObject({ action: 'canary.step', version: second, numbers: { fromShare: 0.1, share: 0.5, step: 2, steps: 3 } });
    expect(step.reason).toMatch(/^step 1 of 3 passed at 10%: .*; now 50% of traffic$/);
    // The next step counts its own outcomes: about half the traffic now goes to the challenger.
    const items = await scoreRows(h, 400);
    const toChallenger = items.filter((i) => i.arm === 'challenger').length / items.length;
    expect(toChallenger).toBeGreaterThan(0.4);
    expect(toChallenger).toBeLessThan(0.6);
    await sendOutcomes(h, items, () => 1);
    expect((await h.post('/api/v1/models/m/rollout/evaluate')).json().challenger.decision).toBe('promote');
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(second);
  });

  it('aborts at any step: a challenger that fails its second step never reaches 100%', async () => {
    const { first, second } = await setup({ p: 0.2 });
    // Step one: outcomes agree with both arms.
    await sendOutcomes(h, await scoreRows(h, 1000), (it) => (it.arm === 'challenger' ? 0 : 1));
    await h.post('/api/v1/models/m/rollout/evaluate');
    expect(await share()).toBe(0.5);
    // Step two: the challenger is wrong every time.
    await sendOutcomes(h, await scoreRows(h, 400), () => 1);
    const decided = (await h.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('abort');
    expect((await h.get('/api/v1/models/m/versions')).json().activeVersion).toBe(first);
    expect((await h.get('/api/v1/models/m/timeline')).json().items[0]).toMatchObject({ action: 'canary.aborted', version: second });
  });

  it('refuses steps that do not rise', async () => {
    h = await openHarness(await dialect.open());
    const res = await h.post('/api/v1/models', spec({ policy: 'canary', steps: [0.5, 0.25, 1] }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/retrain/rollout/steps', message: 'must rise step by step, e.g. [0.1, 0.25, 0.5, 1]' }]);
  });
});
