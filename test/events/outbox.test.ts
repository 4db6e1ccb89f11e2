import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/events/hub.js';
import { appendEvent, commitWithEvents } from '../../src/events/outbox.js';
import type { Store } from '../../src/store/store.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

afterAll(dropTestSchemas);

describe.each(DIALECTS)('the outbox on $name', (dialect) => {
  let store: Store;
  let hub: EventHub;
  let announced: number;
  beforeEach(async () => {
    store = await dialect.open();
    hub = new EventHub();
    announced = 0;
    hub.on('outbox:appended', () => announced++);
  });
  afterEach(async () => {
    await store.close();
  });
  const at = new Date('2026-11-23T06:00:00Z');

  it('commits events with their change and announces them once, after the commit', async () => {
    let seenInside = -1;
    await commitWithEvents(store, hub, async (tx) => {
      await appendEvent(tx, { type: 'model.created', modelId: 'm', at, body: { previousVersion: null, newVersion: null, metrics: null } });
      await appendEvent(tx, { type: 'model.retrain.started', modelId: 'm', runId: 'job-1', at, body: { previousVersion: null, newVersion: null, metrics: null, trigger: 'manual' } });
      seenInside = announced;
    });
    expect(seenInside).toBe(0);
    expect(announced).toBe(1);
    const events = await store.listEvents(0, 10);
    expect(events.map((e) => [e.eventType, e.runId])).toEqual([
      ['model.created', null],
      ['model.retrain.started', 'job-1'],
    ]);
    // Every envelope's payload starts with the model, then the versions and metrics.
    expect(Object.keys(events[1].payload)).toEqual(['modelId', 'previousVersion', 'newVersion', 'metrics', 'trigger']);
    expect(events[1]).toMatchObject({ eventVersion: 1, occurredAt: at.toISOString(), payload: { modelId: 'm', trigger: 'manual' } });
  });

  it('writes and announces nothing when the change fails', async () => {
    await expect(
      commitWithEvents(store, hub, async (tx) => {
        await appendEvent(tx, { type: 'model.created', modelId: 'm', at, body: { previousVersion: null, newVersion: null, metrics: null } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(announced).toBe(0);
    expect(await store.listEvents(0, 10)).toEqual([]);
  });
});

// PostgreSQL hands out a serial at insert, not at commit: without the outbox's append lock, a
// reader could see seq 2 committed while seq 1 is still open, and a delivery cursor would pass it.
describe.each(DIALECTS.filter((d) => d.name === 'postgres'))('the outbox on $name, under concurrent writers', (dialect) => {
  it('commits event-writing transactions one after another, in seq order', async () => {
    const store = await dialect.open();
    const hub = new EventHub();
    const watcher = new pg.Client({ connectionString: process.env.REFIT_TEST_DATABASE_URL });
    await watcher.connect();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    try {
      const at = new Date('2026-11-23T06:00:00Z');
      const body = { previousVersion: null, newVersion: null, metrics: null };
      let inside!: () => void;
      const firstInside = new Promise<void>((r) => (inside = r));
      const committed: string[] = [];
      const first = commitWithEvents(store, hub, async (tx) => {
        await appendEvent(tx, { type: 'model.created', modelId: 'first', at, body });
        inside();
        await held;
      }).then(() => committed.push('first'));
      await firstInside;
      const second = commitWithEvents(store, hub, async (tx) => {
        await appendEvent(tx, { type: 'model.created', modelId: 'second', at, body });
      }).then(() => committed.push('second'));
      // The second writer waits for the append lock (bounded poll of the server's lock table). The
      // key is the same in every schema, so test files running beside this one may wait on it too.
      let waiting = 0;
      for (let i = 0; i < 500 && waiting === 0; i++) {
        waiting = Number((await watcher.query("select count(*) as n from pg_locks where locktype = 'advisory' and objid = 727001 and not granted")).rows[0].n);
      }
      expect(waiting).toBeGreaterThanOrEqual(1);
      expect(committed).toEqual([]);
      release();
      await Promise.all([first, second]);
      expect(committed).toEqual(['first', 'second']);
      const events = await store.listEvents(0, 10);
      expect(events.map((e) => e.payload.modelId)).toEqual(['first', 'second']);
    } finally {
      release(); // a failed assertion must not leave the first transaction open
      await watcher.end();
      await store.close();
    }
  });
});
