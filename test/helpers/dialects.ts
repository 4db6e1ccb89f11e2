import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ArtifactLocation } from '../../src/store/artifact-store.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/store.js';

/** A way to open a fresh, empty store for one test. */
export interface DialectCase {
  readonly name: 'sqlite' | 'postgres';
  /** Open it; `artifacts` says where artifact bytes go (default: the database). */
  open(options?: { artifacts?: ArtifactLocation }): Promise<Store>;
}

const pgUrl = process.env.REFIT_TEST_DATABASE_URL;
const pgRequired = process.env.REFIT_TEST_PG_REQUIRED === '1';

if (!pgUrl) {
  if (pgRequired) throw new Error('REFIT_TEST_PG_REQUIRED=1 but REFIT_TEST_DATABASE_URL is not set');
  console.warn('[refit tests] REFIT_TEST_DATABASE_URL is not set: store tests run on SQLite only. Set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run them on PostgreSQL too.');
}

const schemas: string[] = [];

/**
 * SQLite always; PostgreSQL when REFIT_TEST_DATABASE_URL is set. Each PostgreSQL store lives in
 * its own schema (dropped by `dropTestSchemas`), so tests never see each other's rows.
 */
export const DIALECTS: readonly DialectCase[] = [
  { name: 'sqlite', open: (options = {}) => createStore({ url: ':memory:', ...options }) },
  ...(pgUrl
    ? [
        {
          name: 'postgres' as const,
          open: async (options: { artifacts?: ArtifactLocation } = {}) => {
            const schema = `refit_test_${randomBytes(6).toString('hex')}`;
            schemas.push(schema);
            return createStore({ url: pgUrl, schema, ...options });
          },
        },
      ]
    : []),
];

/** The schema of the PostgreSQL store opened last (for a test that must reach past the store). */
export function latestTestSchema(): string | undefined {
  return schemas[schemas.length - 1];
}

/** Drop the PostgreSQL schemas this test file created. */
export async function dropTestSchemas(): Promise<void> {
  if (!pgUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    for (const s of schemas.splice(0)) await client.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await client.end();
  }
}
