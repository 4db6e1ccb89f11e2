import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Monitor } from '../../src/monitor/monitor.js';
import { DIALECTS } from '../helpers/dialects.js';
import { openTestApp, type TestApp } from '../helpers/app.js';

// Live performance reads at most a bounded number of outcomes per report: a busy model's day of
// outcomes (millions) once held the server for minutes. Windows that had more say `sampled`.
describe.each(DIALECTS)('live performance of a busy model on $name', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await openTestApp(dialect);
  });
  afterEach(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST', url: string, payload?: unknown) => t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  /** A trained binary model with `n` scores labelled one minute apart each, the last just now; the label is 1 for every even i. */
  const busy = async (n: number) => {
    await req('POST', '/api/v1/models', { id: 'busy', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: 'logistic', retrain: { schedule: '0 0 1 1 *' } });
    await req('POST', '/api/v1/models/busy/labels', { items: Array.from({ length: 200 }, (_, i) => ({ features: { x: i % 10 }, label: i % 10 > 4 ? 1 : 0 })) });
    await req('POST', '/api/v1/models/busy/retrain', {});
    await t.parts.queue.whenIdle();
    const scored = (await req('POST', '/api/v1/models/busy/score', { items: Array.from({ length: n }, (_, i) => ({ features: { x: i % 10 } })) })).json().items as { scoreId: string }[];
    const now = t.clock.now().getTime();
    const items = scored.map((s, i) => ({ scoreId: s.scoreId, label: i % 2 === 0 ? 1 : 0, occurredAt: new Date(now - (n - 1 - i) * 60_000).toISOString() }));
    expect((await req('POST', '/api/v1/models/busy/labels', { items })).statusCode).toBe(201);
  };

  it('reads each window\'s most recent outcomes up to the bound, says the window was sampled, and reads all of a smaller window', async () => {
    await busy(60);
    const model = (await t.parts.store.getModel('busy'))!;
    const monitor = new Monitor({ store: t.parts.store, clock: t.clock, predictors: t.parts.predictors, hub: t.parts.hub, requestRetrain: async () => ({ jobId: 'none' }), maxOutcomes: 20 });

    // One window of an hour holds all 60 outcomes: 20 are read, the most recent.
    const [one] = (await monitor.performance(model, 1, 1)).windows;
    expect(one).toMatchObject({ count: 20, sampled: true });
    // The last 20 outcomes alternate labels 1 and 0, starting at i = 40 (even: 1): half accepted.
    expect(one.acceptRate).toBe(0.5);

    // Two windows of 30 minutes: each reads at least min(MIN_WINDOW_OUTCOMES, the bound) = 20 of its 30.
    const two = (await monitor.performance(model, 0.5, 2)).windows;
    expect(two.map((w) => [w.count, w.sampled])).toEqual([
      [20, true],
      [20, true],
    ]);
    // Three windows of 20 minutes: 20 each, all of them.
    const three = (await monitor.performance(model, 1 / 3, 3)).windows;
    expect(three.map((w) => [w.count, w.sampled])).toEqual([
      [20, false],
      [20, false],
      [20, false],
    ]);

    // Through the service (the default bound, far above 60): every outcome, nothing sampled.
    const all = await t.refit.performance('busy', 1, 1);
    expect(all.windows.map((w) => [w.count, w.sampled])).toEqual([[60, false]]);
    const wire = (await req('GET', '/api/v1/models/busy/performance?window=1h&windows=1')).json();
    expect(wire.windows[0]).toMatchObject({ count: 60, sampled: false });
  });

  it('the store returns the newest outcomes of a range, oldest first, and whether that was all of them', async () => {
    await busy(12);
    const now = t.clock.now().getTime();
    const since = new Date(now - 3_600_000);
    const until = new Date(now + 1);
    const five = await t.parts.store.liveOutcomes('busy', since, until, 5);
    expect(five.complete).toBe(false);
    expect(five.outcomes.map((o) => o.occurredAt.getTime())).toEqual([4, 3, 2, 1, 0].map((k) => now - k * 60_000));
    const every = await t.parts.store.liveOutcomes('busy', since, until, 12);
    expect(every.complete).toBe(true);
    expect(every.outcomes).toHaveLength(12);
    expect(every.outcomes.map((o) => Number(o.label))).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 1 : 0)));
  });
});
