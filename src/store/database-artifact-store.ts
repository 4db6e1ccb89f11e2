import type { Kysely } from 'kysely';
import { type ArtifactStore, sha256Hex, verified } from './artifact-store.js';
import type { Database } from './schema.js';

/**
 * Artifacts in the database's `artifacts` table (the default). Bound to a connection or a
 * transaction, so bytes written in a transaction commit or roll back with it.
 */
export class DatabaseArtifactStore implements ArtifactStore {
  /** @param now the time recorded as `created_at` of new rows. Default: the system clock. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(bytes: Uint8Array): Promise<string> {
    const sha = sha256Hex(bytes);
    if (!(await this.has(sha))) {
      await this.db
        .insertInto('artifacts')
        // Only the bytes of the view, not the whole buffer behind it.
        .values({ sha256: sha, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), size: bytes.byteLength, created_at: this.now().toISOString() })
        .execute();
    }
    return sha;
  }

  async get(sha256: string): Promise<Uint8Array | null> {
    const row = await this.db.selectFrom('artifacts').select('bytes').where('sha256', '=', sha256).executeTakeFirst();
    return row ? verified(sha256, new Uint8Array(row.bytes)) : null;
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.db.selectFrom('artifacts').select('sha256').where('sha256', '=', sha256).executeTakeFirst()) !== undefined;
  }

  async delete(sha256: string): Promise<number> {
    const row = await this.db.selectFrom('artifacts').select('size').where('sha256', '=', sha256).executeTakeFirst();
    if (!row) return 0;
    const res = await this.db.deleteFrom('artifacts').where('sha256', '=', sha256).executeTakeFirst();
    return Number(res.numDeletedRows) > 0 ? Number(row.size) : 0;
  }
}
