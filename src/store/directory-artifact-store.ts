import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArtifactStore, isSha256, sha256Hex, verified } from './artifact-store.js';

/** True for a missing-file error. */
function isMissing(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ENOENT';
}

/**
 * Artifacts as files in a directory: `<dir>/<sha256[0..2]>/<sha256>`. The sha256 is computed here
 * and anything else is refused before a path is built, so no client input ever becomes a path.
 * Files are written to a temporary name, synced and renamed, so a reader sees whole files only.
 */
export class DirectoryArtifactStore implements ArtifactStore {
  /** @param dir the directory (created on first write). */
  constructor(readonly dir: string) {}

  private path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const sha = sha256Hex(bytes);
    const target = this.path(sha);
    await mkdir(join(this.dir, sha.slice(0, 2)), { recursive: true });
    // Written even when present: a damaged copy is replaced, and a rename over a whole file is harmless.
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fh = await open(temp, 'wx');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return sha;
  }

  async get(sha256: string): Promise<Uint8Array | null> {
    if (!isSha256(sha256)) return null;
    try {
      const buf = await readFile(this.path(sha256));
      return verified(sha256, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== null;
  }

  async delete(sha256: string): Promise<number> {
    const size = await this.size(sha256);
    if (size === null) return 0;
    try {
      await unlink(this.path(sha256));
      return size;
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }
  }

  /** The size of a stored artifact in bytes; null when absent. */
  async size(sha256: string): Promise<number | null> {
    if (!isSha256(sha256)) return null;
    try {
      return (await stat(this.path(sha256))).size;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * A view for one database transaction: files cannot roll back, so deletions only answer the
   * size now and happen in `afterCommit` (an artifact marked deleted in a transaction that rolls
   * back keeps its bytes). Writes happen at once; one left behind by a rollback is unreferenced.
   */
  deferDeletes(): { readonly artifacts: ArtifactStore; afterCommit(): Promise<void> } {
    const doomed = new Set<string>();
    const artifacts: ArtifactStore = {
      put: (bytes) => this.put(bytes),
      get: (sha256) => this.get(sha256),
      has: async (sha256) => !doomed.has(sha256) && (await this.has(sha256)),
      delete: async (sha256) => {
        if (doomed.has(sha256)) return 0;
        const size = await this.size(sha256);
        if (size === null) return 0;
        doomed.add(sha256);
        return size;
      },
    };
    const afterCommit = async (): Promise<void> => {
      // The transaction has committed: a file that cannot be removed is only space, not an error of it.
      for (const sha of doomed) await this.delete(sha).catch(() => 0);
    };
    return { artifacts, afterCommit };
  }
}
