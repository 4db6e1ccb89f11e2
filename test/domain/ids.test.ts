import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/domain/ids.js';

describe('timeOrderedId', () => {
  it('makes RFC 9562 version-7 ids, unique, that sort as text in the order they were made', () => {
    const ids = Array.from({ length: 20_000 }, () => timeOrderedId());
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // However many ids a millisecond (the counter, then the time field moving on).
    expect([...ids].sort()).toEqual(ids);
  });

  it('starts with the current Unix time in milliseconds', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    // Ahead of the clock only if more than 4,096 ids a millisecond were made just before.
    expect(ms).toBeLessThanOrEqual(Date.now() + 10);
  });
});
