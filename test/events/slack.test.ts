import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../src/domain/clock.js';
import { slackSink } from '../../src/events/delivery/http-sinks.js';
import { DEFAULT_SLACK_EVENTS, slackMessage } from '../../src/events/delivery/slack-message.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import { registerTrainer, getTrainer } from '../../src/train/registry.js';
import type { Trainer } from '../../src/train/trainer.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

const explodingTrainer: Trainer<Record<string, never>> = {
  name: 'test-slack-explodes',
  paramsSchema: z.object({}).strict(),
  tasks: ['binary'],
  fit: async () => {
    throw new Error('the trainer ran out of memory');
  },
  load: () => {
    throw new Error('never loaded');
  },
};
if (!getTrainer(explodingTrainer.name)) registerTrainer(explodingTrainer);

const SPEC = {
  id: 'churn',
  task: 'binary',
  features: [{ name: 'age', type: 'number' }, { name: 'plan', type: 'category' }],
  trainer: { type: 'logistic' },
  retrain: { retry: { retries: 0 }, gates: { maxDegradation: 1 } },
};
const labels = (seed: number) => Array.from({ length: 12 }, (_, i) => ({ features: { age: 20 + i * 4 + seed, plan: i % 3 === 0 ? 'pro' : 'basic' }, label: i % 2 }));

describe('the Slack-compatible sink', () => {
  let refit: Refit;
  let parts: RefitParts;
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
    const store = await createStore({ url: ':memory:' });
    const sink = slackSink({ url: receiver.url, events: DEFAULT_SLACK_EVENTS, publicUrl: 'https://refit.example.com/' });
    ({ refit, parts } = createRefit({ store, clock: new ManualClock('2026-11-23T06:00:00Z'), executor: inlineExecutor, delivery: { sinks: [sink] } }));
    await parts.delivery.deliverDue();
    await refit.createModel(SPEC);
  });
  afterEach(async () => {
    await refit.close();
    await receiver.close();
  });

  const texts = () => receiver.received.map((r) => (JSON.parse(r.body) as { text: string }).text);

  it('posts a readable message for a failed retrain and for a rollback, and nothing for a routine promotion', async () => {
    await refit.addLabels('churn', labels(0));
    await refit.retrain('churn');
    await refit.whenIdle();
    const v1 = (await refit.status('churn')).activeVersion!;
    await refit.addLabels('churn', labels(1));
    await refit.retrain('churn');
    await refit.whenIdle();
    const v2 = (await refit.status('churn')).activeVersion!;
    expect(v2).not.toBe(v1);
    await parts.delivery.deliverDue();
    // Two retrains that promoted: nobody needs to hear of them.
    expect(receiver.received).toHaveLength(0);

    await refit.putRetrainConfig('churn', { trainer: 'test-slack-explodes' });
    await refit.addLabels('churn', labels(2));
    await refit.retrain('churn');
    await refit.whenIdle();
    await refit.rollback('churn', undefined, 'alice', 'live AUC fell after the release');
    await parts.delivery.deliverDue();

    expect(texts()).toEqual([
      `:x: Retrain of *churn* failed: the trainer ran out of memory. Version ${v2} stays active. <https://refit.example.com/models/churn|Open churn>`,
      expect.stringMatching(new RegExp(`^:rewind: \\*churn\\* was rolled back from ${v2.replace(/\./g, '\\.')} to ${v1.replace(/\./g, '\\.')}\\. Reason: live AUC fell after the release\\..* <https://refit\\.example\\.com/models/churn\\|Open churn>$`)),
    ]);
    expect(receiver.received[0].headers['content-type']).toBe('application/json');
    // The rollback changed the active version: deactivated, then activated, before the rollback event.
    const last = (await refit.events(0)).slice(-3).map((e) => [e.eventType, e.payload.version, e.payload.action]);
    expect(last).toEqual([
      ['model.deactivated', v2, 'rollback'],
      ['model.activated', v1, 'rollback'],
      ['model.rollback', undefined, undefined],
    ]);
  });
});

describe('slackMessage', () => {
  const base = { eventId: 'e1', seq: 1, eventVersion: 1 as const, occurredAt: '2026-11-23T06:00:00.000Z', runId: 'job-1' };

  it('says which candidate was rejected, the metric before and after, and why', () => {
    const text = slackMessage(
      {
        ...base,
        eventType: 'model.retrain.completed',
        payload: { modelId: 'churn', previousVersion: '1.1.0', newVersion: '1.2.0', metrics: { auc: 0.79 }, previousMetrics: { auc: 0.8123 }, decision: 'rejected: auc 0.7900 is 2.7% worse than 0.8123 (limit 0.05)' },
      },
      null,
    );
    expect(text).toBe(':no_entry: Retrain of *churn* produced 1.2.0, which was rejected; 1.1.0 stays active. auc 0.8123 → 0.7900. Why: auc 0.7900 is 2.7% worse than 0.8123 (limit 0.05).');
  });

  it('posts drift and degraded performance, promotions when asked, and stays quiet about routine retrains', () => {
    const drift = slackMessage({ ...base, eventType: 'model.drift.detected', payload: { modelId: 'churn', previousVersion: '1.1.0', newVersion: null, metrics: null, reason: 'age drifted (KS p < 0.001).' } }, null);
    expect(drift).toBe(':warning: Drift detected on *churn* (version 1.1.0). age drifted (KS p < 0.001)');
    const perf = slackMessage({ ...base, eventType: 'model.performance.degraded', payload: { modelId: 'churn', previousVersion: '1.1.0', newVersion: null, metrics: null, reason: 'live auc 0.70 is 0.11 below its test auc' } }, null);
    expect(perf).toBe(':chart_with_downwards_trend: Live performance of *churn* (version 1.1.0) degraded. live auc 0.70 is 0.11 below its test auc');
    const promoted = slackMessage({ ...base, eventType: 'model.promoted', payload: { modelId: 'churn', previousVersion: '1.1.0', newVersion: '1.2.0', metrics: { auc: 0.83 } } }, null);
    expect(promoted).toBe(':white_check_mark: *churn* 1.2.0 is now active (was 1.1.0). auc 0.8300.');
    expect(slackMessage({ ...base, eventType: 'model.retrain.completed', payload: { modelId: 'churn', decision: 'promoted: auc improved' } }, null)).toBeNull();
  });
});
