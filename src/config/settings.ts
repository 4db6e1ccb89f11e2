import { resolve } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { isTimeZone } from '../retrain/schedule.js';
import { zodProblems } from './model-spec.js';

/** Server settings, read once at start, validated and frozen (graphile-worker's config). */
export interface Settings {
  /** Address to bind. Default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** Port to listen on. Default 8080. */
  readonly port: number;
  /** Directory for the embedded database. Default ./data. */
  readonly dataDir: string;
  /** `postgres://…` for PostgreSQL; default: SQLite at `<dataDir>/refit.db`. */
  readonly databaseUrl: string;
  /** Directory for model artifacts (absolute); default null: they are kept in the database. */
  readonly artifactDir: string | null;
  /** Model spec file to load at start (JSON or YAML). Default: refit.config.json/.yaml in the working directory, if present. */
  readonly configFile: string | null;
  /** Add the demo model and feed it labels on an empty store. Default false. */
  readonly demo: boolean;
  /** pino log level. Default info. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How log lines are written to standard output: `pretty` (readable), `json` (one object per line) or `auto` (pretty when standard output is a terminal, else json). Default auto. */
  readonly logFormat: 'auto' | 'pretty' | 'json';
  /** File that also receives every log line as JSON, appended (an absolute path). Default: none. */
  readonly logFile: string | null;
  /** Largest accepted request body in bytes. Default 10 MiB. */
  readonly bodyLimit: number;
  /** IANA zone of schedules that name none. Default: this machine's zone. */
  readonly timezone: string;
  /** Scheduled and trigger-started retrains (`REFIT_AUTOMATIC_RETRAINING=on|off`); manual retrains always run. Default true (on). */
  readonly automaticRetraining: boolean;
}

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z.string().min(1).optional(),
  artifactDir: z.string().min(1).nullable().default(null),
  configFile: z.string().min(1).nullable().default(null),
  demo: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  logFormat: z.enum(['auto', 'pretty', 'json']).default('auto'),
  logFile: z.string().min(1).nullable().default(null),
  bodyLimit: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  timezone: z
    .string()
    .refine((tz) => isTimeZone(tz), { error: (iss) => `unknown time zone '${String(iss.input)}'` })
    .default(() => Intl.DateTimeFormat().resolvedOptions().timeZone),
  automaticRetraining: z
    .union([z.boolean(), z.enum(['on', 'off', 'true', 'false'], { error: "must be 'on' or 'off'" })])
    .default('on')
    .transform((v) => v === true || v === 'on' || v === 'true'),
});

/** Settings given explicitly (CLI flags); they win over the environment. */
export type SettingsOverrides = Partial<Record<keyof Settings, unknown>>;

/**
 * Read settings from `REFIT_*` environment variables and explicit overrides, validate them and
 * freeze the result. The only place that reads the environment.
 */
export function loadSettings(env: NodeJS.ProcessEnv, overrides: SettingsOverrides = {}): Settings {
  const fromEnv: Record<string, unknown> = {
    host: env.REFIT_HOST,
    port: env.REFIT_PORT,
    dataDir: env.REFIT_DATA_DIR,
    databaseUrl: env.REFIT_DATABASE_URL,
    artifactDir: env.REFIT_ARTIFACT_DIR,
    configFile: env.REFIT_CONFIG,
    logLevel: env.REFIT_LOG_LEVEL,
    logFormat: env.REFIT_LOG_FORMAT,
    logFile: env.REFIT_LOG_FILE,
    bodyLimit: env.REFIT_BODY_LIMIT,
    timezone: env.REFIT_TIMEZONE,
    automaticRetraining: env.REFIT_AUTOMATIC_RETRAINING,
  };
  const merged: Record<string, unknown> = {};
  // Source by source: an override left undefined (a CLI flag not given) must not hide the environment's value.
  for (const source of [fromEnv, overrides]) for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') merged[k] = v;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    throw new RefitError('VALIDATION_FAILED', 'Invalid settings.', { errors: zodProblems(parsed.error) });
  }
  const s = parsed.data;
  const dataDir = resolve(s.dataDir);
  return Object.freeze({
    ...s,
    dataDir,
    logFile: s.logFile === null ? null : resolve(s.logFile),
    databaseUrl: s.databaseUrl ?? `sqlite:${resolve(dataDir, 'refit.db')}`,
    artifactDir: s.artifactDir === null ? null : resolve(s.artifactDir),
  });
}
