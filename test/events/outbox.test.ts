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
