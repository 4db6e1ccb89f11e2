import type { Command } from 'commander';
import type { JobWire } from '../../contract/index.js';
import type { Client } from '../client.js';
import { type ClientFlags, addClientOptions, printJson, withClient } from '../command-kit.js';
import { NONE, duration, fields, num } from '../format.js';
import type { CliIo } from '../io.js';
import { RetrainProgress } from '../retrain-progress.js';

/** `retrain` flags (`--no-wait` sets `wait` to false). */
interface RetrainFlags extends ClientFlags {
  readonly force?: boolean;
  readonly wait: boolean;
}

/** Exit code after an interrupt (128 + SIGINT). */
const INTERRUPTED = 130;

/** Register `retrain <model> [--force] [--no-wait]`. */
export function registerRetrainCommand(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('retrain')
      .argument('<model>', 'model id')
      .description('start a retrain and follow it to the end (joins one already running)')
      .option('--force', 'train even with fewer new labels than the model asks for')
      .option('--no-wait', 'print the job id and return without following it'),
  ).action(async (modelId: string, flags: RetrainFlags) =>
    withClient(io, flags, async (client) => {
      const started = await client.retrain(modelId, { force: flags.force === true });
      if (!flags.wait) {
        if (flags.json) printJson(io, started);
        else io.stdout(`${started.joined ? 'Joined the retrain already running' : 'Started a retrain'} of ${modelId}: job ${started.jobId} (${started.status}).\n`);
        if (client.mode === 'direct') {
          // The job runs in this process: leaving now would abort it.
          if (!flags.json) io.stderr('Without --server the retrain runs in this process; waiting for it to end.\n');
          await client.followJob(started.jobId, () => {});
        }
        return 0;
      }
      if (!flags.json) io.stdout(`${started.joined ? 'Following the retrain already running' : 'Retraining'} ${modelId} (job ${started.jobId})\n`);
      const job = await follow(io, client, started.jobId, !flags.json);
      if (job === null) return INTERRUPTED;
      if (flags.json) printJson(io, job);
      else io.stdout(resultText(job));
      return job.status === 'completed' || job.status === 'skipped' ? 0 : 1;
    }),
  );
}

/** Register `log <job>`: a job's log (the output of its command trainer). */
export function registerLogCommand(program: Command, io: CliIo): void {
  addClientOptions(program.command('log').argument('<job>', 'job id').description("print a retrain job's log: its command trainer's standard output and error")).action(
    async (jobId: string, flags: ClientFlags) =>
      withClient(io, flags, async (client) => {
        const log = await client.jobLog(jobId);
        if (flags.json) printJson(io, log);
        else io.stdout(log.log === '' ? `Job ${jobId} (${log.status}) has no log: only command trainers write one.\n` : log.log.endsWith('\n') ? log.log : `${log.log}\n`);
        return 0;
      }),
  );
}

/**
 * Follow a job to its end, printing stages and progress when `show`. An interrupt cancels a job
 * this process runs (direct mode) and merely stops following one a server runs (null).
 */
async function follow(io: CliIo, client: Client, jobId: string, show: boolean): Promise<JobWire | null> {
  const view = new RetrainProgress(io);
  const controller = new AbortController();
  let cancelling = false;
  const stop = io.onInterrupt(() => {
    if (client.mode === 'direct') {
      if (cancelling) return;
      cancelling = true;
      io.stderr('\nCancelling the retrain…\n');
      client.cancelJob(jobId).catch((err: unknown) => io.stderr(`Could not cancel: ${(err as Error).message}\n`));
    } else {
      controller.abort();
    }
  });
  try {
    const job = await client.followJob(jobId, (u) => {
      if (show) view.update(u);
    }, controller.signal);
    if (show) view.finish(job);
    return job;
  } catch (err) {
    if (controller.signal.aborted) {
      io.stderr(`\nStopped following; the retrain goes on on the server. \`refit status\` shows how it ends (job ${jobId}).\n`);
      return null;
    }
    throw err;
  } finally {
    stop();
  }
}

/** What a user reads when the job has ended. */
function resultText(job: JobWire): string {
  const r = job.result;
  switch (job.status) {
    case 'failed':
      return `Failed after ${duration(job.durationMs)}: ${job.error ?? 'unknown error'}\n`;
    case 'cancelled':
      return `Cancelled: ${job.error ?? 'cancelled'}\n`;
    case 'skipped':
      return `Skipped: ${(r?.decision ?? '').replace(/^skipped: /, '')}. Use --force to train anyway.\n`;
    default:
      break;
  }
  if (!r) return `${job.status}\n`;
  const metric = r.primaryMetric;
  const before = r.oldMetrics?.[metric];
  const after = r.newMetrics?.[metric];
  const change = r.improvementPct !== null ? ` (${r.improvementPct >= 0 ? '+' : ''}${num(r.improvementPct)}%)` : '';
  const promoted = r.promoted ? `yes, ${r.newVersion} is now active` : `no: ${r.decision}`;
  return (
    `Completed in ${duration(job.durationMs)}\n` +
    fields([
      ['  Version', `${r.oldVersion ?? NONE} → ${r.newVersion ?? NONE}`],
      [`  ${metric}`, `${num(before)} → ${num(after)}${change}`],
      ['  Promoted', promoted],
      ...(r.promoted ? [['  Decision', r.decision] as const] : []),
      ['  Labels', `${r.labelCount.toLocaleString('en-US')} (${r.trainingSamples.toLocaleString('en-US')} used for training, which took ${duration(r.trainingMs)})`],
    ])
  );
}
