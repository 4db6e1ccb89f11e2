import pino, { type DestinationStream, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';
import type { Settings } from './config/settings.js';

/** Where the server's log goes besides the settings' file. */
export interface LoggerTarget {
  /** Writes text to standard output as given. Default: process.stdout. */
  readonly write?: (text: string) => void;
  /** Whether standard output is a terminal: `logFormat: auto` is then pretty, and colored. Default: process.stdout.isTTY. */
  readonly isTTY?: boolean;
}

/** The server's logger and the function that closes its log file. */
export interface RefitLogger {
  readonly logger: Logger;
  /** Close the log file, if any (idempotent). */
  close(): void;
}

/**
 * Fields that a pretty line leaves out: the message already says them (`http`: method, URL,
 * status, duration), or they only matter to machines (pid, hostname, reqId). JSON keeps them all.
 */
const PRETTY_IGNORE = 'pid,hostname,reqId,http';

/**
 * What never reaches a log line: keys in authorization headers (wherever a request or its headers
 * are logged), and key, secret or token members of logged objects. Censored, not removed, so a
 * reader sees there was one.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

/**
 * The server's pino logger from the settings: pretty or JSON lines on standard output (auto: pretty
 * on a terminal), and JSON lines appended to `settings.logFile` when one is set.
 */
export function createLogger(settings: Pick<Settings, 'logLevel' | 'logFormat' | 'logFile'>, target: LoggerTarget = {}): RefitLogger {
  const write = target.write ?? ((text: string) => void process.stdout.write(text));
  const tty = target.isTTY ?? process.stdout.isTTY === true;
  const pretty = settings.logFormat === 'pretty' || (settings.logFormat === 'auto' && tty);
  // prettyFactory formats in this thread: no worker transport to start, flush or lose lines in.
  const format = pretty ? prettyFactory({ colorize: tty && isColorSupported, translateTime: 'SYS:HH:MM:ss.l', ignore: PRETTY_IGNORE, singleLine: true }) : null;
  const stdout: DestinationStream = { write: format ? (line) => write(format(line)) : write };
  const options = { level: settings.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (settings.logFile === null) return { logger: pino(options, stdout), close: () => {} };
  // Synchronous appends: a line is in the file when the call returns, even if the process dies next.
  const file = pino.destination({ dest: settings.logFile, sync: true, append: true, mkdir: true });
  // Both streams take every line the logger's level lets through.
  const logger = pino(options, pino.multistream([{ level: 'trace', stream: stdout }, { level: 'trace', stream: file }]));
  let open = true;
  return {
    logger,
    close() {
      if (open) file.end();
      open = false;
    },
  };
}
