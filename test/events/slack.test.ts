import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../src/domain/clock.js';
import { slackSink } from '../../src/events/delivery/http-sinks.js';
import { DEFAULT_SLACK_EVENTS } from '../../src/events/delivery/slack-message.js';
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
  });
});
