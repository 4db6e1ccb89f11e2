import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { settingsWithConfigFile } from '../config/config-file.js';
import type { Client } from './client.js';
import type { CliIo } from './io.js';

/** Thrown by a command to end with an exit code after it has printed why. */
export class CliExit extends Error {
  /** @param code the process exit code (non-zero). */
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'CliExit';
  }
}

/** A mistake in how a command was called, found after parsing; printed as `error: …`. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The options every client command takes. */
export interface ClientFlags {
  /** URL of a running server; default $REFIT_URL. */
  readonly server?: string;
  /** Data directory to open in-process; default $REFIT_DATA_DIR, else ./data. */
  readonly dataDir?: string;
  /** Database URL to open in-process; default SQLite in the data directory. */
  readonly databaseUrl?: string;
  /** Print JSON instead of tables. Default false. */
  readonly json?: boolean;
  /** API key sent to the server; default $REFIT_API_KEY. */
  readonly apiKey?: string;
}

/** Add `--server`, `--data-dir`, `--database-url` and `--json` to a client command. */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'talk to a running server at this URL (default: $REFIT_URL; without it, open the data directory in this process)')
    .option('--data-dir <dir>', 'data directory to open in this process (default: $REFIT_DATA_DIR or ./data)')
    .option('--database-url <url>', 'database to open in this process (default: SQLite in the data directory)')
    .option('--api-key <key>', 'API key for a server that requires one (default: $REFIT_API_KEY, which keeps it out of the process list)')
    .option('--json', 'print machine-readable JSON');
}

/**
 * The client the flags ask for: HTTP when `--server` (or $REFIT_URL without an explicit
 * `--data-dir`/`--database-url`) is given, else the store opened in this process.
 */
export async function openClient(io: CliIo, flags: ClientFlags): Promise<Client> {
  const direct = flags.dataDir !== undefined || flags.databaseUrl !== undefined;
  if (flags.server !== undefined && direct) {
    throw new UsageError('use either --server or --data-dir/--database-url, not both');
  }
  const server = flags.server ?? (direct ? undefined : io.env.REFIT_URL || undefined);
  if (server !== undefined) {
    if (!/^https?:\/\//i.test(server)) throw new UsageError(`--server must be an http:// or https:// URL, got '${server}'`);
    const { HttpClient } = await import('./http-client.js');
    const apiKey = flags.apiKey ?? (io.env.REFIT_API_KEY || undefined);
    return new HttpClient(server, apiKey !== undefined ? { apiKey } : {});
  }
  // The config file's settings too, so the CLI opens the database the server uses.
  const settings = settingsWithConfigFile(
    io.env,
    {
      ...(flags.dataDir !== undefined ? { dataDir: resolve(io.cwd, flags.dataDir) } : {}),
      ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
    },
    io.cwd,
  );
  // Loaded on demand: the database drivers are not needed against a server.
  const { DirectClient } = await import('./direct-client.js');
  return DirectClient.open(settings);
}

/** Open the client, run `fn`, always close it; a non-zero result becomes a CliExit. */
export async function withClient(io: CliIo, flags: ClientFlags, fn: (client: Client) => Promise<number | void>): Promise<void> {
  const client = await openClient(io, flags);
  let code: number | void;
  try {
    code = await fn(client);
  } finally {
    await client.close();
  }
  if (typeof code === 'number' && code !== 0) throw new CliExit(code);
}

/** Print a value as indented JSON. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + '\n');
}

/** commander parser for a whole number within bounds. */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}
