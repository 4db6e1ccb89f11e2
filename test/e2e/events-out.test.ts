import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { startServer } from '../../src/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { tempDir } from '../cli/cli-harness.js';

const SPEC = { id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }], trainer: { type: 'logistic' } };

describe('events out of a running server', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let hooks: Receiver;
  let slack: Receiver;
  beforeEach(async () => {
    tmp = await tempDir();
    hooks = await startReceiver();
    slack = await startReceiver();
  });
  afterEach(async () => {
    await hooks.close();
    await slack.close();
    await tmp.remove();
  });

  const settings = () =>
    loadSettings({ REFIT_SLACK_WEBHOOK_URL: slack.url, REFIT_PUBLIC_URL: 'https://refit.example.com' }, { port: 0, dataDir: tmp.dir, logLevel: 'silent' });

  it('delivers what a server stopped mid-delivery had committed once a server runs again on the same data', async () => {
    const first = await startServer(settings(), { cwd: tmp.dir });
    const created = await fetch(`${first.url}/api/v1/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: hooks.url, events: ['model.*'] }) });
    expect(created.status).toBe(201);
    // The receiver holds the first delivery: the server stops with it unanswered.
    hooks.script('hang');
    await fetch(`${first.url}/api/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SPEC) });
    await hooks.waitFor(1);
    await first.close();

    const second = await startServer(settings(), { cwd: tmp.dir });
    try {
      await hooks.waitFor(2);
      expect(hooks.received.map((r) => JSON.parse(r.body).eventType)).toEqual(['model.created', 'model.created']);
      expect(hooks.received[1].headers['webhook-id']).toBe(hooks.received[0].headers['webhook-id']);
      // The Slack sink from the settings has nothing to tell a person about a new model.
      const sinks = (await (await fetch(`${second.url}/api/v1/sinks`)).json()) as { items: { kind: string }[] };
      expect(sinks.items.map((s) => s.kind).sort()).toEqual(['slack', 'webhook']);
      expect(slack.received).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('sends progress frames on the live stream with the envelope of stored events', async () => {
    const server = await startServer(settings(), { cwd: tmp.dir });
    const ctrl = new AbortController();
    try {
      const res = await fetch(`${server.url}/api/v1/events`, { signal: ctrl.signal });
      const reader = res.body!.getReader();
      const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await post('/api/v1/models', SPEC);
      await post('/api/v1/models/churn/labels', { items: Array.from({ length: 12 }, (_, i) => ({ features: { age: 20 + 4 * i }, label: i % 2 })) });
      await post('/api/v1/models/churn/retrain', {});
      let text = '';
      while (!/event: model\.retrain\.progress\ndata: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      const data = /event: model\.retrain\.progress\ndata: (.*)\n\n/.exec(text)![1];
      const frame = JSON.parse(data) as Record<string, unknown>;
      expect(Object.keys(frame)).toEqual(['eventId', 'eventType', 'eventVersion', 'occurredAt', 'runId', 'payload']);
      expect(frame).toMatchObject({ eventType: 'model.retrain.progress', eventVersion: 1, payload: { modelId: 'churn' } });
      expect(new Date(frame.occurredAt as string).toISOString()).toBe(frame.occurredAt);
    } finally {
      ctrl.abort();
      await server.refit.whenIdle();
      await server.close();
    }
  });
});
