import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { mulberry32 } from '../../src/data/random.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

const SPEC = {
  id: 'churn',
  task: 'binary',
  features: [{ name: 'age', type: 'number' }],
  trainer: { type: 'logistic' },
  retrain: { minNewLabels: 50 },
};

function rows(n: number, seed: number) {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const age = Math.round(18 + rnd() * 60);
    return { features: { age }, label: rnd() < 1 / (1 + Math.exp(-(age - 45) / 8)) ? 1 : 0 };
  });
}

afterAll(dropTestSchemas);

describe.each(DIALECTS)('what a retrain logs ($name)', (dialect) => {
  let refit: Refit;
  let parts: RefitParts;
  let lines: LogLine[];
  beforeEach(async () => {
    lines = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    ({ refit, parts } = createRefit({ store: await dialect.open(), clock: new ManualClock('2026-11-23T06:00:00Z'), executor: inlineExecutor, logger }));
    await refit.createModel(SPEC);
  });
  afterEach(async () => {
    await refit.close();
  });

  async function retrain(): Promise<string[]> {
    lines.length = 0;
    await refit.retrain('churn');
    await parts.queue.whenIdle();
    return lines.filter((l) => l.level >= 30).map((l) => l.msg);
  }

  it('two readable info lines: started, then finished with the version and the decision', async () => {
    await refit.addLabels('churn', rows(300, 1));
    const msgs = await retrain();
    expect(msgs).toEqual(["retrain of 'churn' started (manual)", expect.stringMatching(/^retrain of 'churn' finished: version \S+, promoted: /)]);
    const version = (await refit.getModel('churn')).activeVersion;
    expect(msgs[1]).toContain(`version ${version}, `);
  });

  it('says why it skipped', async () => {
    await refit.addLabels('churn', rows(10, 2));
    expect(await retrain()).toEqual(["retrain of 'churn' started (manual)", "retrain of 'churn' skipped: 10 new labels since the last retrain, 50 needed"]);
  });
});
