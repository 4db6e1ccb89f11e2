import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG, loadConfigFile } from '../../src/config/config-file.js';
import { refit, tempDir } from './cli-harness.js';

describe('refit init', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('writes the example config, which the server accepts, and says what to do next', async () => {
    const run = await refit(['init'], { cwd: tmp.dir });
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toBe('Wrote refit.config.yaml. Edit the model specs, then run `refit serve`.\n');
    const path = join(tmp.dir, 'refit.config.yaml');
    expect(await readFile(path, 'utf8')).toBe(EXAMPLE_CONFIG);
    expect(loadConfigFile(path).map((s) => s.id)).toEqual(['churn']);
  });

  it('refuses to overwrite an existing file without --force, and overwrites with it', async () => {
    expect((await refit(['init', '--file', 'models.yaml'], { cwd: tmp.dir })).code).toBe(0);
    const path = join(tmp.dir, 'models.yaml');
    await writeFile(path, '# my edits\n');

    const again = await refit(['init', '--file', 'models.yaml'], { cwd: tmp.dir });
    expect(again.code).toBe(1);
    expect(again.out).toBe('');
    expect(again.err).toBe('models.yaml already exists; nothing was written. Use --force to overwrite it.\n');
    expect(await readFile(path, 'utf8')).toBe('# my edits\n');

    const forced = await refit(['init', '--file', 'models.yaml', '--force'], { cwd: tmp.dir });
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('refit serve --config models.yaml');
    expect(await readFile(path, 'utf8')).toBe(EXAMPLE_CONFIG);
  });
});
