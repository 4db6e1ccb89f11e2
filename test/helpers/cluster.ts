import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('./refit-cli.ts', import.meta.url));

/** PostgreSQL and Redis for the scale-out tests, or why they are skipped (REFIT_TEST_REDIS_REQUIRED=1 makes a missing Redis an error). */
export function clusterServices(env: NodeJS.ProcessEnv = process.env): { pgUrl: string; redisUrl: string } | null {
  const pgUrl = env.REFIT_TEST_DATABASE_URL;
  const redisUrl = env.REFIT_TEST_REDIS_URL;
  if (pgUrl && redisUrl) return { pgUrl, redisUrl };
  if (env.REFIT_TEST_REDIS_REQUIRED === '1') throw new Error('REFIT_TEST_REDIS_REQUIRED=1 but REFIT_TEST_REDIS_URL or REFIT_TEST_DATABASE_URL is not set');
  console.warn('[refit tests] scale-out tests need REFIT_TEST_DATABASE_URL and REFIT_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379): skipped.');
  return null;
}

/** One `refit` child process, with everything it printed. */
export class RefitProcess {
  out = '';
  readonly exited: Promise<number | null>;
  url = '';

  constructor(
    readonly role: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (b: Buffer) => (this.out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.out += b.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolve with the first match of `re` in the output; reject after `ms` or when the process exits first. */
  waitFor(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.out.match(re);
        if (m) {
          cleanup();
          resolve(m);
        }
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`${this.role} exited before printing ${re}:\n${this.out.slice(-3000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.role} did not print ${re} within ${ms} ms:\n${this.out.slice(-3000)}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.stderr?.off('data', check);
        this.child.off('exit', onExit);
      };
      this.child.stdout?.on('data', check);
      this.child.stderr?.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** Send a signal (SIGKILL: no goodbye, as a crash or a lost machine). */
  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }
}

/**
 * API processes and workers as separate `refit` processes on one fresh PostgreSQL schema and one
 * unique BullMQ key prefix, removed (processes, schema, keys, directory) by `close()`.
 */
export class Cluster {
  readonly schema = `refit_scale_${randomBytes(5).toString('hex')}`;
  readonly prefix = `refit-test-${randomBytes(5).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'refit-cluster-'));
  readonly processes: RefitProcess[] = [];

  constructor(
    private readonly services: { pgUrl: string; redisUrl: string },
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      REFIT_DATABASE_URL: this.services.pgUrl,
      REFIT_DATABASE_SCHEMA: this.schema,
      REFIT_REDIS_URL: this.services.redisUrl,
      REFIT_QUEUE_PREFIX: this.prefix,
      REFIT_DATA_DIR: this.dir,
      REFIT_LOG_FORMAT: 'json',
      REFIT_LOG_LEVEL: 'info',
      REFIT_TIMEZONE: 'UTC',
      // A killed worker's job is taken over after 3 s instead of 30.
      REFIT_WORKER_LEASE_MS: '3000',
      ...this.extraEnv,
    };
  }

  private spawn(role: string, args: string[]): RefitProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new RefitProcess(role, child);
    this.processes.push(p);
    return p;
  }

  /** `refit serve --no-training` on a free port; resolves once its /readyz says ready. */
  async api(): Promise<RefitProcess> {
    const port = await freePort();
    const p = this.spawn('api', ['serve', '--no-training', '--port', String(port)]);
    p.url = `http://127.0.0.1:${port}`;
    await this.ready(p);
    return p;
  }

  /** `refit worker` with its health port (and `args`); resolves once its /readyz says it takes jobs. */
  async worker(...args: string[]): Promise<RefitProcess> {
    const port = await freePort();
    const p = this.spawn('worker', ['worker', '--port', String(port), ...args]);
    p.url = `http://127.0.0.1:${port}`;
    await this.ready(p);
    return p;
  }

  /** Poll the process's /readyz until it answers 200 (at most 60 s); fails early when it exits. */
  private async ready(p: RefitProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (p.child.exitCode !== null) throw new Error(`${p.role} exited (${p.child.exitCode}) before it was ready:\n${p.out.slice(-3000)}`);
      const status = await fetch(`${p.url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`${p.role} was not ready within 60 s:\n${p.out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kill every process still running, then drop the schema and the queue's keys. */
  async close(): Promise<void> {
    for (const p of this.processes) p.kill('SIGKILL');
    await Promise.all(this.processes.map((p) => p.exited));
    const client = new pg.Client({ connectionString: this.services.pgUrl });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${this.schema}" cascade`);
    } finally {
      await client.end();
    }
    const redis = new Redis(this.services.redisUrl);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** JSON over HTTP to one process. */
export async function call(base: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Poll `read` every 100 ms until `done` holds; throws with the last value after `ms`. */
export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
