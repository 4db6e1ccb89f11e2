import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandDeclarationSchema } from '../../src/train/command/command-spec.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';
import { PYTHON } from './python.js';

// The "pull" command stands for a script that fetches or fine-tunes a model served elsewhere
// (Ollama, a model registry) and prints the new model's reference as its last line.
const pull = commandDeclarationSchema.parse({
  run: [
    PYTHON,
    '-c',
    "import os; prev = os.environ['REFIT_PREVIOUS_REFERENCE']; n = int(prev.rsplit(':', 1)[1]) + 1 if prev else 1; print('pulling, previous: ' + (prev or 'none'), flush=True); print('registry/assistant:%d' % n)",
  ],
  format: 'reference',
});

describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('externally served models on $name', (dialect) => {
  let t: TestApp;
  const lines: { msg: string; reference?: string }[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    t = await openTestApp(dialect, { commands: { pull }, workRoot: join(mkdtempSync(join(tmpdir(), 'refit-ext-')), 'jobs'), logger });
  });
  afterAll(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const spec = {
    id: 'assistant',
    task: 'binary',
    serving: 'external',
    features: [{ name: 'promptLength', type: 'number' }],
    trainer: { type: 'command', params: { command: 'pull' } },
    // A schedule that never comes due here (enabled: false would stop trigger-started retrains too).
    retrain: { schedule: '0 0 1 1 *', minNewLabels: 1, triggers: { rate: { windowHours: 1 }, performance: { enabled: false }, drift: { enabled: false } } },
  };

  it('refuses an external model whose command is not a reference command, and a reference command for a served model', async () => {
    const res = await req('POST', '/api/v1/models', { ...spec, id: 'x', serving: 'refit' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/trainer/params/command', message: 'command \'pull\' prints a model reference; only an externally served model ("serving": "external") can use it' }]);
    const logistic = await req('POST', '/api/v1/models', { ...spec, id: 'x', trainer: 'logistic' });
    expect(logistic.json().errors).toContainEqual({ path: '/trainer/type', message: "an externally served model retrains through a command of format 'reference' (trainer type 'command')" });
  });

  it("records the command's reference as a version, serves no scores, and takes outcomes by version", async () => {
    expect((await req('POST', '/api/v1/models', spec)).statusCode).toBe(201);
    await req('POST', '/api/v1/models/assistant/retrain', { force: true });
    await t.parts.queue.whenIdle();
    const versions = (await req('GET', '/api/v1/models/assistant/versions')).json();
    expect(versions.items[0]).toMatchObject({ status: 'active', trainer: { type: 'external', params: { command: 'pull', reference: 'registry/assistant:1' } } });
    const scored = await req('POST', '/api/v1/models/assistant/score', { items: [{ features: { promptLength: 10 } }] });
    expect(scored.statusCode).toBe(409);
    expect(scored.json().code).toBe('EXTERNAL_SERVING');
    const noVersion = await req('POST', '/api/v1/models/assistant/labels', { items: [{ label: 1 }, { version: 'nope', label: 0 }] });
    expect(noVersion.statusCode).toBe(400);
    expect(noVersion.json().errors).toEqual([
      { path: '/items/0', message: 'needs the version that served it (and optionally its features)' },
      { path: '/items/0/version', message: 'an externally served model takes outcomes with the version that served them' },
      { path: '/items/1/version', message: "model 'assistant' has no version 'nope'" },
    ]);
  });

  it('starts its command at the next hourly check when the accept rate falls; the new version, the event and the log line are there', async () => {
    const v1 = (await req('GET', '/api/v1/models/assistant/versions')).json().activeVersion as string;
    t.clock.set('2026-11-23T11:00:30Z');
    // Three hourly windows with feedback, 4 accepts in 10 each: the mean 0.4 is below 0.6.
    const items = ['07', '08', '09'].flatMap((h) => Array.from({ length: 10 }, (_, i) => ({ version: v1, label: i < 4 ? 1 : 0, occurredAt: `2026-11-23T${h}:${String(10 + i)}:00Z` })));
    expect((await req('POST', '/api/v1/models/assistant/labels', { items })).statusCode).toBe(201);
    const perf = (await req('GET', '/api/v1/models/assistant/performance?window=1h&windows=5')).json();
    expect(perf.windows.filter((w: { acceptRate: number | null }) => w.acceptRate === 0.4)).toHaveLength(3);

    await t.parts.scheduler.tick();
    await t.parts.queue.whenIdle();
    const [check] = (await req('GET', '/api/v1/models/assistant/checks?limit=3')).json().items.filter((c: { kind: string }) => c.kind === 'rate');
    expect(check).toMatchObject({ decision: 'fire', reason: 'accept rate averages 0.4 over the last 3 windows, below 0.6' });
    const job = (await req('GET', `/api/v1/jobs/${check.jobId}`)).json();
    expect(job).toMatchObject({ status: 'completed', trigger: 'performance', result: { promoted: true, oldVersion: v1 } });
    const v2 = job.result.newVersion as string;
    const versions = (await req('GET', '/api/v1/models/assistant/versions')).json();
    expect(versions.activeVersion).toBe(v2);
    expect(versions.items[0].trainer.params.reference).toBe('registry/assistant:2');
    expect((await req('GET', `/api/v1/jobs/${job.id}/log`)).json().log).toContain('pulling, previous: registry/assistant:1');
    const events = (await t.refit.events(0)).filter((e) => e.runId === job.id).map((e) => e.eventType);
    expect(events).toEqual(expect.arrayContaining(['model.retrain.triggered', 'model.retrain.completed', 'model.retrained', 'model.promoted']));
    expect(lines).toContainEqual(expect.objectContaining({ msg: `externally served model 'assistant' retrained by its command: version ${v2} is the reference 'registry/assistant:2'`, reference: 'registry/assistant:2' }));
  });
});
