import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CHROMIUM, ensureWebBuilt, launchChromium } from './harness.js';

const available = existsSync(CHROMIUM);
const required = process.env.REFIT_BROWSER_REQUIRED === '1';

// A command trainer's output, as the dashboard shows it in the retrain history.
describe('a command-trained model in the dashboard', () => {
  let dataDir = '';
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!available) return;
    await ensureWebBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'refit-browser-log-'));
    const config = {
      // A command that prints and then fails: its output is the job's log.
      commands: { noisy: { run: ['/usr/bin/python3', '-c', "print('reading 40 rows', flush=True); raise SystemExit('no model today')"] } },
      models: [
        { id: 'cmd', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'command', params: { command: 'noisy' } }, retrain: { schedule: '0 3 1 1 *', timezone: 'UTC', triggers: { checkSchedule: '0 3 1 1 *' } } },
      ],
    };
    await writeFile(join(dataDir, 'refit.config.json'), JSON.stringify(config));
    server = await startServer(loadSettings({}, { port: 0, dataDir, logLevel: 'silent' }), { cwd: dataDir });
    browser = await launchChromium();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("shows a job's log on request in the retrain history", async () => {
    if (!available || !server || !browser) {
      console.warn(`[browser tests] ${CHROMIUM} is missing: the dashboard tests did not run.`);
      expect(required, `${CHROMIUM} is required (REFIT_BROWSER_REQUIRED=1)`).toBe(false);
      return;
    }
    await server.refit.addLabels('cmd', Array.from({ length: 40 }, (_, i) => ({ features: { x: i }, label: i % 2 })));
    const { job } = await server.refit.retrain('cmd');
    await server.parts.queue.whenIdle();
    expect((await server.refit.getJob(job.id)).status).toBe('failed');
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.url}/models/cmd`);
    const row = page.getByTestId('history-row').first();
    await row.getByTestId('show-log').click();
    const log = row.getByTestId('job-log');
    await log.waitFor();
    await expect(log.textContent()).resolves.toBe('reading 40 rows\nno model today\n');
    await page.close();
  });
});
