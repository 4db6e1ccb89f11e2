import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit } from '../../src/service/index.js';
import { DIALECTS, dropTestSchemas } from '../helpers/dialects.js';

/** One parsed log line. */
interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message: string; readonly stack: string };
  readonly [key: string]: unknown;
}

const INFO = 30;
const ERROR = 50;

describe.each(DIALECTS)('request logging ($name)', (dialect) => {
  let refit: Refit;
  let app: FastifyInstance;
  let lines: LogLine[];

  /** An app whose log lines (at `level` and above) land in `lines`, as pino writes them. */
  async function open(level: 'info' | 'debug'): Promise<void> {
    lines = [];
    const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    ({ refit } = createRefit({ store: await dialect.open(), executor: inlineExecutor }));
    app = await buildApp(refit, { logger });
  }

  afterEach(async () => {
    await app.close();
    await refit.close();
    vi.restoreAllMocks();
  });
  afterAll(dropTestSchemas);

  describe('at the default level (info)', () => {
    beforeEach(() => open('info'));

    it('logs nothing for a request that succeeds', async () => {
      expect((await app.inject({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(200);
      expect(lines).toEqual([]);
    });

    it('a route with its own log level logs its requests at that level', async () => {
      app.get('/extra', { logLevel: 'debug' }, async () => ({ ok: true }));
      expect((await app.inject({ method: 'GET', url: '/extra' })).statusCode).toBe(200);
      expect(lines.map((l) => [l.level, l.msg])).toEqual([[20, expect.stringMatching(/^GET \/extra 200 /)]]);
    });

    it('logs a 404 once, at info, without a stack', async () => {
      expect((await app.inject({ method: 'GET', url: '/api/v1/models/nope' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/api/v1/no-such-route' })).statusCode).toBe(404);
      expect(lines.map((l) => l.level)).toEqual([INFO, INFO]);
      expect(lines[0].msg).toBe("GET /api/v1/models/nope 404 MODEL_NOT_FOUND: Model 'nope' does not exist.");
      expect(lines[1].msg).toBe('GET /api/v1/no-such-route 404 NOT_FOUND: No route GET /api/v1/no-such-route.');
      for (const l of lines) expect(JSON.stringify(l)).not.toContain('stack');
      // Each line carries its own request's id (the request's logger is made when it first logs).
      expect(lines.map((l) => l.reqId)).toEqual(['req-1', 'req-2']);
    });

    it('logs a 400 (a body that fails validation, or is not JSON) at info, without a stack', async () => {
      expect((await app.inject({ method: 'POST', url: '/api/v1/models', payload: { id: 'churn' } })).statusCode).toBe(400);
      expect((await app.inject({ method: 'POST', url: '/api/v1/models', payload: '{"id": ', headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
      expect(lines.map((l) => l.level)).toEqual([INFO, INFO]);
      expect(lines[0].msg).toMatch(/^POST \/api\/v1\/models 400 VALIDATION_FAILED: /);
      expect(lines[1].msg).toMatch(/^POST \/api\/v1\/models 400 INVALID_JSON: /);
      for (const l of lines) expect(JSON.stringify(l)).not.toContain('stack');
    });

    it('logs a 500 at error, naming the cause, with its stack', async () => {
      vi.spyOn(refit, 'listModels').mockRejectedValue(new Error('database is locked'));
      const res = await app.inject({ method: 'GET', url: '/api/v1/models' });
      expect(res.statusCode).toBe(500);
      // The client is told nothing of the cause; the log is.
      expect(res.body).not.toContain('database is locked');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: ERROR, msg: 'GET /api/v1/models 500 INTERNAL: database is locked' });
      expect(lines[0].err?.stack).toMatch(/^Error: database is locked\n\s+at /);
    });
  });

  describe('at debug', () => {
    beforeEach(() => open('debug'));

    it('logs one line per request, with method, URL, status and duration', async () => {
      await app.inject({ method: 'GET', url: '/api/v1/models?limit=5' });
      await app.inject({ method: 'GET', url: '/api/v1/models/nope' });
      const requestLines = lines.filter((l) => l.level === 20);
      expect(requestLines.map((l) => l.msg)).toEqual([expect.stringMatching(/^GET \/api\/v1\/models\?limit=5 200 [\d.]+ ms$/), expect.stringMatching(/^GET \/api\/v1\/models\/nope 404 [\d.]+ ms$/)]);
      // The 404 also has its own info line; nothing else is logged.
      expect(lines).toHaveLength(3);
    });
  });
});
