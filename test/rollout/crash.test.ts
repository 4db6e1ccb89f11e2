import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NewEvent, Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';
import type { Harness } from './harness.js';
import { openHarness, scoreRows, sendOutcomes, spec, trainingRows } from './harness.js';

afterAll(dropTestSchemas);

/**
 * The store as a process that dies at one point sees it: once armed, the first outbox write of
 * the given event type throws, inside the transaction of the change, which therefore never
 * commits. What remains is what a killed process leaves behind.
 */
function dyingStore(store: Store, eventType: NewEvent['eventType'], options: { dies: boolean } = { dies: true }): { store: Store; arm(): void } {
  let armed = false;
  // Once killed, the process does nothing more: every later store call fails too.
  let dead = false;
  const wrap = (s: Store): Store =>
    new Proxy(s, {
      get(target, prop) {
        if (dead && prop !== 'dialect') return () => Promise.reject(new Error('the process is dead'));
        if (prop === 'transaction') return <T>(fn: (tx: Store) => Promise<T>) => target.transaction((tx) => fn(wrap(tx)));
        if (prop === 'appendEvent') {
          return async (e: NewEvent) => {
            if (armed && e.eventType === eventType) {
              armed = false;
              dead = options.dies;
              throw new Error('killed');
            }
            return target.appendEvent(e);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return { store: wrap(store), arm: () => (armed = true) };
}

async function activeVersions(store: Store): Promise<string[]> {
  return (await store.listVersions('m')).filter((v) => v.status === 'active').map((v) => v.version);
}

describe.each(DIALECTS)('a crash in the middle of a rollout change on $name', (dialect) => {
  const open: Harness[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const h of open.splice(0).reverse()) await h.stop();
    for (const s of stores.splice(0)) await s.close();
  });

  async function start(rollout: Record<string, unknown>, challengerP: number, dieOn: NewEvent['eventType'], dies = true) {
    const raw = await dialect.open();
    stores.push(raw);
    const dying = dyingStore(raw, dieOn, { dies });
    const h = await openHarness(dying.store);
    open.push(h);
    await h.post('/api/v1/models', spec(rollout));
    await h.post('/api/v1/models/m/labels', { items: trainingRows(60) });
    const first = (await h.retrain()).result.newVersion as string;
    await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: { p: challengerP } } });
    const second = (await h.retrain()).result.newVersion as string;
    return { raw, h, arm: dying.arm, first, second };
  }

  it('leaves exactly one active version when a canary promotion dies, says so on the timeline, and decides again after restart', async () => {
    const { raw, h, arm, first, second } = await start({ policy: 'canary' }, 0.8, 'model.canary.promoted');
    await sendOutcomes(h, await scoreRows(h, 3_000), () => 1);
    arm();
    const died = await h.post('/api/v1/models/m/rollout/evaluate');
    expect(died.statusCode).toBe(500);
    await h.stop();

    // Restart on the same database.
    const again = await openHarness(raw, { clock: h.clock });
    open.push(again);
    const { interruptedChanges } = await again.refit.recover();
    expect(interruptedChanges).toHaveLength(1);
    expect(await activeVersions(raw)).toEqual([first]);
    expect((await again.get('/api/v1/models/m')).json().activeVersion).toBe(first);
    const [entry] = (await again.get('/api/v1/models/m/timeline')).json().items;
    expect(entry).toMatchObject({ action: 'interrupted', version: second, fromVersion: first, actor: 'recovery' });
    expect(entry.reason).toMatch(new RegExp(`the process stopped during the promote to ${second.replace(/\./g, '\\.')}.*did not commit, so ${first.replace(/\./g, '\\.')} stays active`));
    // Nothing of the half-made change leaked: no promotion event, the canary still runs.
    expect((await again.refit.events(0, 1000)).filter((e) => e.eventType === 'model.canary.promoted')).toHaveLength(0);
    expect((await again.get('/api/v1/models/m/rollout')).json().challenger.rollout).toMatchObject({ version: second, status: 'running' });

    // The next check decides it again, once.
    const decided = (await again.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.challenger.decision).toBe('promote');
    expect(await activeVersions(raw)).toEqual([second]);
    expect((await again.refit.recover()).interruptedChanges).toHaveLength(0);
    expect((await again.refit.events(0, 1000)).filter((e) => e.eventType === 'model.canary.promoted')).toHaveLength(1);
  });

  it('leaves exactly one active version when an automatic rollback dies, and the timeline says so', async () => {
    const { raw, h, arm, first, second } = await start({ policy: 'direct' }, 0.8, 'model.rollback');
    expect(await activeVersions(raw)).toEqual([second]);
    await sendOutcomes(h, await scoreRows(h, 300), () => 0);
    arm();
    expect((await h.post('/api/v1/models/m/rollout/evaluate')).statusCode).toBe(500);
    await h.stop();

    const again = await openHarness(raw, { clock: h.clock });
    open.push(again);
    await again.refit.recover();
    expect(await activeVersions(raw)).toEqual([second]);
    const [entry] = (await again.get('/api/v1/models/m/timeline')).json().items;
    expect(entry).toMatchObject({ action: 'interrupted', version: first, fromVersion: second });
    expect(entry.reason).toMatch(/during the rollback/);
    // The watch still runs, and the next check rolls back for good.
    const decided = (await again.post('/api/v1/models/m/rollout/evaluate')).json();
    expect(decided.activeVersion).toBe(first);
    expect(await activeVersions(raw)).toEqual([first]);
    expect((await again.parts.scorer.score((await raw.getModel('m'))!.spec, first, [{ x: 1 }]))[0].version).toBe(first);
  });

  it('records a promotion that fails in a live process on the timeline at once, leaving no intent behind', async () => {
    const { raw, h, arm, first, second } = await start({ policy: 'canary' }, 0.8, 'model.canary.promoted', false);
    await sendOutcomes(h, await scoreRows(h, 3_000), () => 1);
    arm();
    const res = await h.post('/api/v1/models/m/rollout/evaluate');
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await activeVersions(raw)).toEqual([first]);
    expect(await raw.listIntents()).toEqual([]);
    const [entry] = (await h.get('/api/v1/models/m/timeline')).json().items;
    expect(entry).toMatchObject({ action: 'failed', fromVersion: first, actor: 'rollout:evaluator' });
    expect(entry.reason).toMatch(new RegExp(`the promote to ${second.replace(/\./g, '\\.')} failed and was not made \\(killed\\)`));
    // It is simply decided again at the next check.
    expect((await h.post('/api/v1/models/m/rollout/evaluate')).json().challenger.decision).toBe('promote');
    expect(await activeVersions(raw)).toEqual([second]);
  });

  it('keeps one active version even when two changes race (the database refuses a second active row)', async () => {
    const { raw, first, second } = await start({ policy: 'direct' }, 0.8, 'model.rollback');
    await expect(raw.setVersionStatus('m', first, 'active')).rejects.toThrow();
    expect(await activeVersions(raw)).toEqual([second]);
  });
});
