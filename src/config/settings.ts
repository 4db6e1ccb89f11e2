import { resolve } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { DEFAULT_SLACK_EVENTS } from '../events/delivery/slack-message.js';
import { isTimeZone } from '../retrain/schedule.js';
import type { TrainingThreadsSetting } from '../retrain/training-threads.js';
import { zodProblems } from './model-spec.js';
import { retentionAge } from './retention-settings.js';

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
  /** SQLite only: `normal` (default): a commit survives the process being killed; `full`: also a power cut (a disk flush per commit). */
  readonly sqliteSynchronous: 'normal' | 'full';
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
  /** `required`: every route but /healthz (and the dashboard's files) needs an API key. Default `off` (a config file's `auth: required` also turns it on). */
  readonly auth: 'off' | 'required';
  /** Consent to run without keys on an address other than loopback. Default false: such a start is refused. */
  readonly allowOpen: boolean;
  /** Origins allowed by CORS (`REFIT_CORS_ORIGINS`, comma-separated). Default none: CORS is off. */
  readonly corsOrigins: readonly string[];
  /** Requests per minute per key, or per address without a key; 0 turns the limit off. Default 600. */
  readonly rateLimit: number;
  /** Scheduled and trigger-started retrains (`REFIT_AUTOMATIC_RETRAINING=on|off`); manual retrains always run. Default true (on). */
  readonly automaticRetraining: boolean;
  /** `redis://…` of the Redis that receives every event on a stream and, with `serve --no-training` and `refit worker`, holds the BullMQ job queue. Default: none (no stream; jobs run in process). */
  readonly redisUrl: string | null;
  /** Stream key the events are added to. Default `ml:run-events`. */
  readonly eventsStream: string;
  /** Approximate length the stream is trimmed to (`XADD … MAXLEN ~`). Default 10000. */
  readonly eventsStreamMaxLen: number;
  /** Event types added to the stream (exact, `prefix.*` or `*`). Default every event. */
  readonly eventsStreamEvents: readonly string[];
  /** Slack-compatible incoming-webhook URL for messages to people. Default: none. */
  readonly slackWebhookUrl: string | null;
  /** Event types posted to Slack. Default: retrain failed, retrain completed (posted only when rejected), canary aborted, rollback, drift, performance degraded. */
  readonly slackEvents: readonly string[];
  /** Public base URL of the dashboard, for links in messages. Default: none (no links). */
  readonly publicUrl: string | null;
  /** Delivery attempts before an event goes to the dead letters. Default 10. */
  readonly deliveryMaxAttempts: number;
  /** Time allowed per delivery attempt in milliseconds. Default 10000. */
  readonly deliveryTimeoutMs: number;
  /** Delay before the first retry in milliseconds, doubled per further retry (with jitter). Default 1000. */
  readonly deliveryInitialDelayMs: number;
  /** Longest delay between delivery attempts in milliseconds. Default 300000. */
  readonly deliveryMaxDelayMs: number;
  /** PostgreSQL schema of the store. Default: public. */
  readonly databaseSchema: string | null;
  /** Prefix of every Redis key (queue, workers, notifications), so several deployments can share a Redis. Default refit. */
  readonly queuePrefix: string;
  /** Whether `serve` runs retrain jobs itself; false (`--no-training`) enqueues them on BullMQ for `refit worker`. Default true. */
  readonly training: boolean;
  /** Jobs one worker runs at once. Default 1 (training is CPU-bound). */
  readonly workerConcurrency: number;
  /** How long a worker's lock on its job lasts without renewal before another worker takes the job over, in ms. Default 30000. */
  readonly workerLeaseMs: number;
  /** Days logged scores are kept (`30d`, `30`, or `off`: null, kept forever); never those live metrics, drift or a running rollout still read. Default 30. */
  readonly retentionScores: number | null;
  /** Days labels are kept (`180d`, or `off`: null); never those a model's training window, live metrics or a running rollout uses. Default null (kept forever). */
  readonly retentionLabels: number | null;
  /** Minutes between two prunes of old scores and labels. Default 10. */
  readonly retentionIntervalMinutes: number;
  /** Rows a prune deletes per statement (each its own short transaction). Default 2000. */
  readonly retentionBatchRows: number;
  /** Most threads one fit may use; `auto`: cores − 1 (at least 1) in `serve`, which also scores (every core once its event loop was busy under half of the last ~3 s), every core in `refit worker` (src/retrain/training-threads.ts). Default auto. */
  readonly trainingThreads: TrainingThreadsSetting;
}

const eventList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : v),
  z.array(z.string().regex(/^(\*|[a-z][a-z0-9_.-]*(\.\*)?)$/, 'must be event types (model.rollback), prefixes with .* (model.*) or *, separated by commas')).min(1),
);

