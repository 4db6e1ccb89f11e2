import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { refit, tempDir } from './cli-harness.js';

describe('refit webhooks (against a server)', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let server: RunningServer;
  let receiver: Receiver;
  beforeEach(async () => {
    tmp = await tempDir();
    server = await startServer(loadSettings({}, { port: 0, dataDir: tmp.dir, logLevel: 'silent' }), { cwd: tmp.dir });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await server.close();
    await receiver.close();
    await tmp.remove();
  });

  const run = (...args: string[]) => refit(['webhooks', ...args, '--server', server.url], { cwd: tmp.dir });

  it('adds a webhook and shows its secret once, lists, tests, updates and removes it', async () => {
    const added = await run('add', receiver.url, '--events', 'model.retrained, model.rollback', '--description', 'data team');
    expect(added.code).toBe(0);
    const id = /Webhook:\s+(\S+)/.exec(added.out)![1];
    const secret = /Secret:\s+(whsec_\S+)/.exec(added.out)![1];
    expect(added.out).toContain('not shown again');

    const listed = await run('list');
    expect(listed.out).toMatch(new RegExp(`${id}\\s+${receiver.url.replace(/[/.]/g, '\\$&')}\\s+model\\.retrained,model\\.rollback\\s+yes\\s+data team`));
    expect(listed.out).not.toContain(secret);

    const tested = await run('test', id);
    expect(tested.code).toBe(0);
    expect(tested.out).toMatch(/Result:\s+delivered/);
    expect(receiver.received[0].headers['webhook-signature']).toMatch(/^v1,/);

    receiver.fallback = { status: 500, body: 'down for maintenance' };
    const failed = await run('test', id);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/Status:\s+500/);

    const disabled = await run('update', id, '--disable');
    expect(disabled.out).toMatch(/Enabled:\s+no/);
    expect((await run('deliveries', id)).out).toBe('No deliveries yet.\n');
    expect((await run('remove', id)).out).toBe(`Webhook ${id} removed.\n`);
    const gone = await run('test', id);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(`No webhook '${id}'`);
  });

  it('refuses a webhook that is not http(s), naming the problem', async () => {
    const r = await run('add', 'ftp://example.com/x', '--events', '*');
    expect(r.code).toBe(1);
    expect(r.err).toContain('/url: must be an http:// or https:// URL');
  });
});
