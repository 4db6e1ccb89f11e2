import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { RefitError, type FieldProblem } from '../../src/errors.js';

function problemsOf(fn: () => unknown): FieldProblem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RefitError);
    expect((err as RefitError).code).toBe('VALIDATION_FAILED');
    return [...(err as RefitError).errors];
  }
  throw new Error('expected the settings to be refused');
}

describe('loadSettings', () => {
  it('defaults to loopback, port 8080 and SQLite under ./data', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: resolve('data'),
      databaseUrl: `sqlite:${resolve('data', 'refit.db')}`,
      artifactDir: null,
      sqliteSynchronous: 'normal',
      configFile: null,
      demo: false,
      logLevel: 'info',
      bodyLimit: 10 * 1024 * 1024,
    });
  });

  it('is frozen', () => {
    const s = loadSettings({});
    expect(Object.isFrozen(s)).toBe(true);
    expect(() => {
      (s as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads REFIT_* variables from the environment it is given', () => {
    const s = loadSettings({
      REFIT_HOST: '0.0.0.0',
      REFIT_PORT: '9090',
      REFIT_DATA_DIR: '/var/lib/refit',
      REFIT_CONFIG: 'models.yaml',
      REFIT_LOG_LEVEL: 'debug',
      REFIT_BODY_LIMIT: '2048',
      REFIT_ARTIFACT_DIR: 'artifacts',
      REFIT_SQLITE_SYNCHRONOUS: 'full',
    });
    expect(s).toMatchObject({
      host: '0.0.0.0',
      port: 9090,
      dataDir: '/var/lib/refit',
      databaseUrl: 'sqlite:/var/lib/refit/refit.db',
      configFile: 'models.yaml',
      logLevel: 'debug',
      bodyLimit: 2048,
      artifactDir: resolve('artifacts'),
      sqliteSynchronous: 'full',
    });
  });

  it('refuses a SQLite synchronous mode other than normal or full, naming the setting', () => {
    expect(() => loadSettings({ REFIT_SQLITE_SYNCHRONOUS: 'off' })).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ path: '/sqliteSynchronous' })] }));
  });

  it('uses REFIT_DATABASE_URL instead of the SQLite file when set', () => {
    const url = 'postgres://refit@db.internal:5432/refit';
    expect(loadSettings({ REFIT_DATABASE_URL: url, REFIT_DATA_DIR: '/tmp/x' }).databaseUrl).toBe(url);
  });

  it('lets explicit overrides win over the environment, and ignores empty values', () => {
    const env = { REFIT_PORT: '9090', REFIT_HOST: '0.0.0.0', REFIT_LOG_LEVEL: '' };
    const s = loadSettings(env, { port: 7000, demo: true });
    expect(s).toMatchObject({ port: 7000, host: '0.0.0.0', demo: true, logLevel: 'info' });
    // A flag that was not given (undefined, as `refit serve` passes it) or is empty keeps the environment's value.
    expect(loadSettings(env, { port: undefined, host: undefined, logLevel: undefined })).toMatchObject({ port: 9090, host: '0.0.0.0', logLevel: 'info' });
    expect(loadSettings(env, { port: '' }).port).toBe(9090);
    expect(loadSettings({ REFIT_HOST: '' }).host).toBe('127.0.0.1');
  });

  it('never reads process.env itself', () => {
    const before = process.env.REFIT_PORT;
    process.env.REFIT_PORT = '1234';
    try {
      expect(loadSettings({}).port).toBe(8080);
    } finally {
      if (before === undefined) delete process.env.REFIT_PORT;
      else process.env.REFIT_PORT = before;
    }
  });

  it('refuses a bad port, naming the setting', () => {
    for (const port of ['abc', '70000', '-1', '80.5']) {
      expect(problemsOf(() => loadSettings({ REFIT_PORT: port })).map((p) => p.path), `REFIT_PORT=${port}`).toEqual(['/port']);
    }
    expect(problemsOf(() => loadSettings({}, { port: 65_536 })).map((p) => p.path)).toEqual(['/port']);
    expect(loadSettings({ REFIT_PORT: '0' }).port).toBe(0);
  });

  it('writes logs for a terminal or a machine: auto format and no log file unless asked', () => {
    expect(loadSettings({})).toMatchObject({ logFormat: 'auto', logFile: null });
    expect(loadSettings({ REFIT_LOG_FORMAT: 'json', REFIT_LOG_FILE: '/var/log/refit.jsonl' })).toMatchObject({ logFormat: 'json', logFile: '/var/log/refit.jsonl' });
    // A flag wins over the environment; a relative file is made absolute.
    expect(loadSettings({ REFIT_LOG_FORMAT: 'json', REFIT_LOG_FILE: '/var/log/refit.jsonl' }, { logFormat: 'pretty', logFile: 'refit.log' })).toMatchObject({ logFormat: 'pretty', logFile: resolve('refit.log') });
    const problems = problemsOf(() => loadSettings({ REFIT_LOG_FORMAT: 'text' }));
    expect(problems.map((p) => p.path)).toEqual(['/logFormat']);
    expect(problems[0].message).toMatch(/pretty/);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf(() => loadSettings({ REFIT_PORT: 'http', REFIT_LOG_LEVEL: 'verbose', REFIT_BODY_LIMIT: '0' }));
    expect(problems.map((p) => p.path).sort()).toEqual(['/bodyLimit', '/logLevel', '/port']);
    expect(problems.find((p) => p.path === '/logLevel')?.message).toMatch(/info/);
  });

  it('reads the event sinks: Redis stream, Slack, public URL and delivery limits, with their defaults', () => {
    expect(loadSettings({})).toMatchObject({
      redisUrl: null,
      eventsStream: 'ml:run-events',
      eventsStreamMaxLen: 10_000,
      eventsStreamEvents: ['*'],
      slackWebhookUrl: null,
      slackEvents: ['model.retrain.failed', 'model.retrain.completed', 'model.canary.aborted', 'model.rollback', 'model.drift.detected', 'model.performance.degraded'],
      publicUrl: null,
      deliveryMaxAttempts: 10,
      deliveryTimeoutMs: 10_000,
    });
    const s = loadSettings({ REFIT_REDIS_URL: 'redis://10.0.0.5:6379/2', REFIT_EVENTS_STREAM: 'ops:events', REFIT_SLACK_EVENTS: 'model.rollback, model.promoted', REFIT_DELIVERY_MAX_ATTEMPTS: '4' });
    expect(s).toMatchObject({ redisUrl: 'redis://10.0.0.5:6379/2', eventsStream: 'ops:events', slackEvents: ['model.rollback', 'model.promoted'], deliveryMaxAttempts: 4 });
  });

  it('names every bad event-sink setting at once', () => {
    const problems = problemsOf(() => loadSettings({ REFIT_REDIS_URL: 'http://redis', REFIT_SLACK_WEBHOOK_URL: 'hooks.slack.com/x', REFIT_SLACK_EVENTS: 'Model Rollback', REFIT_DELIVERY_MAX_ATTEMPTS: '0' }));
    expect(problems.map((p) => p.path).sort()).toEqual(['/deliveryMaxAttempts', '/redisUrl', '/slackEvents/0', '/slackWebhookUrl']);
    expect(problems.find((p) => p.path === '/slackWebhookUrl')?.message).toBe('the Slack webhook URL must be an http:// or https:// URL');
  });
});

