import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7-style id (RFC 9562 layout): 48 bits of Unix milliseconds, then a counter that keeps
 * ids created in the same millisecond in creation order, then random bits. Ids sort by creation
 * time as text, which orders job history stably even when the injected clock stands still.
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
  const rnd = randomBytes(8);
  rnd[0] = (rnd[0] & 0x3f) | 0x80;
  const tail = rnd.toString('hex');
  return `${time.slice(0, 8)}-${time.slice(8)}-${seq}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}
