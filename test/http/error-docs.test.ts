import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors.js';

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the codes table: `| \`CODE\` | status | when | what to do |`. */
function documentedRows(): Map<string, { status: number; when: string; todo: string }> {
  const rows = new Map<string, { status: number; when: string; todo: string }>();
  for (const line of DOC.split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(\d{3})\s*\|(.*)\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    expect(rows.has(m[1]), `${m[1]} is documented twice`).toBe(false);
    rows.set(m[1], { status: Number(m[2]), when: m[3].trim(), todo: m[4].trim() });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = documentedRows();

  it('documents every catalogue code with its HTTP status, when it happens and what to do', () => {
    for (const [code, def] of Object.entries(ERROR_CATALOGUE)) {
      const row = rows.get(code);
      expect(row, `${code} is missing from docs/errors.md`).toBeDefined();
      expect(row?.status, `status of ${code}`).toBe(def.status);
      expect(row?.when.length, `when ${code} happens`).toBeGreaterThan(10);
      expect(row?.todo.length, `what to do about ${code}`).toBeGreaterThan(10);
    }
  });

  it('lists no code that is not in the catalogue', () => {
    const catalogue = new Set(Object.keys(ERROR_CATALOGUE));
    expect([...rows.keys()].filter((c) => !catalogue.has(c))).toEqual([]);
    // Codes mentioned anywhere in the prose must exist too (a renamed code leaves no stale text);
    // REFIT_* are environment variables.
    const mentioned = [...DOC.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})`/g)].map((m) => m[1]).filter((c) => !c.startsWith('REFIT_'));
    expect(mentioned.filter((c) => !catalogue.has(c))).toEqual([]);
  });

  it('describes the problem document members', () => {
    for (const member of ['type', 'title', 'status', 'detail', 'instance', 'code', 'errors', 'path', 'message', 'jobId']) {
      expect(DOC).toContain(`\`${member}\``);
    }
    expect(DOC).toContain('application/problem+json');
    expect(DOC).toMatch(/RFC 9457/);
  });
});
