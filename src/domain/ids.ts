import { randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;
/** `tttttttt-tttt-7` for the current millisecond, made once per millisecond. */
let prefix = '';
const SEQ = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));

/**
 * A UUIDv7-style id (RFC 9562 layout): 48 bits of Unix milliseconds, then a counter that keeps
 * ids created in the same millisecond in creation order, then random bits. Ids sort by creation
 * time as text (always: see below), which orders job history stably even when the injected clock stands still, and
 * lets a table keyed by them (scores) grow at the end of its index rather than on random pages.
 * The random part (variant bits and 62 random bits) is the tail of a v4 UUID from
 * `crypto.randomUUID`, which draws its randomness in bulk.
 */
export function timeOrderedId(): string {
  const ms = Date.now();
  // Within a millisecond the counter goes up; past 4,095 ids, or when the clock steps back, the
  // time field moves on by a millisecond instead (RFC 9562 §6.2), so ids never lose their order.
  if (ms > lastMs) {
    lastMs = ms;
    counter = 0;
    prefix = timePrefix(ms);
  } else if (++counter > 0x0fff) {
    lastMs++;
    counter = 0;
    prefix = timePrefix(lastMs);
  }
  return `${prefix}${SEQ[counter]}-${randomUUID().slice(19)}`;
}

function timePrefix(ms: number): string {
  const time = ms.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7`;
}
