import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { CaptureIo, refit, tempDir } from './cli-harness.js';

describe('refit keys and a server that requires them', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('refuses to start on 0.0.0.0 without keys or consent, saying what to do; starts with --allow-open', async () => {
    const r = await refit(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', 'data', '--log-level', 'silent'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Refit did not start\. Refit will not listen on 0\.0\.0\.0 without API keys/m);
    expect(r.err).toContain('refit keys create --name ops --scope admin');
    expect(r.err).toContain('REFIT_AUTH=required');
    expect(r.err).toContain('REFIT_ALLOW_OPEN=1 (or --allow-open)');
    expect(r.err).toMatch(/^ {2}\/host: /m);

    const io = new CaptureIo(tmp.dir);
    const serving = runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', 'data', '--allow-open', '--log-level', 'info'], io);
    const [, url] = await io.waitFor(/listening on (http:\/\/\S+)/);
    expect(io.out).toMatch(/running open on 0\.0\.0\.0/);
    // Open means as before keys: no key needed.
    expect((await refit(['models', '--server', url], { cwd: tmp.dir })).code).toBe(0);
    io.interrupt('SIGTERM');
    expect(await serving).toBe(0);
  });

  it('makes the first key on the database, prints it once, and the CLI uses it from REFIT_API_KEY until it is revoked', async () => {
    const created = await refit(['keys', 'create', '--name', 'ops', '--scope', 'admin', '--data-dir', 'data'], { cwd: tmp.dir });
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^refit_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toContain('shown this once');
    const list = await refit(['keys', 'list', '--data-dir', 'data'], { cwd: tmp.dir });
    expect(list.out).toMatch(/^\S+ +ops +admin +active /m);
    expect(list.out).not.toContain(key);

    const io = new CaptureIo(tmp.dir, { REFIT_AUTH: 'required' });
    const serving = runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', 'data', '--log-level', 'info'], io);
    const [, url] = await io.waitFor(/listening on (http:\/\/\S+)/);
    const local = url.replace('0.0.0.0', '127.0.0.1');
    try {
      const refused = await refit(['models', '--server', local], { cwd: tmp.dir });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('requires an API key');
      expect((await refit(['models', '--server', local], { cwd: tmp.dir, env: { REFIT_API_KEY: key } })).code).toBe(0);
      expect((await refit(['models', '--server', local, '--api-key', key], { cwd: tmp.dir })).code).toBe(0);
      expect((await refit(['keys', 'revoke', 'ops', '--data-dir', 'data'], { cwd: tmp.dir })).out).toMatch(/Key 'ops' \(\w+\) revoked/);
      const after = await refit(['models', '--server', local], { cwd: tmp.dir, env: { REFIT_API_KEY: key } });
      expect(after.code).toBe(1);
      expect(after.err).toContain('revoked');
    } finally {
      io.interrupt('SIGTERM');
      await serving;
    }
    expect(io.out).not.toContain(key);
  });

  it('expires a key and names a missing one', async () => {
    await refit(['keys', 'create', '--name', 'tmp', '--scope', 'read,score', '--data-dir', 'data'], { cwd: tmp.dir });
    const expired = await refit(['keys', 'expire', 'tmp', '--data-dir', 'data', '--json'], { cwd: tmp.dir });
    expect(JSON.parse(expired.out)).toMatchObject({ name: 'tmp', scopes: ['read', 'score'], state: 'expired' });
    const missing = await refit(['keys', 'revoke', 'nobody', '--data-dir', 'data'], { cwd: tmp.dir });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("No API key has the id or name 'nobody'");
    const bad = await refit(['keys', 'create', '--name', 'x', '--scope', 'root', '--data-dir', 'data'], { cwd: tmp.dir });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('must be one of read, score, train, admin');
  });

  it('requires keys when the config file says `auth: required`, even on loopback', async () => {
    await writeFile(join(tmp.dir, 'refit.config.yaml'), 'auth: required\nmodels: []\n');
    const io = new CaptureIo(tmp.dir);
    const serving = runCli(['serve', '--port', '0', '--data-dir', 'data', '--log-level', 'info'], io);
    const [, url] = await io.waitFor(/listening on (http:\/\/\S+)/);
    try {
      expect(io.out).toContain('API keys are required but none exists: create one with `refit keys create --name ops --scope admin`');
      const refused = await refit(['models', '--server', url], { cwd: tmp.dir });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('requires an API key');
    } finally {
      io.interrupt('SIGTERM');
      await serving;
    }
  });
});
