import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { startServer } from '../../src/server.js';
import { createRefit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';
import { CHURN_SPEC, type CliRun, churnCsv, refit, tempDir } from './cli-harness.js';

const VERSION = /1\.0\.0-\d{14}/;
const SECOND = /1\.1\.0-\d{14}/;

/**
 * Each mode sets up a data directory holding the churn model and returns the flags that point
 * the CLI at it: the directory itself (direct) or a server on it (http).
 */
interface Mode {
  readonly name: 'direct' | 'http';
  setUp(dir: string): Promise<{ flags: string[]; close: () => Promise<void> }>;
}

const MODES: readonly Mode[] = [
  {
    name: 'direct',
    async setUp(dir) {
      const store = await createStore({ url: `sqlite:${join(dir, 'refit.db')}` });
      const lib = createRefit({ store }).refit;
      await lib.createModel(CHURN_SPEC);
      await lib.createModel({ ...CHURN_SPEC, id: 'plans', features: [{ name: 'plan', type: 'category' }] });
      await lib.close();
      return { flags: ['--data-dir', dir], close: async () => {} };
    },
  },
  {
    name: 'http',
    async setUp(dir) {
      const server = await startServer(loadSettings({}, { port: 0, dataDir: dir, logLevel: 'silent' }), { cwd: dir });
      await server.refit.createModel(CHURN_SPEC);
      await server.refit.createModel({ ...CHURN_SPEC, id: 'plans', features: [{ name: 'plan', type: 'category' }] });
      return { flags: ['--server', server.url], close: () => server.close() };
    },
  },
];

describe.each(MODES)('client commands ($name)', (mode) => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let env: { flags: string[]; close: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
    env = await mode.setUp(tmp.dir);
  });
  afterEach(async () => {
    await env.close();
    await tmp.remove();
  });

  /** `refit <args> <mode flags>` from the temp directory. */
  const run = (...args: string[]): Promise<CliRun> => refit([...args, ...env.flags], { cwd: tmp.dir });
  const file = async (name: string, text: string) => {
    await writeFile(join(tmp.dir, name), text);
    return name;
  };
  const newLabels = async () => (JSON.parse((await run('status', 'churn', '--json')).out) as { newLabels: number }).newLabels;

  it('ingests a CSV file, converting cells to the feature types', async () => {
    const csv = await file('labels.csv', churnCsv(300, 1) + ',team,0\n' + '33,,true\n');
    const r = await run('ingest', 'churn', csv);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('Stored 302 labels for churn from labels.csv.\n');
    expect(await newLabels()).toBe(302);

    const status = await run('status', 'churn');
    expect(status.out).toMatch(/^New labels: +302 \(5 needed to retrain\)$/m);
  });

  it('refuses a CSV with bad rows, naming each line, and stores nothing', async () => {
    const csv = await file('bad.csv', 'age,plan,label\n31,pro,1\n44,basic,0\nabc,team,1\n50,pro,0\n61,basic,maybe\n');
    const r = await run('ingest', 'churn', csv);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('line 4: /features/age: must be a finite number, got "abc"');
    expect(r.err).toContain('line 6: /label: a binary label must be 0, 1, true or false, got "maybe"');
    expect(r.err).not.toMatch(/line [235]:/);
    expect(r.err).toContain('Nothing from bad.csv was stored.');
    expect(await newLabels()).toBe(0);
  });

  it('refuses a CSV with a quote that is never closed, naming the line it opens on', async () => {
    const csv = await file('open.csv', 'age,plan,label\r\n31,pro,1\r\n\r\n44,"basic\r\n50,pro,0\r\n');
    const r = await run('ingest', 'churn', csv);
    expect(r).toEqual({ code: 1, out: '', err: 'The file is not valid CSV: open.csv, line 4: a quoted field is never closed\n' });
    expect(await newLabels()).toBe(0);
  });

  it('sends big files in batches and, when a later batch is refused, says which rows were stored', async () => {
    const csv = await file('batches.csv', 'age,plan,label\n31,pro,1\n44,basic,0\n52,team,1\n61,basic,x\n27,pro,0\n');
    const r = await run('ingest', 'churn', csv, '--batch-size', '2');
    expect(r.code).toBe(1);
    expect(r.err).toContain('  line 5: /label: a binary label must be 0, 1, true or false, got "x"\n');
    expect(r.err).toContain('2 rows up to line 3 were stored before; the rest of batches.csv was not sent.\n');
    expect(await newLabels()).toBe(2);

    const ok = await run('ingest', 'churn', await file('more.csv', churnCsv(5, 9)), '--batch-size', '2');
    expect(ok.out).toBe('Stored 5 labels for churn from more.csv in 3 batches.\n');
    expect(await newLabels()).toBe(7);
  });

  it('refuses a CSV whose header names an unknown column before sending anything', async () => {
    const csv = await file('typo.csv', 'age,pln,label\n31,pro,1\n');
    const r = await run('ingest', 'churn', csv);
    expect(r.code).toBe(1);
    expect(r.err).toContain("column 2: 'pln' is not a feature of churn (features: age, plan)");
    expect(await newLabels()).toBe(0);
  });

  it('ingests NDJSON and reports a line that is not JSON', async () => {
    const good = await file('labels.ndjson', '{"features":{"age":30,"plan":"pro"},"label":0}\n\n{"features":{"age":70,"plan":"basic"},"label":1}\n');
    expect((await run('ingest', 'churn', good)).out).toBe('Stored 2 labels for churn from labels.ndjson.\n');
    const bad = await file('bad.jsonl', '{"features":{"age":30,"plan":"pro"},"label":0}\n{"features":\n');
    const r = await run('ingest', 'churn', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ {2}line 2: \/: is not valid JSON/m);
    expect(await newLabels()).toBe(2);
  });

  it('retrains, following the stages to the new version, which status, versions and score then show', async () => {
    await run('ingest', 'churn', await file('labels.csv', churnCsv(300, 1)));

    const r = await run('retrain', 'churn');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^Retraining churn \(job \S+\)$/);
    const stages = ['loading labels', 'training', 'validating', 'promoting'].map((s) => lines.indexOf(`  ${s}`));
    expect(stages.every((i) => i > 0)).toBe(true);
    expect([...stages].sort((a, b) => a - b)).toEqual(stages);
    expect(r.out).toMatch(/^Completed in /m);
    expect(r.out).toMatch(new RegExp(`^ {2}Version: +— → ${VERSION.source}$`, 'm'));
    expect(r.out).toMatch(/^ {2}auc: +— → 0\.\d+$/m);
    expect(r.out).toMatch(new RegExp(`^ {2}Promoted: +yes, ${VERSION.source} is now active$`, 'm'));
    const version = VERSION.exec(r.out)![0];

    const status = await run('status', 'churn');
    expect(status.out).toMatch(new RegExp(`^Active version: +${version}$`, 'm'));
    expect(status.out).toMatch(/^Status: +completed$/m);

    const versions = await run('versions', 'churn');
    expect(versions.out).toMatch(new RegExp(`^\\* +${version} +active +0\\.\\d+ +300 +logistic`, 'm'));

    const scored = await run('score', 'churn', '--features', '{"age": 70, "plan": "basic"}');
    expect(scored.code).toBe(0);
    expect(scored.out).toMatch(new RegExp(`^1 +0\\.\\d+ +${version} +[0-9a-f-]{36}$`, 'm'));

    const json = JSON.parse((await run('score', 'churn', '--features', '[{"age": 20, "plan": "pro"}, {"age": 75}]', '--json')).out) as { version: string; score: number }[];
    expect(json.map((s) => s.version)).toEqual([version, version]);
    expect(json[1].score).toBeGreaterThan(json[0].score);

    const models = await run('models');
    expect(models.out).toMatch(new RegExp(`^churn +binary +${version} +logistic +2 `, 'm'));
    const history = await run('history', 'churn');
    expect(history.out).toMatch(/^JOB +STATUS +TRIGGER +ATTEMPTS +CREATED +DURATION +VERSION +OUTCOME +STAGES$/m);
    // Trigger, attempts, and each stage with its duration.
    const d = String.raw`(\d+ms|\d+\.\ds|\d+m \d\ds)`;
    expect(history.out).toMatch(
      new RegExp(`completed +manual +1 +.* ${version} +promoted +loading labels ${d}, training ${d}, validating ${d}, promoting ${d}$`, 'm'),
    );
  });

  it('scores rows from a CSV file, each with the line it came from', async () => {
    const rows = await file('rows.csv', 'plan,age\npro,30\nbasic,\n');
    const r = await run('score', 'churn', '--file', rows);
    expect(r.code).toBe(0);
    // No version yet: the default score, and the output says so.
    expect(r.out).toMatch(/^line 2 +0\.5 +— \(default score\) +\S+$/m);
    expect(r.out).toMatch(/^line 3 +0\.5 +— \(default score\) +\S+$/m);
  });

  it('skips a retrain without enough new labels (exit 0) and reports a failed one (exit 1)', async () => {
    const skipped = await run('retrain', 'churn');
    expect(skipped.code).toBe(0);
    expect(skipped.out).toContain('Skipped: 0 new labels since the last retrain, 5 needed. Use --force to train anyway.');

    // A classifier cannot learn from one class: the retrain fails and says why.
    await run('ingest', 'churn', await file('one-class.csv', 'age,plan,label\n' + '30,pro,0\n40,team,0\n50,basic,0\n60,pro,0\n70,team,0\n'.repeat(2)));
    const failed = await run('retrain', 'churn');
    expect(failed.code).toBe(1);
    const reason = 'Every label in the training window is the same class; a classifier needs at least two.';
    expect(failed.out).toMatch(/^Failed after \S+: Every label in the training window is the same class/m);
    expect(failed.out).toContain(reason);

    const json = JSON.parse((await run('history', 'churn', '--json')).out) as { items: { status: string; error: string }[] };
    expect(json.items.map((j) => j.status)).toEqual(['failed', 'skipped']);
    expect(json.items[0].error).toBe(reason);
    const history = (await run('history', 'churn')).out;
    // The failed job lists the stages it finished (training, where it failed, is not recorded on the job).
    expect(history).toMatch(/ failed +manual +1 .* — +Every label in the training window.* +loading labels \d+ms$/m);
    expect(history).toMatch(/ skipped +manual +1 .* — +skipped +loading labels \d+ms$/m);
  });

  it('rolls back to the previous version and scores with it', async () => {
    await run('ingest', 'churn', await file('a.csv', churnCsv(200, 1)));
    expect((await run('retrain', 'churn')).code).toBe(0);
    await run('ingest', 'churn', await file('b.csv', churnCsv(100, 2)));
    const second = await run('retrain', 'churn', '--json');
    expect(second.code).toBe(0);
    const job = JSON.parse(second.out) as { status: string; result: { oldVersion: string; newVersion: string; promoted: boolean } };
    expect(job.status).toBe('completed');
    expect(job.result.newVersion).toMatch(SECOND);
    expect(job.result.promoted).toBe(true);
    const { oldVersion: first, newVersion: latest } = job.result;

    const r = await run('rollback', 'churn');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`churn: ${latest} → ${first} is now active (rollback to the previous version requested).\n`);
    expect((await run('versions', 'churn')).out).toContain(`* active: ${first}\n`);
    const scored = JSON.parse((await run('score', 'churn', '--features', '{"age": 40, "plan": "team"}', '--json')).out) as { version: string }[];
    expect(scored[0].version).toBe(first);

    const forward = await run('rollback', 'churn', '--version', latest);
    expect(forward.out).toContain(`→ ${latest} is now active`);
    const missing = await run('rollback', 'churn', '--version', '9.9.9');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("Model version not found: Model 'churn' has no version '9.9.9'.\n");
  });

  it('prints the same title: detail for errors in both modes, and field problems as path: message', async () => {
    const r = await run('status', 'nope');
    expect(r).toEqual({ code: 1, out: '', err: "Model not found: Model 'nope' does not exist.\n" });

    const bad = await run('score', 'churn', '--features', '{"age": "old", "colour": "red"}');
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      'The request failed validation: The request was refused: 2 problems.\n' +
        "  /items/0/features/colour: unknown feature 'colour'\n" +
        '  /items/0/features/age: must be a finite number, got "old"\n',
    );
  });

  it("lists every model's default schedule with its next run, and one model's with --model", async () => {
    const r = await run('schedules');
    expect(r).toMatchObject({ code: 0, err: '' });
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +MODEL +KIND +SCHEDULE +ENABLED +LAST RUN +NEXT RUN$/);
    const next = String.raw`\d{4}-\d\d-\d\d \d\d:\d\dZ`;
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^churn/default +churn +retrain +daily at 06:00 \\(\\S+\\) +yes +— +${next}$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^plans/default +plans +retrain +daily at 06:00 \\(\\S+\\) +yes +— +${next}$`)));

    type Listed = { id: string; modelId: string; kind: string; default: boolean; description: string; nextRunAt: string; lastRunAt: string | null };
    const one = JSON.parse((await run('schedules', '--model', 'churn', '--json')).out) as Listed[];
    expect(one.every((x) => x.modelId === 'churn')).toBe(true);
    const own = one.find((x) => x.id === 'churn/default')!;
    expect(own).toMatchObject({ id: 'churn/default', modelId: 'churn', kind: 'retrain', default: true, lastRunAt: null, description: expect.stringMatching(/^daily at 06:00 /) as unknown });
    expect(Date.parse(own.nextRunAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(own.nextRunAt) - Date.now()).toBeLessThanOrEqual(25 * 3600 * 1000);

    const missing = await run('schedules', '--model', 'nope');
    expect(missing).toEqual({ code: 1, out: '', err: "Model not found: Model 'nope' does not exist.\n" });
  });

  it('reports drift and live performance: why not yet, then per feature and per window', async () => {
    const before = await run('drift', 'churn');
    expect(before).toMatchObject({ code: 0, err: '' });
    expect(before.out).toMatch(/^Drift: +not computed: no active version yet$/m);

    await run('ingest', 'churn', await file('labels.csv', churnCsv(300, 1)));
    expect((await run('retrain', 'churn')).code).toBe(0);
    const scored = JSON.parse((await run('score', 'churn', '--features', '{"age": 41, "plan": "pro"}', '--json')).out) as { scoreId: string; version: string }[];
    expect(scored[0].version).toMatch(VERSION);
    const few = await run('drift', 'churn');
    expect(few.out).toMatch(/^Drift: +not computed: 1 scores by 1\.0\.0-\d{14} in the window; 100 needed$/m);

    const none = await run('performance', 'churn', '--window', '1d', '--windows', '3');
    expect(none.out).toMatch(/^Primary metric: +auc$/m);
    expect(none.out).toMatch(/^No labelled outcomes in the last 3 windows/m);
    await run('ingest', 'churn', await file('outcome.ndjson', JSON.stringify({ scoreId: scored[0].scoreId, label: 1 }) + '\n'));
    const perf = await run('performance', 'churn', '--window', '1d');
    expect(perf.code).toBe(0);
    expect(perf.out).toMatch(new RegExp(`^\\S+ \\S+ +${VERSION.source} +1 +— +0\\.\\d+ +1$`, 'm'));

    // 120 scores of older customers on the pro plan: both inputs have moved.
    const rows = Array.from({ length: 120 }, (_, i) => JSON.stringify({ age: 80 + (i % 10), plan: 'pro' })).join('\n') + '\n';
    expect((await run('score', 'churn', '--file', await file('rows.ndjson', rows))).code).toBe(0);
    const moved = await run('drift', 'churn');
    expect(moved.out).toMatch(/^Drifted: +yes: 2 of 2 features \(100%; the model counts as drifted from 50%\)$/m);
    expect(moved.out).toMatch(/^age +number +ks +0?\.\d+ .* yes$/m);
    expect(moved.out).toMatch(/^plan +category +chi2 .* yes$/m);
    expect(moved.out).toMatch(/^\(score\) +number /m);

    const json = JSON.parse((await run('performance', 'churn', '--json')).out);
    expect(json).toMatchObject({ modelId: 'churn', primaryMetric: 'auc', windowHours: 24 });
    expect((await run('performance', 'churn', '--window', '3 days')).err).toMatch(/1h, 24h or 7d/);
  });

  it('shows the timeline and force-promotes a retained version with a reason', async () => {
    expect((await run('timeline', 'churn')).out).toBe('churn has no timeline yet: nothing has been activated.\n');
    await run('ingest', 'churn', await file('labels.csv', churnCsv(300, 1)));
    expect((await run('retrain', 'churn')).code).toBe(0);
    await run('ingest', 'churn', await file('more.csv', churnCsv(60, 2)));
    expect((await run('retrain', 'churn')).code).toBe(0);
    const versions = JSON.parse((await run('versions', 'churn', '--json')).out) as { activeVersion: string; items: { version: string }[] };
    const other = versions.items.map((v) => v.version).find((v) => v !== versions.activeVersion)!;
    expect(other).toMatch(VERSION);

    const noReason = await run('promote', 'churn', other);
    expect(noReason.code).toBe(1);
    expect(noReason.err).toMatch(/required option '--reason <text>'/);
    const unknown = await run('promote', 'churn', '9.9.9-x', '--reason', 'test');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/not found/i);

    const promoted = await run('promote', 'churn', other, '--reason', 'the new one misranks our biggest accounts');
    expect(promoted.err).toBe('');
    expect(promoted.out).toMatch(new RegExp(`^churn: ${versions.activeVersion.replace(/\./g, '\\.')} → ${other.replace(/\./g, '\\.')} is now active \\(forced: the new one misranks our biggest accounts\\)\\.$`, 'm'));
    const timeline = await run('timeline', 'churn');
    const lines = timeline.out.trim().split('\n');
    expect(lines[0]).toMatch(/^AT +ACTION +VERSION +FROM +BY +WHY$/);
    expect(lines[1]).toMatch(new RegExp(`^\\S+ \\S+ +force-promote +${other.replace(/\./g, '\\.')} +\\S+ +cli +forced: the new one misranks`));
    expect(timeline.out).toMatch(/ promote +1\.0\.0-\d{14} +— +retrain:manual /);
    expect(JSON.parse((await run('status', 'churn', '--json')).out).activeVersion).toBe(other);
  });

  it('lists models as JSON with --json', async () => {
    const r = await run('models', '--json');
    const models = JSON.parse(r.out) as { id: string; activeVersion: string | null; features: unknown[] }[];
    expect(models.map((m) => m.id).sort()).toEqual(['churn', 'plans']);
    expect(models.find((m) => m.id === 'churn')).toMatchObject({ activeVersion: null, features: CHURN_SPEC.features });
  });
});

describe('choosing the mode', () => {
  it('uses $REFIT_URL from the environment and says when no server answers', async () => {
    const tmp = await tempDir();
    try {
      const server = await startServer(loadSettings({}, { port: 0, dataDir: tmp.dir, logLevel: 'silent' }), { cwd: tmp.dir });
      const url = server.url;
      try {
        await server.refit.createModel(CHURN_SPEC);
        const r = await refit(['models'], { cwd: tmp.dir, env: { REFIT_URL: url } });
        expect(r.out).toMatch(/^churn +binary +— +logistic/m);
      } finally {
        await server.close();
      }
      const down = await refit(['models'], { cwd: tmp.dir, env: { REFIT_URL: url } });
      expect(down.code).toBe(1);
      expect(down.err).toMatch(/^The Refit server cannot be reached: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/models failed \(ECONNREFUSED\)/);
    } finally {
      await tmp.remove();
    }
  });

  it('refuses to open a data directory that holds no database instead of creating one', async () => {
    const tmp = await tempDir();
    try {
      const r = await refit(['models', '--data-dir', 'nowhere'], { cwd: tmp.dir });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`No Refit data here: There is no database at ${join(tmp.dir, 'nowhere', 'refit.db')}.`);
    } finally {
      await tmp.remove();
    }
  });
});
