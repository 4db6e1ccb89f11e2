import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LEASE_MS, claimOwnerId, isOrphaned } from '../../src/retrain/job-owner.js';

const NOW = new Date('2026-11-23T06:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('whether a job\'s owner is gone', () => {
  it('keeps the jobs of a live instance of this process, however old its heartbeat, and frees them once released', () => {
    const owner = claimOwnerId();
    expect(owner.id).toMatch(new RegExp(`^${hostname()}/${process.pid}/[0-9a-f]{8}$`));
    expect(isOrphaned({ owner: owner.id, heartbeatAt: ago(10 * LEASE_MS) }, NOW)).toBe(false);
    owner.release();
    expect(isOrphaned({ owner: owner.id, heartbeatAt: ago(0) }, NOW)).toBe(true);
  });

  it('takes over at once from a process of this machine that has ended', () => {
    expect(isOrphaned({ owner: `${hostname()}/2147483646/abcd1234`, heartbeatAt: ago(0) }, NOW)).toBe(true);
  });

  it('waits for the lease on another machine, then takes over', () => {
    const other = 'another-host/4242/abcd1234';
    expect(isOrphaned({ owner: other, heartbeatAt: ago(LEASE_MS - 1) }, NOW)).toBe(false);
    expect(isOrphaned({ owner: other, heartbeatAt: ago(LEASE_MS + 1) }, NOW)).toBe(true);
    expect(isOrphaned({ owner: other, heartbeatAt: ago(5_000) }, NOW, 1_000)).toBe(true);
  });

  it('treats a job without an owner (made before owners were kept) as orphaned', () => {
    expect(isOrphaned({ owner: null, heartbeatAt: ago(0) }, NOW)).toBe(true);
  });
});
