import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockEntry> };

describe('the Node.js version Refit promises', () => {
  const oldest = semver.minVersion(pkg.engines.node)!;

  it('is Node 20', () => {
    expect(oldest.major).toBe(20);
  });

  // `npm install` warns EBADENGINE for any package that refuses it (cookie 2 and
  // content-disposition 3 want Node 22: package.json's overrides keep their Node 18+ majors).
  it('is accepted by every package the lock file installs', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => {
        const range = Array.isArray(entry.engines) ? undefined : (entry.engines as { node?: string } | undefined)?.node;
        return path !== '' && range !== undefined && !semver.satisfies(oldest, range);
      })
      .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}@${entry.version ?? '?'} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});
