import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { SettingsOverrides } from '../../config/settings.js';
import { settingsWithConfigFile } from '../../config/config-file.js';
import { createLogger } from '../../create-logger.js';
import { RefitError } from '../../errors.js';
import { CliExit, integerOption } from '../command-kit.js';
import type { CliIo } from '../io.js';

/** `serve` flags; each one wins over its REFIT_* environment variable. */
interface ServeFlags {
  readonly port?: number;
  readonly host?: string;
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly config?: string;
  readonly demo?: boolean;
  readonly logLevel?: string;
  readonly logFormat?: string;
  readonly logFile?: string;
  readonly allowOpen?: boolean;
  readonly auth?: string;
  readonly training?: boolean;
  readonly redisUrl?: string;
  readonly retentionScores?: string;
  readonly retentionLabels?: string;
}

/** Register `serve`: run the HTTP API until SIGINT or SIGTERM. */
export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the Refit server (HTTP API, retrain jobs) until interrupted')
    .option('--port <n>', 'port to listen on (default: $REFIT_PORT or 8080; 0 picks a free one)', integerOption(0, 65_535))
    .option('--host <host>', 'address to bind (default: $REFIT_HOST or 127.0.0.1)')
    .option('--data-dir <dir>', 'directory of the embedded database (default: $REFIT_DATA_DIR or ./data)')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL (default: $REFIT_DATABASE_URL or SQLite in the data directory)')
    .option('--config <file>', 'model spec file (default: $REFIT_CONFIG, else refit.config.json/.yaml here if present)')
    .option('--demo', 'add a demo model and feed it labels on an empty store')
    .addOption(new Option('--log-level <level>', 'log level (default: $REFIT_LOG_LEVEL or info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .addOption(new Option('--log-format <format>', 'log lines on standard output: pretty, json, or auto: pretty on a terminal (default: $REFIT_LOG_FORMAT or auto)').choices(['auto', 'pretty', 'json']))
    .option('--log-file <file>', 'also append every log line as JSON to this file (default: $REFIT_LOG_FILE or none)')
    .addOption(new Option('--auth <mode>', 'required: every API route needs a key (default: $REFIT_AUTH, the config file\'s auth, or off)').choices(['off', 'required']))
    .option('--allow-open', 'run without API keys on an address other than loopback (default: $REFIT_ALLOW_OPEN; otherwise such a start is refused)')
    .option('--no-training', 'API, scoring and dashboard only: retrains go to the BullMQ queue that `refit worker` processes take jobs from (needs $REFIT_REDIS_URL)')
    .option('--redis-url <url>', 'redis://… of the job queue shared with workers (default: $REFIT_REDIS_URL or none)')
    .option('--retention-scores <age>', 'prune scores older than this, e.g. 30d, or off (default: $REFIT_RETENTION_SCORES or 30d)')
    .option('--retention-labels <age>', 'prune labels older than this, never those a training window uses, e.g. 365d, or off (default: $REFIT_RETENTION_LABELS or off)')
    .action(async (flags: ServeFlags) => {
      const overrides: SettingsOverrides = {
        port: flags.port,
        host: flags.host,
        dataDir: flags.dataDir === undefined ? undefined : resolve(io.cwd, flags.dataDir),
        databaseUrl: flags.databaseUrl,
        configFile: flags.config === undefined ? undefined : resolve(io.cwd, flags.config),
        demo: flags.demo,
        logLevel: flags.logLevel,
        logFormat: flags.logFormat,
        logFile: flags.logFile === undefined ? undefined : resolve(io.cwd, flags.logFile),
        allowOpen: flags.allowOpen,
        auth: flags.auth,
        // Commander defaults a --no-x flag to true: pass it only when given, so the config file's setting counts.
        training: flags.training === false ? false : undefined,
        redisUrl: flags.redisUrl,
        retentionScores: flags.retentionScores,
        retentionLabels: flags.retentionLabels,
      };
      let server: { url: string; close(): Promise<void> };
      let closeLog = () => {};
      try {
        const settings = settingsWithConfigFile(io.env, overrides, io.cwd);
        const log = createLogger(settings, { write: (text) => io.stdout(text), isTTY: io.isTTY });
        closeLog = log.close;
        // Loaded here: the HTTP server's dependencies are not needed by the other commands.
        const { startServer } = await import('../../server.js');
        server = await startServer(settings, { cwd: io.cwd, logger: log.logger });
      } catch (err) {
        closeLog();
        io.stderr(startFailure(err, flags));
        throw new CliExit(1);
      }
      const signal = await new Promise<string>((done) => {
        const stop = io.onInterrupt((s) => {
          stop();
          done(s);
        });
      });
      io.stderr(`${signal}: shutting down (requests in flight finish${flags.training === false ? '' : '; a running retrain is stopped'})…\n`);
      await server.close();
      closeLog();
    });
}

/** Why the server did not start, in words: every problem of a bad config file or setting, or the listen error. */
export function startFailure(err: unknown, flags: ServeFlags): string {
  if (err instanceof RefitError) {
    return [`Refit did not start. ${err.message}`, ...err.errors.map((e) => `  ${e.path}: ${e.message}`)].join('\n') + '\n';
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === 'EADDRINUSE') return `Refit did not start: ${e.address ?? flags.host ?? ''}:${e.port ?? flags.port ?? ''} is already in use. Pick another --port.\n`;
  if (e.code === 'EACCES') return `Refit did not start: no permission to listen there (${e.message}). Pick a port above 1023.\n`;
  return `Refit did not start: ${(err as Error).message ?? String(err)}\n`;
}