const httpUrl = (what: string) =>
  z.string().refine((u) => {
    try {
      return ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, `${what} must be an http:// or https:// URL`);

const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z.string().min(1).optional(),
  artifactDir: z.string().min(1).nullable().default(null),
  sqliteSynchronous: z.enum(['normal', 'full']).default('normal'),
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
  auth: z.enum(['off', 'required']).default('off'),
  allowOpen: z.union([z.boolean(), z.enum(['1', 'true', '0', 'false']).transform((v) => v === '1' || v === 'true')]).default(false),
  corsOrigins: z
    .union([z.array(z.string()), z.string().transform((v) => v.split(','))])
    .transform((list) => list.map((o) => o.trim()).filter((o) => o.length > 0))
    .pipe(z.array(z.string().regex(/^(\*|https?:\/\/[^/\s,]+)$/, 'must be * or an origin such as https://app.example.com')))
    .default([]),
  rateLimit: z.coerce.number().int().min(0).default(600),
  automaticRetraining: z
    .union([z.boolean(), z.enum(['on', 'off', 'true', 'false'], { error: "must be 'on' or 'off'" })])
    .default('on')
    .transform((v) => v === true || v === 'on' || v === 'true'),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .nullable()
    .default(null),
  eventsStream: z.string().min(1).max(200).default('ml:run-events'),
  eventsStreamMaxLen: z.coerce.number().int().min(1).default(10_000),
  eventsStreamEvents: eventList.default(['*']),
  slackWebhookUrl: httpUrl('the Slack webhook URL').nullable().default(null),
  slackEvents: eventList.default([...DEFAULT_SLACK_EVENTS]),
  publicUrl: httpUrl('the public URL').nullable().default(null),
  deliveryMaxAttempts: z.coerce.number().int().min(1).max(100).default(10),
  deliveryTimeoutMs: z.coerce.number().int().min(1).default(10_000),
  deliveryInitialDelayMs: z.coerce.number().int().min(0).default(1000),
  deliveryMaxDelayMs: z.coerce.number().int().min(0).default(300_000),
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a schema name: lower-case letters, digits and _')
    .nullable()
    .default(null),
  queuePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and -')
    .default('refit'),
  training: z.boolean().default(true),
  workerConcurrency: z.coerce.number().int().min(1).max(64).default(1),
  workerLeaseMs: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  retentionScores: retentionAge(30),
  retentionLabels: retentionAge(null),
  retentionIntervalMinutes: z.coerce.number().int().min(1).max(1440).default(10),
  retentionBatchRows: z.coerce.number().int().min(100).max(100_000).default(2000),
  trainingThreads: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)], { error: "must be 'auto' or a whole number of threads from 1 to 64" }).default('auto'),
});

/** The names a config file's `settings` section may use (every setting but the config file itself). */
export const FILE_SETTING_NAMES: readonly string[] = Object.keys(schema.shape).filter((k) => k !== 'configFile');

/** Settings given explicitly (CLI flags); they win over the environment. */
export type SettingsOverrides = Partial<Record<keyof Settings, unknown>>;

/**
 * Read settings from `REFIT_*` environment variables and explicit overrides, validate them and
 * freeze the result. The only place that reads the environment. `fromFile` is the config file's
 * `settings` section (see `settingsWithConfigFile`): it has the lowest precedence, then the
 * environment, then the overrides (CLI flags).
 */
export function loadSettings(env: NodeJS.ProcessEnv, overrides: SettingsOverrides = {}, fromFile: SettingsOverrides = {}): Settings {
  const fromEnv: Record<string, unknown> = {
    host: env.REFIT_HOST,
    port: env.REFIT_PORT,
    dataDir: env.REFIT_DATA_DIR,
    databaseUrl: env.REFIT_DATABASE_URL,
    artifactDir: env.REFIT_ARTIFACT_DIR,
    sqliteSynchronous: env.REFIT_SQLITE_SYNCHRONOUS,
    configFile: env.REFIT_CONFIG,
    logLevel: env.REFIT_LOG_LEVEL,
    logFormat: env.REFIT_LOG_FORMAT,
    logFile: env.REFIT_LOG_FILE,
    bodyLimit: env.REFIT_BODY_LIMIT,
    timezone: env.REFIT_TIMEZONE,
    auth: env.REFIT_AUTH,
    allowOpen: env.REFIT_ALLOW_OPEN,
    corsOrigins: env.REFIT_CORS_ORIGINS,
    rateLimit: env.REFIT_RATE_LIMIT,
    automaticRetraining: env.REFIT_AUTOMATIC_RETRAINING,
    redisUrl: env.REFIT_REDIS_URL,
    eventsStream: env.REFIT_EVENTS_STREAM,
    eventsStreamMaxLen: env.REFIT_EVENTS_STREAM_MAXLEN,
    eventsStreamEvents: env.REFIT_EVENTS_STREAM_EVENTS,
    slackWebhookUrl: env.REFIT_SLACK_WEBHOOK_URL,
    slackEvents: env.REFIT_SLACK_EVENTS,
    publicUrl: env.REFIT_PUBLIC_URL,
    deliveryMaxAttempts: env.REFIT_DELIVERY_MAX_ATTEMPTS,
    deliveryTimeoutMs: env.REFIT_DELIVERY_TIMEOUT_MS,
    deliveryInitialDelayMs: env.REFIT_DELIVERY_INITIAL_DELAY_MS,
    deliveryMaxDelayMs: env.REFIT_DELIVERY_MAX_DELAY_MS,
    databaseSchema: env.REFIT_DATABASE_SCHEMA,
    queuePrefix: env.REFIT_QUEUE_PREFIX,
    trainingThreads: env.REFIT_TRAINING_THREADS,
    workerConcurrency: env.REFIT_WORKER_CONCURRENCY,
    workerLeaseMs: env.REFIT_WORKER_LEASE_MS,
    retentionScores: env.REFIT_RETENTION_SCORES,
    retentionLabels: env.REFIT_RETENTION_LABELS,
    retentionIntervalMinutes: env.REFIT_RETENTION_INTERVAL_MINUTES,
    retentionBatchRows: env.REFIT_RETENTION_BATCH_ROWS,
  };
  const merged: Record<string, unknown> = {};
  // Source by source: an override left undefined (a CLI flag not given) must not hide the environment's value.
  for (const source of [fromFile, fromEnv, overrides]) for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') merged[k] = v;
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
