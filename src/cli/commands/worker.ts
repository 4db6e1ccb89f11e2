import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { SettingsOverrides } from '../../config/settings.js';
import { settingsWithConfigFile } from '../../config/config-file.js';
import { createLogger } from '../../create-logger.js';
import { CliExit, integerOption } from '../command-kit.js';
import type { CliIo } from '../io.js';
import { startFailure } from './serve.js';

/** `worker` flags; each one wins over its REFIT_* environment variable. */
interface WorkerFlags {
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  readonly config?: string;
  readonly concurrency?: number;
  readonly port?: number;
  readonly host?: string;
  readonly grace?: number;
  readonly logLevel?: string;
  readonly logFormat?: string;
  readonly logFile?: string;
}

/** Register `worker`: take retrain jobs from the BullMQ queue until SIGINT or SIGTERM. */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('run retrain jobs taken from the BullMQ queue that `refit serve --no-training` processes fill, until interrupted')
    .option('--database-url <url>', 'postgres://… shared with the API processes (default: $REFIT_DATABASE_URL)')
    .option('--redis-url <url>', 'redis://… of the job queue (default: $REFIT_REDIS_URL)')
    .option('--config <file>', 'the API processes\' config file, for its commands and plug-in trainers (default: $REFIT_CONFIG, else refit.config.json/.yaml here if present)')
    .option('--concurrency <n>', 'jobs run at once (default: $REFIT_WORKER_CONCURRENCY or 1)', integerOption(1, 64))
    .option('--port <n>', 'answer /healthz and /readyz on this port (default: none)', integerOption(0, 65_535))
    .option('--host <host>', 'address of the health port (default: $REFIT_HOST or 127.0.0.1)')
    .option('--grace <seconds>', 'on SIGTERM, how long a running job may finish before it is handed back to the queue (default 10)', integerOption(0, 86_400))
    .addOption(new Option('--log-level <level>', 'log level (default: $REFIT_LOG_LEVEL or info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .addOption(new Option('--log-format <format>', 'log lines on standard output: pretty, json, or auto (default: $REFIT_LOG_FORMAT or auto)').choices(['auto', 'pretty', 'json']))
    .option('--log-file <file>', 'also append every log line as JSON to this file (default: $REFIT_LOG_FILE or none)')
    .action(async (flags: WorkerFlags) => {
      const overrides: SettingsOverrides = {
        databaseUrl: flags.databaseUrl,
        redisUrl: flags.redisUrl,
        configFile: flags.config === undefined ? undefined : resolve(io.cwd, flags.config),
        workerConcurrency: flags.concurrency,
        host: flags.host,
        logLevel: flags.logLevel,
        logFormat: flags.logFormat,
        logFile: flags.logFile === undefined ? undefined : resolve(io.cwd, flags.logFile),
      };
      let running: { close(graceMs?: number): Promise<void> };
      let closeLog = () => {};
      try {
        const settings = settingsWithConfigFile(io.env, overrides, io.cwd);
        const log = createLogger(settings, { write: (text) => io.stdout(text), isTTY: io.isTTY });
        closeLog = log.close;
        const { startWorker } = await import('../../worker/start-worker.js');
        running = await startWorker(settings, { logger: log.logger, cwd: io.cwd, ...(flags.port !== undefined ? { listen: { host: settings.host, port: flags.port } } : {}) });
      } catch (err) {
        closeLog();
        io.stderr(startFailure(err, { port: flags.port, host: flags.host }));
        throw new CliExit(1);
      }
      const signal = await new Promise<string>((done) => {
        const stop = io.onInterrupt((s) => {
          stop();
          done(s);
        });
      });
      const grace = flags.grace ?? 10;
      io.stderr(`${signal}: stopping (a running retrain may finish for ${grace} s, else it goes back to the queue)…\n`);
      await running.close(grace * 1000);
      closeLog();
    });
}
