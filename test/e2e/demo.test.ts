import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_MODEL_ID, startDemo } from '../../src/demo.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

describe('the demo model (npm start)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  it('gets a version at once, then its scored rounds feed live performance and drift', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    t = await openTestApp(DIALECTS[0]);
    const demo = await startDemo(t.refit, { intervalMs: 1000, rounds: 2 });
    expect(demo.created).toBe(true);
    await t.parts.queue.whenIdle();
    const v1 = (await t.refit.getModel(DEMO_MODEL_ID)).activeVersion;
    expect(v1).toMatch(/^1\.0\.0-/);

    for (let round = 0; round < 2; round++) {
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(async () => expect((await t!.refit.history(DEMO_MODEL_ID, { limit: 10, offset: 0 })).total).toBe(round + 2), { interval: 5 });
      await t.parts.queue.whenIdle();
    }
    const perf = await t.refit.performance(DEMO_MODEL_ID, 24, 1);
    const outcomes = perf.windows.reduce((s, w) => s + w.count, 0);
    expect(outcomes).toBe(120);
    // Then a serving round without a retrain, in which salaries went up.
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(async () => expect((await t!.refit.drift(DEMO_MODEL_ID)).currentRows).toBe(150), { interval: 5 });
    const drift = await t.refit.drift(DEMO_MODEL_ID);
    expect(drift.status).toBe('ok');
    expect(drift.driftedFeatures).toContain('salaryK');
    expect((await t.refit.performance(DEMO_MODEL_ID, 24, 1)).windows.reduce((s, w) => s + w.count, 0)).toBe(270);
    // A second start on the same store leaves it alone.
    expect((await startDemo(t.refit)).created).toBe(false);
    demo.stop();
  });
});
