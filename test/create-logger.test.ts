import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/create-logger.js';

describe('createLogger', () => {
  let dir: string;
  let out: string;
  const write = (text: string) => void (out += text);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'refit-log-'));
    out = '';
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('auto: JSON lines when standard output is not a terminal', () => {
    const { logger } = createLogger({ logLevel: 'info', logFormat: 'auto', logFile: null }, { write, isTTY: false });
    logger.info({ modelId: 'churn' }, 'model created');
    expect(JSON.parse(out)).toMatchObject({ level: 30, msg: 'model created', modelId: 'churn' });
  });

  it('auto: readable lines on a terminal, with the level in words and the stack of an error', () => {
    const { logger } = createLogger({ logLevel: 'info', logFormat: 'auto', logFile: null }, { write, isTTY: true });
    logger.info({ modelId: 'churn', http: { status: 404 }, reqId: 'req-1' }, "GET /api/v1/models/x 404 MODEL_NOT_FOUND: Model 'x' does not exist.");
    logger.error({ err: new Error('database is locked') }, 'GET /api/v1/models 500 INTERNAL: database is locked');
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    const lines = plain.split('\n');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/api\/v1\/models\/x 404 MODEL_NOT_FOUND: Model 'x' does not exist\. \{"modelId":"churn"\}$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: GET \/api\/v1\/models 500 INTERNAL: database is locked/);
    expect(plain).toMatch(/Error: database is locked\n\s+at /);
    expect(plain).not.toContain('{"level"');
  });

  it('pretty or json as asked, whatever standard output is', () => {
    createLogger({ logLevel: 'info', logFormat: 'pretty', logFile: null }, { write, isTTY: false }).logger.info('hello');
    expect(out).toMatch(/^\[[\d:.]+\] INFO: hello\n$/);
    out = '';
    createLogger({ logLevel: 'info', logFormat: 'json', logFile: null }, { write, isTTY: true }).logger.info('hello');
    expect(JSON.parse(out)).toMatchObject({ level: 30, msg: 'hello' });
  });

  it('a log file gets every line as JSON, besides standard output, at the same level', async () => {
    const file = join(dir, 'logs', 'refit.jsonl');
    const log = createLogger({ logLevel: 'info', logFormat: 'pretty', logFile: file }, { write, isTTY: true });
    log.logger.debug('not at info');
    log.logger.info({ jobId: 'j1' }, 'retrain started');
    log.logger.error({ err: new Error('boom') }, 'retrain failed');
    log.close();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toMatchObject([
      { level: 30, msg: 'retrain started', jobId: 'j1' },
      { level: 50, msg: 'retrain failed', err: { message: 'boom' } },
    ]);
    expect(out).toContain('INFO: retrain started');
    expect(out).not.toContain('not at info');
  });
});
