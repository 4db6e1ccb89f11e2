import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CHROMIUM, churnRows, ensureWebBuilt, launchChromium, seeded } from './harness.js';

/* The dashboard against a server that requires API keys, in headless Chromium. */

const available = existsSync(CHROMIUM);
const required = process.env.REFIT_BROWSER_REQUIRED === '1';
const QUIET = { schedule: '0 3 1 1 *', timezone: 'UTC', triggers: { checkSchedule: '0 3 1 1 *' } };

describe('the dashboard with API keys, in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let dataDir: string;
  let ops: string;
  let viewer: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${ops}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    if (!available) return;
    await ensureWebBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'refit-browser-keys-'));
    server = await startServer(loadSettings({}, { port: 0, dataDir, logLevel: 'silent', auth: 'required' }), { cwd: dataDir });
    ops = (await server.refit.createKey({ name: 'ops', scopes: ['admin'] })).key;
    viewer = (await server.refit.createKey({ name: 'viewer', scopes: ['read'] })).key;
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('asks for a key, says clearly when it is wrong, hides what a read key may not do, and works end to end with an admin key', async () => {
    if (!available) {
      console.warn(`[browser tests] ${CHROMIUM} is missing: the dashboard tests did not run. Install Debian's chromium package (CI sets REFIT_BROWSER_REQUIRED=1).`);
      expect(required, `${CHROMIUM} is required (REFIT_BROWSER_REQUIRED=1)`).toBe(false);
      return;
    }
    const features = [
      { name: 'usage', type: 'number' },
      { name: 'tenure', type: 'number' },
      { name: 'segment', type: 'category' },
      { name: 'note', type: 'text' },
    ];
    expect((await api('POST', '/api/v1/models', { id: 'churn', task: 'binary', features, trainer: 'logistic', retrain: QUIET })).status).toBe(201);
    expect((await api('POST', '/api/v1/models/churn/labels', { items: churnRows(300, seeded(3)) })).status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    const cspViolations: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });

    // No key yet: the prompt, and nothing else.
    await page.goto(server.url + '/models/churn');
    const prompt = page.getByTestId('key-prompt');
    await prompt.waitFor();
    await prompt.getByLabel('API key').fill('refit_000000000000_' + 'x'.repeat(43));
    await prompt.getByRole('button', { name: 'Use this key' }).click();
    await page.getByTestId('key-error').getByText('That key was not accepted: The API key is not known to this server.').waitFor();
    await prompt.getByLabel('API key').fill('not a key at all');
    await prompt.getByRole('button', { name: 'Use this key' }).click();
    await page.getByTestId('key-error').getByText(/not in the form refit_<id>_<secret>/).waitFor();

    // A read key: the page shows, and what needs another scope is disabled with the reason.
    await prompt.getByLabel('API key').fill(viewer);
    await prompt.getByRole('button', { name: 'Use this key' }).click();
    await page.getByTestId('key-badge').getByText('key: viewer').waitFor();
    const retrain = page.getByRole('button', { name: 'Retrain now' });
    await retrain.waitFor();
    expect(await retrain.isDisabled()).toBe(true);
    expect(await page.getByTestId('retrain-reason').textContent()).toContain("Your key 'viewer' may not do this: it needs the 'train' scope (it has read).");
    expect(await page.getByRole('button', { name: 'Check now' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save configuration' }).isDisabled()).toBe(true);
    await page.getByTestId('config-denied').getByText(/needs the 'train' scope/).waitFor();
    // The event stream takes the key too.
    await page.getByTestId('live-state').getByText('live').waitFor();

    // Another key: an admin one, kept for the tab across a reload.
    await page.getByRole('button', { name: 'Forget key' }).click();
    await prompt.getByLabel('API key').fill(ops);
    await prompt.getByRole('button', { name: 'Use this key' }).click();
    await page.getByTestId('key-badge').getByText('key: ops').waitFor();
    await page.reload();
    await page.getByTestId('key-badge').getByText('key: ops').waitFor();
    await page.getByRole('button', { name: 'Retrain now' }).click();
    // Live updates over the stream bring the result; the audit trail names the key.
    await page.getByTestId('retrain-status').getByText(/completed/i).waitFor({ timeout: 60_000 });
    const audit = page.getByTestId('audit-table');
    await audit.locator('tr', { hasText: 'started a retrain' }).locator('td[data-label="Who"]').getByText('ops', { exact: true }).waitFor();
    expect(await audit.locator('tr', { hasText: 'created the model' }).locator('td[data-label="Who"]').textContent()).toBe('ops');

    // Revoked while the tab is open: the next request brings the prompt back, with the reason.
    await server.refit.revokeKey('ops');
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByTestId('key-error').getByText('The server no longer accepts the key: The API key was revoked.').waitFor();

    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    await context.close();
  }, 180_000);
});
