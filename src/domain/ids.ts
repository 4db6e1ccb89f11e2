import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/** Random bytes drawn 4 KiB at a time: one system call for 512 ids instead of one each. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUIDv7-style id (RFC 9562 layout): 48 bits of Unix milliseconds, then a counter that keeps
 * ids created in the same millisecond in creation order, then random bits. Ids sort by creation
 * time as text, which orders job history stably even when the injected clock stands still, and
 * lets a table keyed by them (scores) grow at the end of its index rather than on random pages.
 */
export function timeOrderedId(): string {
  const ms = Date.now();
  if (ms === lastMs) counter++;
  else {
    lastMs = ms;
    counter = 0;
  }
  const time = ms.toString(16).padStart(12, '0');
  const seq = (0x7000 | (counter & 0x0fff)).toString(16);
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 8;
  const tail = HEX[(pool[r] & 0x3f) | 0x80] + HEX[pool[r + 1]] + '-' + HEX[pool[r + 2]] + HEX[pool[r + 3]] + HEX[pool[r + 4]] + HEX[pool[r + 5]] + HEX[pool[r + 6]] + HEX[pool[r + 7]];
  return `${time.slice(0, 8)}-${time.slice(8)}-${seq}-${tail}`;
}
