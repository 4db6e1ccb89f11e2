import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { CHROMIUM, ensureWebBuilt, launchChromium } from './harness.js';

const available = existsSync(CHROMIUM);
const required = process.env.REFIT_BROWSER_REQUIRED === '1';

describe('the Events page in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let receiver: Receiver;
  let dataDir: string;

  beforeAll(async () => {
    if (!available) return;
    await ensureWebBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'refit-browser-events-'));
    receiver = await startReceiver();
    // One attempt per event: a failure is a dead letter at once.
    server = await startServer(loadSettings({ REFIT_DELIVERY_MAX_ATTEMPTS: '1' }, { port: 0, dataDir, logLevel: 'silent' }), { cwd: dataDir });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists a webhook with its dead letter and redelivers it with a click', async () => {
    if (!available) {
      if (required) throw new Error(`REFIT_BROWSER_REQUIRED=1 but ${CHROMIUM} is missing`);
      console.warn(`[refit tests] ${CHROMIUM} is missing: the Events page test does not run.`);
      return;
    }
    receiver.fallback = { status: 500, body: 'receiver is down' };
    const hook = (await (await fetch(`${server.url}/api/v1/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: receiver.url, events: ['model.created'] }) })).json()) as { id: string };
    await fetch(`${server.url}/api/v1/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'churn', task: 'binary', features: [{ name: 'age', type: 'number' }], trainer: 'logistic' }) });
    await receiver.waitFor(1);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Events' }).click();
    const card = page.getByTestId(`sink-webhook:${hook.id}`);
    await card.getByText('0 delivered · 0 retrying · 1 dead').waitFor();
    const row = card.getByTestId('deliveries-table').locator('tbody tr').first();
    // The counts and the table come from two requests: wait for the table too.
    await expect.poll(() => row.innerText(), { timeout: 15_000 }).toMatch(/model\.created\s+churn\s+dead\s+1\s+.*500 receiver is down/s);
    await expect(card.getByTestId('redeliver-all').textContent()).resolves.toBe('Redeliver the dead letter');

    receiver.fallback = { status: 200 };
    await row.getByRole('button', { name: 'Redeliver' }).click();
    await receiver.waitFor(2);
    await card.getByText('1 delivered · 0 retrying · 0 dead').waitFor();
    await expect.poll(() => row.innerText(), { timeout: 15_000 }).toMatch(/delivered\s+1\s+.*200 ok/s);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
