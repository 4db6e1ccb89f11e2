import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { redisKey } from './redis.js';

/** What a worker says of itself, renewed with its heartbeat (shown by the dashboard, the API and the CLI). */
export interface WorkerInfo {
  /** The worker's owner id, `bullmq:<host>/<pid>/<instance>`. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  /** Last heartbeat (ISO 8601). */
  readonly heartbeatAt: string;
  /** The job it runs now, or null when idle. */
  readonly currentJob: { readonly jobId: string; readonly modelId: string } | null;
}

/** Key of a worker's record; it expires when the worker stops renewing it. */
function workerKey(prefix: string, id: string): string {
  return redisKey(prefix, `workers:${id}`);
}

/** Write (or renew) a worker's record, expiring after `ttlMs` without renewal. */
export async function announceWorker(redis: Redis, prefix: string, info: Omit<WorkerInfo, 'host' | 'pid'>, ttlMs: number): Promise<void> {
  const full: WorkerInfo = { ...info, host: hostname(), pid: process.pid };
  await redis.set(workerKey(prefix, info.id), JSON.stringify(full), 'PX', ttlMs);
}

/** Remove a worker's record (a clean stop). */
export async function retireWorker(redis: Redis, prefix: string, id: string): Promise<void> {
  await redis.del(workerKey(prefix, id));
}

/** The live workers of a deployment (records not renewed within their TTL are gone), by id. */
export async function listWorkers(redis: Redis, prefix: string): Promise<WorkerInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', workerKey(prefix, '*'), 'COUNT', 200);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const out: WorkerInfo[] = [];
  for (const v of values) {
    if (v === null) continue;
    try {
      out.push(JSON.parse(v) as WorkerInfo);
    } catch {
      // A record written by something else under our prefix: not a worker.
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}
