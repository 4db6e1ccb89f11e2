import { describe, expect, it } from 'vitest';
import { openTestApp } from '../helpers/app.js';
import { DIALECTS } from '../helpers/dialects.js';

describe.each(DIALECTS.filter((d) => d.name === 'sqlite'))('readiness on $name', (dialect) => {
  it('says ready, and when the store is gone says "unreachable" without the driver\'s words (the route needs no key)', async () => {
    const t = await openTestApp(dialect);
    try {
      expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await t.parts.store.close();
      const res = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not ready', role: 'all-in-one', checks: { store: 'unreachable' } });
    } finally {
      await t.app.close();
    }
  });
});
