import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobOwnership } from '../store/store.js';

/**
 * Job ownership: every job records the process that runs it as `<host>/<pid>/<instance>` and
 * that process renews a heartbeat while it holds the job. Recovery (at start-up and on a timer)
 * fails only jobs whose owner is gone, so a second server started on the same store, whether it
 * then runs or fails on a taken port, never touches the jobs of a live one.
 */

/** How often a live owner renews the heartbeat of its jobs. Default 15 s. */
export const HEARTBEAT_MS = 15_000;

/** A job whose owner has not renewed its heartbeat for this long is orphaned. Default 60 s (four missed beats). */
export const LEASE_MS = 60_000;

/** Owners of jobs held by the BullMQ queue (`bullmq:queued` while waiting, `bullmq:<worker id>` while a worker runs them). */
export const QUEUED_OWNER_PREFIX = 'bullmq:';

/** Instances alive in this process: the pid alone cannot tell them apart (tests run several servers in one process). */
const liveInstances = new Set<string>();

/** Parts of an owner id. */
interface OwnerId {
  readonly host: string;
  readonly pid: number;
  readonly instance: string;
}

function parseOwner(owner: string): OwnerId | null {
  const m = /^(.*)\/(\d+)\/([^/]+)$/.exec(owner);
  return m ? { host: m[1], pid: Number(m[2]), instance: m[3] } : null;
}

/** An owner id, alive in this process until released. */
export interface OwnerClaim {
  readonly id: string;
  /** From now on recovery treats the owner as gone (as if its process had ended). */
  release(): void;
}

/** A new owner id for this process, alive until `release()`. */
export function claimOwnerId(): OwnerClaim {
  const instance = randomUUID().slice(0, 8);
  const id = `${hostname()}/${process.pid}/${instance}`;
  liveInstances.add(instance);
  return { id, release: () => void liveInstances.delete(instance) };
}

/** Whether a process with this pid runs on this machine (signal 0 only checks; EPERM means it exists). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether an active job's owner is gone: no owner recorded (a job from before owners were kept),
 * an owner on this machine whose process (or, in this process, whose instance) has ended, or a
 * heartbeat older than the lease (an owner on another machine, or a pid reused since).
 */
export function isOrphaned(job: JobOwnership, now: Date, leaseMs: number = LEASE_MS): boolean {
  if (job.owner === null) return true;
  // A job on the BullMQ queue: BullMQ's lock and stalled-job check hand it to another worker
  // (counted as an attempt), so recovery here must not fail it behind the workers' backs.
  if (job.owner.startsWith(QUEUED_OWNER_PREFIX)) return false;
  const o = parseOwner(job.owner);
  if (!o) return true;
  if (o.host === hostname()) {
    if (o.pid === process.pid) return !liveInstances.has(o.instance);
    if (!pidAlive(o.pid)) return true;
  }
  return now.getTime() - job.heartbeatAt.getTime() > leaseMs;
}
