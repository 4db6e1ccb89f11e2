import type { Command } from 'commander';
import { primaryMetric } from '../../evaluate/metrics.js';
import type { JobWire, WorkerWire } from '../../contract/index.js';
import { type ClientFlags, addClientOptions, integerOption, printJson, withClient } from '../command-kit.js';
import { NONE, duration, fields, num, plural, table, when } from '../format.js';
import type { CliIo } from '../io.js';

/** The first clause of a decision (`promoted`, `rejected`, `skipped`…) or the error of a failed job. */
export function jobOutcome(job: JobWire): string {
  if (job.status === 'failed' || job.status === 'cancelled') return job.error ?? job.status;
  const decision = job.result?.decision;
  if (!decision) return job.status === 'pending' || job.status === 'running' ? (job.stage ?? job.status) : NONE;
  return decision.split(':')[0];
}

/** Each stage the job went through with how long it took (`loading labels 12ms, training 1.2s`); `—` when none. */
export function stageDurations(job: JobWire): string {
  return job.stages.length === 0 ? NONE : job.stages.map((s) => `${s.name} ${duration(s.durationMs)}`).join(', ');
}

/** Register `models`, `status`, `history`, `versions` and `rollback`. */
export function registerModelCommands(program: Command, io: CliIo): void {
  addClientOptions(program.command('models').description('list the models'))
    .action(async (flags: ClientFlags) =>
      withClient(io, flags, async (client) => {
        const models = await client.listModels();
        if (flags.json) return printJson(io, models);
        if (models.length === 0) {
          io.stdout('No models yet. Declare them in refit.config.yaml (`refit init` writes an example) and run `refit serve`.\n');
          return;
        }
        io.stdout(
          table(
            ['ID', 'TASK', 'ACTIVE VERSION', 'TRAINER', 'FEATURES', 'UPDATED'],
            models.map((m) => [m.id, m.task, m.activeVersion ?? NONE, m.trainer.type, String(m.features.length), when(m.updatedAt)]),
          ),
        );
      }),
    );

  addClientOptions(program.command('status').argument('<model>', 'model id').description("show a model's active version and retrain status"))
    .action(async (modelId: string, flags: ClientFlags) =>
      withClient(io, flags, async (client) => {
        const s = await client.status(modelId);
        if (flags.json) return printJson(io, s);
        const rows: [string, string][] = [
          ['Model', s.modelId],
          ['Status', s.status],
          ['Active version', s.activeVersion ?? `${NONE} (the default score is served)`],
          ['New labels', `${s.newLabels.toLocaleString('en-US')} (${s.minNewLabels} needed to retrain)`],
        ];
        const cur = s.currentJob;
        if (cur) {
          const progress = cur.stage === 'training' && cur.progress !== null ? ` ${Math.floor(cur.progress * 100)}%` : '';
          rows.push(['Current job', `${cur.id} ${cur.status}${cur.stage ? `, ${cur.stage}${progress}` : ''}`]);
        }
        const last = s.lastJob;
        if (last) {
          rows.push(['Last job', `${last.id} ${last.status} ${when(last.finishedAt)} (${duration(last.durationMs)})`]);
          if (last.result) {
            const r = last.result;
            if (r.newVersion) rows.push(['Last result', `${r.oldVersion ?? NONE} → ${r.newVersion}, ${r.primaryMetric} ${num(r.oldMetrics?.[r.primaryMetric])} → ${num(r.newMetrics?.[r.primaryMetric])}`]);
            rows.push(['Decision', r.decision]);
          } else if (last.error) rows.push(['Error', last.error]);
        }
        // Retrains run on `refit worker` processes: say which are alive and what they run.
        const workers = await client.workers();
        if (workers.mode === 'workers') {
          rows.push(['Workers', workers.items.length === 0 ? 'none alive: retrains wait on the queue' : String(workers.items.length)]);
          for (const w of workers.items) rows.push(['Worker', workerLine(w)]);
        }
        io.stdout(fields(rows));
      }),
    );

  addClientOptions(program.command('workers').description('list the worker processes running retrains: id, host, current job, last heartbeat')).action(async (flags: ClientFlags) =>
    withClient(io, flags, async (client) => {
      const workers = await client.workers();
      if (flags.json) return printJson(io, workers);
      if (workers.mode === 'in-process') {
        io.stdout('No workers: the server runs retrains in its own process.\n');
        return;
      }
      if (workers.items.length === 0) {
        io.stdout('No worker is alive: retrains wait on the queue until one starts (refit worker).\n');
        return;
      }
      io.stdout(table(['ID', 'HOST', 'PID', 'CURRENT JOB', 'LAST HEARTBEAT'], workers.items.map((w) => [w.id, w.host, String(w.pid), w.currentJob ? `${w.currentJob.jobId} (${w.currentJob.modelId})` : NONE, when(w.heartbeatAt)])));
    }),
  );

  addClientOptions(
    program
      .command('history')
      .argument('<model>', 'model id')
      .description("list a model's retrain jobs, newest first")
      .option('--limit <n>', 'jobs to show (1-200)', integerOption(1, 200), 20)
      .option('--offset <n>', 'jobs to skip', integerOption(0, Number.MAX_SAFE_INTEGER), 0),
  ).action(async (modelId: string, flags: ClientFlags & { limit: number; offset: number }) =>
    withClient(io, flags, async (client) => {
      const page = await client.history(modelId, { limit: flags.limit, offset: flags.offset });
      if (flags.json) return printJson(io, page);
      if (page.items.length === 0) {
        io.stdout(page.total === 0 ? `${modelId} has not been retrained yet.\n` : `No jobs after the first ${flags.offset} (${plural(page.total, 'job')}).\n`);
        return;
      }
      io.stdout(
        table(
          ['JOB', 'STATUS', 'TRIGGER', 'ATTEMPTS', 'CREATED', 'DURATION', 'VERSION', 'OUTCOME', 'STAGES'],
          page.items.map((j) => [
            j.id,
            j.status,
            j.trigger,
            String(j.attempts),
            when(j.createdAt),
            duration(j.durationMs),
            j.result?.newVersion ?? NONE,
            truncate(jobOutcome(j), 60),
            stageDurations(j),
          ]),
        ),
      );
      if (page.total > page.items.length) io.stdout(`Showing ${flags.offset + 1}-${flags.offset + page.items.length} of ${plural(page.total, 'job')}.\n`);
    }),
  );

  addClientOptions(program.command('versions').argument('<model>', 'model id').description("list a model's versions, newest first"))
    .action(async (modelId: string, flags: ClientFlags) =>
      withClient(io, flags, async (client) => {
        const model = await client.getModel(modelId);
        const v = await client.versions(modelId);
        if (flags.json) return printJson(io, v);
        if (v.items.length === 0) {
          io.stdout(`${modelId} has no versions yet: add labels and run \`refit retrain ${modelId}\`.\n`);
          return;
        }
        const metric = primaryMetric(model.task);
        io.stdout(
          table(
            ['', 'VERSION', 'STATUS', metric.toUpperCase(), 'LABELS', 'TRAINER', 'CREATED'],
            v.items.map((x) => [x.version === v.activeVersion ? '*' : '', x.version, x.status, num(x.metrics[metric]), x.labelCount.toLocaleString('en-US'), x.trainer.type, when(x.createdAt)]),
          ),
        );
        io.stdout(v.activeVersion ? `* active: ${v.activeVersion}\n` : 'No version is active: the default score is served.\n');
      }),
    );

  addClientOptions(
    program
      .command('rollback')
      .argument('<model>', 'model id')
      .description('make an earlier version active again')
      .option('--version <version>', 'the version to activate (default: the one active before the current one)'),
  ).action(async (modelId: string, flags: ClientFlags & { version?: string }) =>
    withClient(io, flags, async (client) => {
      const a = await client.rollback(modelId, flags.version);
      if (flags.json) return printJson(io, a);
      io.stdout(`${modelId}: ${a.fromVersion ?? NONE} → ${a.toVersion} is now active (${a.reason}).\n`);
    }),
  );
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

/** One worker on a line: id, host, what it runs, when it last said so. */
function workerLine(w: WorkerWire): string {
  return `${w.id} on ${w.host}: ${w.currentJob ? `running ${w.currentJob.jobId} (${w.currentJob.modelId})` : 'idle'}, heartbeat ${when(w.heartbeatAt)}`;
}
