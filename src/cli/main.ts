import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { RefitError } from '../errors.js';
import { ClientError } from './client-error.js';
import { CliExit, UsageError } from './command-kit.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerIngestCommand } from './commands/ingest.js';
import { registerInitCommand } from './commands/init.js';
import { registerModelCommands } from './commands/models.js';
import { registerMonitorCommands } from './commands/monitor.js';
import { registerLogCommand, registerRetrainCommand } from './commands/retrain.js';
import { registerRolloutCommands } from './commands/rollout.js';
import { registerSchedulesCommand } from './commands/schedules.js';
import { registerStorageCommand } from './commands/storage.js';
import { registerWebhooksCommand } from './commands/webhooks.js';
import { registerScoreCommand } from './commands/score.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';
import { problemText } from './format.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';

/** The package version (the same file from src/cli and dist/cli). */
const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const HELP_AFTER = `
Client commands (models, status, history, versions, rollback, score, ingest, retrain,
schedules, drift, performance, timeline, promote, webhooks, storage) talk to a running server when --server URL or $REFIT_URL is set; otherwise they
open the data directory (--data-dir, default $REFIT_DATA_DIR or ./data) in this process.
Add --json for JSON output. Against a server that requires keys, set $REFIT_API_KEY (or --api-key).

Examples:
  refit init                                   write refit.config.yaml with an example model
  refit serve --port 8080                      run the server (loads refit.config.yaml)
  refit serve --no-training                    API only; retrains go to \`refit worker\` processes (REFIT_REDIS_URL)
  refit worker                                 run retrains taken from the shared queue
  refit ingest churn labels.csv                send labelled rows (CSV header: features…, label)
  refit retrain churn                          retrain now and follow it to the end
  refit score churn --features '{"age": 42, "plan": "pro"}'
  refit rollback churn                         go back to the previous version
  refit timeline churn                         who activated which version when, and why
  refit schedules --model churn                when churn last retrained on schedule and retrains next
  refit drift churn                            which inputs moved since the active version was trained
  refit performance churn --window 1d          live metrics per version per day against their baselines
  refit keys create --name ops --scope admin   make an API key (printed once) on the data directory
  refit webhooks add https://ops.example.com/refit --events model.retrained,model.rollback
                                               send those events there, signed; prints the secret once
  refit storage --why                          database size, what retention keeps of each model and why
  refit storage prune --dry-run                how many old scores and labels a prune would delete now
`;

/** The `refit` command with every subcommand, writing through `io` and never exiting the process. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('refit')
    .description('Refit keeps machine-learning models fresh: retrains, validates, promotes and serves them.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride()
    .showHelpAfterError('(refit --help shows the commands; refit <command> --help their options)')
    .enablePositionalOptions()
    .addHelpText('after', HELP_AFTER);
  program.helpCommand('help [command]', 'show help for a command');
  registerServeCommand(program, io);
  registerWorkerCommand(program, io);
  registerInitCommand(program, io);
  registerModelCommands(program, io);
  registerScoreCommand(program, io);
  registerIngestCommand(program, io);
  registerRetrainCommand(program, io);
  registerLogCommand(program, io);
  registerSchedulesCommand(program, io);
  registerMonitorCommands(program, io);
  registerRolloutCommands(program, io);
  registerKeysCommands(program, io);
  registerWebhooksCommand(program, io);
  registerStorageCommand(program, io);
  return program;
}

/**
 * Run the CLI with the user's arguments (without `node` and the script) and return the exit
 * code: 0 on success, 1 on failure with the reason printed to stderr.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    return reportFailure(io, err);
  }
}

function reportFailure(io: CliIo, err: unknown): number {
  if (err instanceof CliExit) return err.code;
  // Commander has already printed its own usage errors, help and version.
  if (err instanceof CommanderError) return err.exitCode;
  if (err instanceof UsageError) {
    io.stderr(`error: ${err.message}\n`);
    return 1;
  }
  const known = err instanceof RefitError ? ClientError.fromRefitError(err) : err;
  if (known instanceof ClientError) {
    io.stderr(problemText(known.title, known.message, known.errors));
    return 1;
  }
  io.stderr(`refit: ${err instanceof Error ? err.message : String(err)}\n`);
  if (io.env.REFIT_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack + '\n');
  return 1;
}

/** The entry point `bin/refit.js` calls with `process.argv`; sets `process.exitCode` and returns it. */
export async function main(argv: readonly string[]): Promise<number> {
  const code = await runCli(argv.slice(2), processIo());
  process.exitCode = code;
  return code;
}