describe('the access settings', () => {
  it('default to no keys, no consent to run open, no CORS and 600 requests a minute', () => {
    expect(loadSettings({})).toMatchObject({ auth: 'off', allowOpen: false, corsOrigins: [], rateLimit: 600 });
  });

  it('read REFIT_AUTH, REFIT_ALLOW_OPEN, REFIT_CORS_ORIGINS and REFIT_RATE_LIMIT, and name every bad one', () => {
    expect(loadSettings({ REFIT_AUTH: 'required', REFIT_ALLOW_OPEN: '1', REFIT_CORS_ORIGINS: 'https://a.example, https://b.example:8443', REFIT_RATE_LIMIT: '0' })).toMatchObject({
      auth: 'required',
      allowOpen: true,
      corsOrigins: ['https://a.example', 'https://b.example:8443'],
      rateLimit: 0,
    });
    const problems = problemsOf(() => loadSettings({ REFIT_AUTH: 'yes', REFIT_ALLOW_OPEN: 'maybe', REFIT_CORS_ORIGINS: 'a.example', REFIT_RATE_LIMIT: '-1' }));
    expect(problems.map((p) => p.path).sort()).toEqual(['/allowOpen', '/auth', '/corsOrigins/0', '/rateLimit']);
  });
});

describe('auth in the config file', () => {
  it('reads `auth: required` beside the models, and refuses another value by name', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readConfigFile } = await import('../../src/config/config-file.js');
    const dir = await mkdtemp(join(tmpdir(), 'refit-auth-config-'));
    try {
      await writeFile(join(dir, 'a.yaml'), 'auth: required\nmodels: []\n');
      expect(readConfigFile(join(dir, 'a.yaml')).auth).toBe('required');
      await writeFile(join(dir, 'b.yaml'), 'models: []\n');
      expect(readConfigFile(join(dir, 'b.yaml')).auth).toBeNull();
      await writeFile(join(dir, 'c.yaml'), 'auth: sometimes\nmodels: []\n');
      expect(() => readConfigFile(join(dir, 'c.yaml'))).toThrow(expect.objectContaining({ errors: [{ path: '/auth', message: "must be 'required' or 'off'" }] }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
