import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import type { RetrainJob } from '../../src/domain/entities.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { CHROMIUM, churnRows, driftedChurnRows, ensureWebBuilt, launchChromium, seeded } from './harness.js';

/*
 * The dashboard against a real server in headless Chromium: the flow of issue 7. Screenshots go
 * to docs/ with REFIT_SCREENSHOTS=1 (`npm run test:browser`), otherwise to a temporary directory,
 * so a plain `npm test` leaves the working tree as it was.
 */

const available = existsSync(CHROMIUM);
/** Retrain and check schedules that come due once a year, at 03:00 on 1 January (UTC). */
const QUIET = { schedule: '0 3 1 1 *', timezone: 'UTC', triggers: { checkSchedule: '0 3 1 1 *' } };
const required = process.env.REFIT_BROWSER_REQUIRED === '1';
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

/** In the page: keep `window.seen`, every distinct "status|button state|reason" the status card shows. */
const RECORD_STATUSES = `
  window.seen = [];
  window.tops = new Set();
  new MutationObserver(() => {
    const status = document.querySelector('[data-testid="retrain-status"]')?.textContent ?? '';
    const button = [...document.querySelectorAll('button')].find((b) => /Retrain now|Starting/.test(b.textContent ?? ''));
    const reason = document.querySelector('[data-testid="retrain-reason"]')?.textContent ?? '';
    const entry = status + '|' + (button?.disabled ? 'disabled' : 'enabled') + '|' + reason;
    // Where the fact under the stage row sits: it must not move when a retrain starts or ends.
    const top = document.querySelector('[data-testid="active-version"]')?.getBoundingClientRect().top;
    if (top !== undefined) window.tops.add(Math.round(top));
    if (window.seen[window.seen.length - 1] !== entry) window.seen.push(entry);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
`;

interface ApiReply {
  status: number;
  body: any;
}

describe('the dashboard in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let dataDir: string;
  let shots: string;

  async function api(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const res = await fetch(server.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Score rows with the active version; the items carry scoreId and version. */
  async function score(modelId: string, rows: { features: Record<string, unknown> }[]): Promise<{ scoreId: string; version: string }[]> {
    const res = await api('POST', `/api/v1/models/${modelId}/score`, { items: rows.map((r) => ({ features: r.features })) });
    expect(res.status).toBe(200);
    return res.body.items;
  }

  /** A model's versions, newest first, as the API lists them. */
  async function versionsOf(modelId: string): Promise<any[]> {
    const res = await api('GET', `/api/v1/models/${modelId}/versions`);
    expect(res.status).toBe(200);
    return res.body.items;
  }

  /**
   * What a person reads carries no raw ISO timestamp (dates are formatted, the ISO form is only in
   * tooltips) and no percentage with more than one decimal.
   */
  async function expectNoRawTimestamps(page: Page): Promise<void> {
    const text = (await page.evaluate('document.body.innerText')) as string;
    expect(text.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[^\s]*/g) ?? []).toEqual([]);
    expect(text.match(/\d+\.\d{2,}%/g) ?? []).toEqual([]);
  }

  /** A 1280 px page in UTC that records the page's uncaught errors. */
  async function desktopPage(): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    // A step that never comes true fails with its locator instead of the whole test timing out.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    return { context, page, pageErrors };
  }

  /** Start a retrain through the API and resolve when it has ended. */
  async function retrainAndWait(modelId: string): Promise<RetrainJob> {
    let jobId = '';
    const ended: RetrainJob[] = [];
    let wake: (() => void) | null = null;
    const off = server.parts.hub.on('retrain:finished', ({ job }) => {
      ended.push(job);
      wake?.();
    });
    try {
      const started = await api('POST', `/api/v1/models/${modelId}/retrain`, {});
      expect(started.status).toBe(202);
      jobId = started.body.jobId;
      for (;;) {
        const job = ended.find((j) => j.id === jobId);
        if (job) return job;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      off();
    }
  }

  beforeAll(async () => {
    if (!available) return;
    await ensureWebBuilt();
    dataDir = await mkdtemp(join(tmpdir(), 'refit-browser-'));
    shots = process.env.REFIT_SCREENSHOTS === '1' ? DOCS : dataDir;
    server = await startServer(loadSettings({}, { port: 0, dataDir, logLevel: 'silent' }), { cwd: dataDir });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    // The browser first: its open event stream would otherwise hold the server's close.
    await browser?.close();
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows every model, retrains one live, shows drift, live metrics and triggers, and saves its configuration with errors next to the field', async () => {
    if (!available) {
      console.warn(`[browser tests] ${CHROMIUM} is missing: the dashboard tests did not run. Install Debian's chromium package (CI sets REFIT_BROWSER_REQUIRED=1).`);
      expect(required, `${CHROMIUM} is required (REFIT_BROWSER_REQUIRED=1)`).toBe(false);
      return;
    }

    // A model with labels and a first version, and a second model that has none yet.
    const random = seeded(7);
    expect(
      (
        await api('POST', '/api/v1/models', {
          id: 'churn',
          task: 'binary',
          description: 'Will a customer cancel within 30 days?',
          features: [
            { name: 'usage', type: 'number' },
            { name: 'tenure', type: 'number' },
            { name: 'segment', type: 'category' },
            { name: 'note', type: 'text' },
          ],
          trainer: 'logistic',
          // Schedules that cannot come due while the test runs on the real clock (an hourly
          // check or a daily retrain firing mid-test would add jobs the test does not expect).
          retrain: QUIET,
        })
      ).status,
    ).toBe(201);
    expect((await api('POST', '/api/v1/models', { id: 'house-prices', task: 'regression', features: [{ name: 'rooms', type: 'number' }], trainer: 'ridge', retrain: QUIET })).status).toBe(201);
    expect((await api('POST', '/api/v1/models/churn/labels', { items: churnRows(400, random) })).status).toBe(201);
    const first = await retrainAndWait('churn');
    expect(first.status).toBe('completed');
    const firstVersion = first.result?.newVersion as string;
    expect((await api('POST', '/api/v1/models/churn/labels', { items: churnRows(300, random) })).status).toBe(201);

    const { context, page, pageErrors } = await desktopPage();

    // The overview: both models, the active version, the status, the next run.
    await page.goto(server.url + '/');
    const churnRow = page.getByTestId('model-row-churn');
    await churnRow.locator('td[data-label="Active version"]').getByText(firstVersion, { exact: true }).waitFor();
    await expect(churnRow.getByTestId('status-churn').textContent()).resolves.toBe('completed');
    await expect(churnRow.textContent()).resolves.toContain(`promoted ${firstVersion}`);
    await expect(churnRow.locator('td[data-label="Next run"]').textContent()).resolves.toMatch(/^in \d+ (h|min|s|d)$/);
    const otherRow = page.getByTestId('model-row-house-prices');
    await otherRow.getByText('none yet').waitFor();
    await otherRow.getByText('never').waitFor();
    // "Next run" is the next retrain, not the next trigger check (which has a schedule of its own).
    const houseSchedules = (await api('GET', '/api/v1/schedules')).body.items.filter((x: { modelId: string }) => x.modelId === 'house-prices');
    const retrainAt = houseSchedules.find((x: { kind?: string }) => x.kind !== 'check').nextRunAt;
    await expect(otherRow.locator('td[data-label="Next run"] span[data-at]').getAttribute('data-at')).resolves.toBe(retrainAt);
    await page.getByTestId('live-state').getByText('live').waitFor();

    // The model page.
    await churnRow.getByRole('link', { name: 'churn' }).click();
    await page.waitForURL(server.url + '/models/churn');
    const statusBadge = page.getByTestId('retrain-status');
    await page.getByTestId('active-version').getByText(firstVersion).waitFor();
    await expect(statusBadge.textContent()).resolves.toBe('completed');

    // Record every status the card shows, with the button's state, from before the click on.
    // (Browser-side code as strings: the test's own TypeScript has no DOM types.)
    await page.evaluate(RECORD_STATUSES);
    await page.getByRole('button', { name: 'Retrain now' }).click();
    // Running (from the live progress frames), then completed again.
    // A function, not a string: the dashboard's CSP (no 'unsafe-eval') refuses a predicate Playwright would eval.
    await page.waitForFunction(
      () => {
        const seen = (globalThis as any).seen as string[];
        return seen.some((e) => e.startsWith('running|')) && seen[seen.length - 1].startsWith('completed|');
      },
      undefined,
      { timeout: 45_000 },
    );
    const seen = (await page.evaluate('seen')) as string[];
    const running = seen.filter((e) => e.startsWith('running|'));
    expect(running.length).toBeGreaterThan(0);
    // While it ran, "Retrain now" was disabled and said why.
    for (const e of running) expect(e).toMatch(/^running\|disabled\|A retrain is running \(.+\); wait for it to finish\.$/);
    expect(seen[seen.length - 1]).toMatch(/^completed\|enabled\|/);
    // The stage row keeps its place when idle, so nothing below it moved while the job ran.
    expect((await page.evaluate('[...window.tops]')) as number[]).toHaveLength(1);
    await expect(page.getByTestId('retrain-stage-idle').textContent()).resolves.toBe('no retrain running');
    // New labels in words that add up: how many, how many are needed, and whether that is enough.
    await expect(page.getByTestId('new-labels').textContent()).resolves.toMatch(/^\d+ new labels? \(5 needed\) — (ready|\d+ more to go)$/);

    // The new version, in the status card, the history and the versions list.
    const status = (await api('GET', '/api/v1/models/churn/retrain/status')).body;
    const second = status.lastJob as { result: { newVersion: string; oldVersion: string; promoted: boolean } };
    expect(second.result.oldVersion).toBe(firstVersion);
    // The data and seeds are fixed, so the outcome is too: 700 labels beat 400 (AUC 0.89 → 0.94).
    expect(second.result.promoted).toBe(true);
    const newVersion = second.result.newVersion;
    expect(newVersion).not.toBe(firstVersion);
    await page.getByTestId('last-outcome').getByText(newVersion).waitFor();
    await page.getByTestId('active-version').getByText(newVersion).waitFor();
    const rows = page.getByTestId('history-row');
    await rows.nth(1).waitFor();
    await expect(rows.count()).resolves.toBe(2);
    const newest = rows.first();
    await expect(newest.locator('td[data-label="Trigger"]').textContent()).resolves.toBe('manual');
    await expect(newest.locator('td[data-label="Status"]').textContent()).resolves.toBe('completed');
    await expect(newest.locator('td[data-label="Labels"]').textContent()).resolves.toBe('700');
    await expect(newest.locator('td[data-label="Version"]').textContent()).resolves.toBe(`${firstVersion} → ${newVersion}`);
    await expect(newest.locator('td[data-label="Metric"]').textContent()).resolves.toMatch(/^AUC 0\.\d{4} → 0\.\d{4}( \([+−±]0\.\d{4}, [+−±]\d+\.\d%\))?$/);
    // A promoted version that is a little worse than its champion is amber (kept within the gate), not red.
    {
      const change = newest.getByTestId('history-change');
      const text = (await change.textContent()) ?? '';
      await expect(change.getAttribute('class')).resolves.toBe(text.includes('(−') ? 'warn' : text.includes('(+') ? 'good' : 'muted');
    }
    await expect(page.getByTestId('versions').getByTestId('version-item').count()).resolves.toBe(2);
    await page.getByTestId('versions').locator('.version-head code').getByText(newVersion, { exact: true }).waitFor();
    // One point per version in the chart, at its training time, not joined by a line; the axes say what they show.
    const chart = page.getByTestId('metric-chart');
    await expect(chart.locator('.test-point').count()).resolves.toBe(2);
    await expect(chart.locator('.recharts-line').count()).resolves.toBe(0);
    const axisLabels = await chart.locator('.recharts-label').allTextContents();
    expect(axisLabels).toContain('AUC (higher is better)');
    expect(axisLabels.some((l) => /^(Date and time|Time \(\d{1,2} [A-Z][a-z]{2} \d{4}\))$/.test(l))).toBe(true);
    // The caption describes what is drawn: dots for test values, a line per version for live ones; no dashed lines.
    const caption = (await chart.getByTestId('chart-caption').textContent()) ?? '';
    expect(caption).toMatch(/Each dot is a version's AUC on its own test rows, placed when it was trained/);
    expect(caption).toMatch(/Each line is one version's live AUC per 24 h window/);
    expect(caption).not.toMatch(/dashed/i);
    // The versions list flows with the page: no scrolling inside the card; each version links to its page.
    await expect(page.getByTestId('versions').locator('.versions-list').evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'overflowY')).resolves.toBe('visible');

    // Before any score by the new version, the drift card says what it is waiting for.
    await page
      .getByTestId('drift')
      .getByTestId('drift-unavailable')
      .getByText(`Needs 100 scores by version ${newVersion}; 0 so far. Drift is measured once the model has scored that many rows.`, { exact: true })
      .waitFor();
    await page.getByTestId('live-metrics').getByTestId('live-row').filter({ hasText: newVersion }).getByTestId('live-value').getByText('no labelled scores yet', { exact: true }).waitFor();

    // Production moves: 150 scores of shifted rows, 120 of them labelled by scoreId.
    const driftedRows = driftedChurnRows(150, random);
    const scored = await score('churn', driftedRows);
    expect(scored.every((x) => x.version === newVersion)).toBe(true);
    const labelled = scored.slice(0, 120).map((x, i) => ({ scoreId: x.scoreId, label: driftedRows[i].label }));
    expect((await api('POST', '/api/v1/models/churn/labels', { items: labelled })).status).toBe(201);
    const drift = (await api('GET', '/api/v1/models/churn/drift')).body;
    expect(drift.status).toBe('ok');
    const livePerf = (await api('GET', '/api/v1/models/churn/performance')).body;
    const liveWindow = livePerf.windows.find((w: { version: string; count: number }) => w.version === newVersion && w.count > 0);
    expect(liveWindow.count).toBe(120);

    // "Check again": the drift card shows the verdict, one row per compared feature (text is not
    // compared) plus the score, each with its test, statistic and threshold, and a chart each.
    const driftCard = page.getByTestId('drift');
    await driftCard.getByRole('button', { name: 'Check again' }).click();
    await driftCard.getByTestId('drift-table').waitFor();
    await expect(driftCard.getByTestId('drift-verdict').textContent()).resolves.toMatch(
      drift.drifted ? /^Drifted(\d of 3 features|All 3 features) drifted \(\d+%\); the model counts as drifted from 50%\./ : /^Stable(No feature drifted|\d of 3 features drifted)/,
    );
    // PSI, Wasserstein and Jensen–Shannon beside the deciding test, as the API computed them.
    await expect(driftCard.getByTestId('drift-table').locator('thead th').allTextContents()).resolves.toEqual([
      'Feature',
      'Test',
      'Statistic',
      'p-value',
      'PSI',
      'Wasserstein',
      'Jensen–Shannon',
      'Threshold',
      'Drifted',
    ]);
    const driftRows = driftCard.getByTestId('drift-row');
    await expect(driftRows.count()).resolves.toBe(4);
    const rowOf = (name: string) => driftRows.filter({ has: page.locator('td[data-label="Feature"] strong', { hasText: new RegExp(`^${name}$`) }) });
    for (const f of drift.features as { name: string; test: string; statistic: number; threshold: number; drifted: boolean }[]) {
      const row = rowOf(f.name);
      await expect(row.locator('td[data-label="Test"]').textContent()).resolves.toBe(f.test === 'ks' ? 'Kolmogorov–Smirnov' : f.test === 'chi2' ? 'chi-square' : f.test === 'wasserstein' ? 'Wasserstein distance' : 'Jensen–Shannon distance');
      await expect(row.locator('td[data-label="Statistic"]').textContent()).resolves.toBe(f.statistic >= 100 ? f.statistic.toFixed(1) : f.statistic.toFixed(3));
      await expect(row.locator('td[data-label="Threshold"]').textContent()).resolves.toBe(f.test === 'ks' || f.test === 'chi2' ? `p < ${f.threshold}` : `> ${f.threshold}`);
      await expect(row.getByTestId('drift-flag').textContent()).resolves.toBe(f.drifted ? 'yes' : 'no');
      const g = f as unknown as { kind: string; psi?: number; wasserstein?: number; distance?: number };
      const three = (x: number | undefined) => (x === undefined ? '—' : x >= 100 ? x.toFixed(1) : x.toFixed(3));
      await expect(row.getByTestId('drift-psi').textContent()).resolves.toBe(three(g.psi));
      await expect(row.getByTestId('drift-wasserstein').textContent()).resolves.toBe(g.kind === 'number' ? three(g.wasserstein) : '—');
      await expect(row.getByTestId('drift-js').textContent()).resolves.toBe(g.kind === 'number' ? '—' : three(g.distance));
    }
    // A number has a PSI and a Wasserstein distance; a category a Jensen–Shannon distance.
    await expect(rowOf('usage').getByTestId('drift-psi').textContent()).resolves.toMatch(/^\d+\.\d{3}$/);
    await expect(rowOf('usage').getByTestId('drift-wasserstein').textContent()).resolves.toMatch(/^\d+\.\d{3}$/);
    await expect(rowOf('segment').getByTestId('drift-js').textContent()).resolves.toMatch(/^0\.\d{3}$/);
    expect((drift.features as { name: string }[]).map((f) => f.name).sort()).toEqual(['segment', 'tenure', 'usage']);
    // Usage moved from [0, 10) to [4, 14) and the segments to mostly enterprise: both drifted.
    await expect(rowOf('usage').getByTestId('drift-flag').textContent()).resolves.toBe('yes');
    await expect(rowOf('segment').getByTestId('drift-flag').textContent()).resolves.toBe('yes');
    await expect(rowOf('score').count()).resolves.toBe(1);
    await expect(driftCard.getByTestId('drift-chart').count()).resolves.toBe(4);
    // Reference and current bars in each chart: ten quantile buckets for usage, one per segment.
    await expect(driftCard.getByTestId('drift-chart').filter({ hasText: 'usage' }).locator('.recharts-bar-rectangle').count()).resolves.toBeGreaterThan(10);
    await expect(driftCard.getByTestId('drift-chart').filter({ hasText: 'segment' }).locator('.recharts-bar-rectangle').count()).resolves.toBe(6);

    // The metric chart now has the live AUC next to the test AUC, and the triggers say what they see.
    await page.reload();
    const liveRow = page.getByTestId('live-metrics').getByTestId('live-row').filter({ hasText: newVersion });
    await expect(liveRow.getByTestId('live-value').textContent()).resolves.toMatch(/^0\.\d{4} \(120 labels\)$/);
    // Two test points and one live point (one window with outcomes), in a series of its own for that version.
    await page.getByTestId('metric-chart').locator('.recharts-legend-item-text').getByText(`live · ${newVersion}`, { exact: true }).waitFor();
    await expect(page.getByTestId('metric-chart').locator('.test-point').count()).resolves.toBe(2);
    await expect(page.getByTestId('metric-chart').locator('.recharts-line').count()).resolves.toBe(1);
    await expect(page.getByTestId('metric-chart').locator('.recharts-line-dots .recharts-dot').count()).resolves.toBe(1);
    // The live verdict: one word and colour, the same on the metric table, the trigger card and (below) the overview.
    const modelVerdict = page.getByTestId('live-metrics').getByTestId('active-verdict');
    const verdictWord = (await modelVerdict.textContent()) ?? '';
    const verdictTone = await modelVerdict.getAttribute('data-tone');
    const verdictColour = await modelVerdict.evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'color');
    expect(verdictWord).toMatch(/^(better than test|as tested|within the limit|beyond the limit)$/);
    const perfTrigger = page.getByTestId('triggers').getByTestId('trigger-performance');
    await perfTrigger.getByTestId('trigger-verdict').waitFor();
    await expect(perfTrigger.getByTestId('trigger-verdict').locator('.badge').textContent()).resolves.toBe(verdictWord);
    await expect(perfTrigger.getByTestId('trigger-verdict').locator('.badge').evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'color')).resolves.toBe(verdictColour);
    await page.getByTestId('triggers').getByTestId('next-check').filter({ hasText: '(next' }).waitFor();
    await expect(page.getByTestId('triggers').getByTestId('next-check').textContent()).resolves.toMatch(
      /^The monitor checks cron '0 3 1 1 \*' \(UTC\) \(next in \d+ (d|h|min)\) and starts the retrain itself\.$/,
    );
    const driftTrigger = page.getByTestId('triggers').getByTestId('trigger-drift');
    await driftTrigger.waitFor();
    await expect(driftTrigger.textContent()).resolves.toMatch(drift.drifted ? /seen, waiting/ : /fine/);

    // A new schedule, saved.
    const config = page.getByTestId('config');
    await config.getByLabel('Schedule kind').selectOption('cron');
    await config.locator('#schedule').fill('30 4 * * 0');
    await config.getByRole('button', { name: 'Save configuration' }).click();
    await config.getByTestId('config-result').getByText('Saved.').waitFor();
    expect((await api('GET', '/api/v1/models/churn/retrain/config')).body.schedule).toBe('30 4 * * 0');
    await expect(config.locator('#schedule').inputValue()).resolves.toBe('30 4 * * 0');
    await expect(config.getByTestId('schedule-description').textContent()).resolves.not.toBe('daily at 06:00 (UTC)');
    await page.screenshot({ path: join(shots, 'model.png'), fullPage: true });

    // An invalid cron: the server's message next to the schedule field, nothing saved.
    await config.locator('#schedule').fill('61 * * * *');
    await config.getByRole('button', { name: 'Save configuration' }).click();
    const error = config.locator('fieldset', { has: page.locator('#schedule') }).getByTestId('schedule-error');
    await error.waitFor();
    await expect(error.textContent()).resolves.toBe('“61 * * * *” is not a valid cron expression: invalid value for minute: 61.');
    await expect(config.locator('#schedule').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(config.getByTestId('config-result').textContent()).resolves.toContain('Not saved');
    expect((await api('GET', '/api/v1/models/churn/retrain/config')).body.schedule).toBe('30 4 * * 0');

    // A trigger value the server refuses: its message next to that field, nothing saved; then a good one.
    await config.locator('#schedule').fill('30 4 * * 0');
    const share = config.locator('#trigger-drift-featureShare');
    await expect(share.inputValue()).resolves.toBe('0.5');
    await share.fill('2');
    await config.getByRole('button', { name: 'Save configuration' }).click();
    const shareError = config.getByTestId('trigger-drift-featureShare-error');
    await shareError.waitFor();
    await expect(shareError.textContent()).resolves.toBe('Must be at most 1.');
    await expect(share.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(config.getByTestId('schedule-error').count()).resolves.toBe(0);
    await expect(config.getByTestId('config-result').textContent()).resolves.toContain('Not saved');
    expect((await api('GET', '/api/v1/models/churn/retrain/config')).body.triggers.drift.featureShare).toBe(0.5);
    await share.fill('0.4');
    await config.locator('#trigger-rate-minWindows').fill('2');
    await config.getByRole('button', { name: 'Save configuration' }).click();
    await config.getByTestId('config-result').getByText('Saved.').waitFor();
    await expect(config.getByTestId('trigger-drift-featureShare-error').count()).resolves.toBe(0);
    const savedTriggers = (await api('GET', '/api/v1/models/churn/retrain/config')).body.triggers;
    expect(savedTriggers.drift.featureShare).toBe(0.4);
    expect(savedTriggers.rate.minWindows).toBe(2);
    // Fields the form does not show kept their value.
    expect(savedTriggers.drift.windowScores).toBe(10_000);
    expect(savedTriggers.performance.cooldownHours).toBe(24);

    // Five bad values at once, schedule and zone among them: the server names every one in the
    // same answer, each is shown at its field, in plain words, and nothing is saved.
    await config.locator('#schedule').fill('61 * * * *');
    await config.locator('#timezone').fill('Mars/Olympus');
    await config.locator('#minNewLabels').fill('-1');
    await config.locator('#retries').fill('20');
    await share.fill('2');
    await config.getByRole('button', { name: 'Save configuration' }).click();
    await config.getByTestId('config-result').getByText('Not saved').waitFor();
    const allErrors: Record<string, string> = {
      'schedule-error': '“61 * * * *” is not a valid cron expression: invalid value for minute: 61.',
      'timezone-error': '“Mars/Olympus” is not a known time zone; use a name like Europe/Paris or UTC, or leave it empty.',
      'minNewLabels-error': 'Must be at least 0.',
      'retries-error': 'Must be at most 10.',
      'trigger-drift-featureShare-error': 'Must be at most 1.',
    };
    for (const [id, text] of Object.entries(allErrors)) await expect(config.getByTestId(id).textContent(), id).resolves.toBe(text);
    await expect(config.locator('.field-error:not(:empty)').count()).resolves.toBe(5);
    await expect(config.getByTestId('config-result').textContent()).resolves.toBe('Not saved: 5 problems, each shown at its field.');
    for (const id of ['#timezone', '#minNewLabels', '#retries', '#trigger-drift-featureShare']) await expect(config.locator(id).getAttribute('aria-invalid'), id).resolves.toBe('true');
    await expect(config.locator('form').textContent()).resolves.not.toMatch(/expected|Too big|Too small|Invalid input/);
    expect((await api('GET', '/api/v1/models/churn/retrain/config')).body.minNewLabels).toBe(5);
    await config.getByRole('button', { name: 'Discard changes' }).click();
    await expect(config.locator('.field-error:not(:empty)').count()).resolves.toBe(0);
    // Inputs line up in a row whatever their labels' length (and the trigger groups' first fields too).
    const topOf = async (selector: string) => Math.round((await config.locator(selector).boundingBox())!.y);
    const firstRow = await Promise.all(['#timezone', '#catchUp', '#minNewLabels', '#timeoutMinutes'].map(topOf));
    expect(new Set(firstRow).size, `input tops ${firstRow.join(', ')}`).toBe(1);
    const triggerRow = await Promise.all(['#trigger-performance-maxDropPct', '#trigger-drift-featureShare', '#trigger-rate-below'].map(topOf));
    expect(new Set(triggerRow).size, `trigger input tops ${triggerRow.join(', ')}`).toBe(1);

    // No raw ISO timestamp in what the page shows; the full timestamp is in each date's tooltip.
    await expectNoRawTimestamps(page);
    await expect(page.locator('time').first().getAttribute('title')).resolves.toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    // The version page, from the versions list: how the version was made and on what.
    {
      const versions = await versionsOf('churn');
      const v = versions.find((x: { version: string }) => x.version === newVersion);
      await page.getByTestId('versions').getByRole('link', { name: newVersion }).click();
      await page.waitForURL(`${server.url}/models/churn/version?v=${encodeURIComponent(newVersion)}`);
      await expect(page.getByTestId('version-title').textContent()).resolves.toBe(newVersion);
      await expect(page.getByTestId('dataset-hash').textContent()).resolves.toBe(v.datasetHash);
      expect(v.datasetHash).toMatch(/^[0-9a-f]{64}$/);
      await expect(page.getByTestId('version-trainer').textContent()).resolves.toBe('logistic');
      await expect(page.getByTestId('training-rows').textContent()).resolves.toBe(String(v.trainingSamples));
      await expect(page.getByTestId('test-rows').textContent()).resolves.toBe(String(v.labelCount - v.trainingSamples));
      await expect(page.getByTestId('version-metrics').getByTestId('metric-row').first().textContent()).resolves.toMatch(/^AUC \(primary\)0\.\d{4}0\.\d{4}[+−±]0\.\d{4}$/);
      // Logistic regression has no feature importance: said in words, not as an error.
      await expect(page.getByTestId('importance').getByTestId('importance-unavailable').textContent()).resolves.toMatch(/^Not available for this version: logistic models have no feature importance; the gbdt trainer has\.$/);
      // The decision that made it, the job that ran it, its parent.
      await expect(page.getByTestId('decision-text').textContent()).resolves.toMatch(/^promoted: /);
      await expect(page.getByTestId('decision-promoted').textContent()).resolves.toBe('yes');
      await expect(page.getByTestId('lineage-job').textContent()).resolves.toBe(v.jobId);
      await expect(page.getByTestId('lineage-parent').getByRole('link').textContent()).resolves.toBe(firstVersion);
      await expectNoRawTimestamps(page);
      // The parent's page, by its link: it names the new version as trained after it; a reload of the link works.
      await page.getByTestId('lineage-parent').getByRole('link').click();
      await page.getByTestId('version-title').getByText(firstVersion, { exact: true }).waitFor();
      await page.reload();
      await page.getByTestId('lineage-children').getByRole('link', { name: newVersion }).waitFor();
      await expect(page.getByTestId('lineage-parent').textContent()).resolves.toBe("none: the model's first version");
      await page.goBack();
      await page.goBack();
      await page.getByTestId('config').waitFor();
    }

    // Back to the overview, which has followed along.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('model-row-churn').getByText(`promoted ${newVersion}`).waitFor();
    // Live metric and drift flag per model; a model without a version has neither.
    await page.getByTestId('live-churn').filter({ hasText: /labels/ }).waitFor();
    await expect(page.getByTestId('live-churn').textContent()).resolves.toMatch(/^AUC 0\.\d{4} (better than test|as tested|within the limit|beyond the limit)test 0\.\d{4} · 120 labels$/);
    // The same verdict as on the model page: the same words, the same colour.
    const overviewVerdict = page.getByTestId('verdict-churn');
    await expect(overviewVerdict.textContent()).resolves.toBe(verdictWord);
    await expect(overviewVerdict.getAttribute('data-tone')).resolves.toBe(verdictTone);
    await expect(overviewVerdict.evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'color')).resolves.toBe(verdictColour);
    // The value's own colour is the text colour: only the verdict carries a judgement.
    await expect(page.getByTestId('live-churn').locator('strong').evaluate((el) => (el as any).className)).resolves.toBe('');
    // Drift: the model-level flag, and how many features drifted in words that cannot be misread.
    await expect(page.getByTestId('drift-churn').textContent()).resolves.toMatch(drift.drifted ? /^drifted(\d of 3 features|all 3 features) drifted$/ : /^stable(no feature drifted \(3 compared\)|\d of 3 features drifted)$/);
    await expectNoRawTimestamps(page);
    await expect(page.getByTestId('live-house-prices').textContent()).resolves.toBe('—');
    await expect(page.getByTestId('drift-house-prices').textContent()).resolves.toBe('—');
    await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });

    // A live AUC 0.7% under the test AUC is inside the trigger's 10% limit: "within the limit",
    // amber and not red, on the overview and on the model page alike (the server's numbers, moved).
    {
      const perf = (await api('GET', '/api/v1/models/churn/performance?window=24h&windows=7')).body;
      const testAuc = perf.baselines[newVersion].auc as number;
      const lowered = { ...perf, windows: perf.windows.map((w: any) => (w.version === newVersion && w.count > 0 ? { ...w, metrics: { ...w.metrics, auc: testAuc * 0.993 } } : w)) };
      await page.route('**/api/v1/models/churn/performance*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(lowered) }));
      await page.reload();
      const cell = page.getByTestId('verdict-churn');
      await cell.getByText('within the limit', { exact: true }).waitFor();
      await expect(cell.getAttribute('data-tone')).resolves.toBe('within');
      await expect(cell.getAttribute('title')).resolves.toMatch(/\(−0\.7%\) over 120 labels: inside the −10\.0% limit$/);
      const amber = await cell.evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'color');
      const red = await page.getByTestId('drift-churn').locator('.badge').evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'color');
      if (drift.drifted) expect(amber).not.toBe(red);
      await page.getByTestId('model-row-churn').getByRole('link', { name: 'churn' }).click();
      const onModel = page.getByTestId('live-metrics').getByTestId('live-row').filter({ hasText: newVersion }).getByTestId('live-verdict').locator('.badge');
      await onModel.getByText('within the limit', { exact: true }).waitFor();
      await expect(onModel.getAttribute('data-tone')).resolves.toBe('within');
      await expect(onModel.evaluate((el, prop) => (globalThis as any).getComputedStyle(el)[prop], 'color')).resolves.toBe(amber);
      await page.unroute('**/api/v1/models/churn/performance*');
      await page.goBack();
      await page.getByTestId('model-row-churn').waitFor();
    }

    // Roll back to the first version from the versions list (a two-step confirmation).
    {
      await page.getByTestId('model-row-churn').getByRole('link', { name: 'churn' }).click();
      const older = page.getByTestId('version-item').filter({ hasText: firstVersion });
      await older.getByRole('button', { name: 'Roll back to this version' }).click();
      await older.getByRole('button', { name: 'Yes, roll back' }).click();
      await page.getByTestId('active-version').getByText(firstVersion, { exact: true }).waitFor();
      await page.getByTestId('version-item').filter({ hasText: newVersion }).getByRole('button', { name: 'Roll back to this version' }).waitFor();
      expect((await api('GET', '/api/v1/models/churn')).body.activeVersion).toBe(firstVersion);
      // The rollback event refreshes the drift card: the first version has no scores of its own yet.
      await page.getByTestId('drift').getByText(`Needs 100 scores by version ${firstVersion}; 0 so far.`).waitFor();
    }
    // Scores by the first version, for the phone's drift card.
    expect((await score('churn', driftedChurnRows(120, random))).every((x) => x.version === firstVersion)).toBe(true);
    expect(pageErrors).toEqual([]);
    await context.close();

    // On a phone: a direct link works (the server answers with the app) and nothing overflows.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US', timezoneId: 'UTC' });
    phone.setDefaultTimeout(15_000);
    const mobile: Page = await phone.newPage();
    await mobile.goto(server.url + '/models/churn');
    await mobile.getByTestId('history-row').nth(1).waitFor();
    await mobile.getByRole('button', { name: 'Retrain now' }).waitFor();
    // The drift charts stack, one per row.
    const charts = mobile.getByTestId('drift').getByTestId('drift-chart');
    await charts.nth(3).waitFor();
    const [a, b] = [await charts.nth(0).boundingBox(), await charts.nth(1).boundingBox()];
    expect(b!.y).toBeGreaterThanOrEqual(a!.y + a!.height);
    expect(Math.abs(b!.x - a!.x)).toBeLessThan(1);
    await expect(mobile.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    await mobile.screenshot({ path: join(shots, 'model-phone.png'), fullPage: true });
    // The monitor's stored checks arrive through the event stream: a check run elsewhere (here via
    // the API) sees the drift, stores one row per trigger and emits model.drift.detected.
    const triggers = mobile.getByTestId('triggers');
    await triggers.getByTestId('recent-checks').getByText('(none stored yet)').waitFor();
    const checked = await api('POST', '/api/v1/models/churn/checks');
    expect(checked.status).toBe(200);
    expect(checked.body.jobId).toBeNull();
    await triggers.getByTestId('check-row').nth(2).waitFor();
    await expect(triggers.getByTestId('check-row').count()).resolves.toBe(3);
    await triggers.getByTestId('check-row').filter({ hasText: 'Drift' }).getByText('seen, waiting').waitFor();
    // The drift was seen once and persists: the next check would retrain, and the card says so.
    await triggers.getByTestId('trigger-drift').getByText('retrain needed').waitFor();
    await triggers.getByTestId('retrain-needed').getByText('A retrain is needed now.').waitFor();
    await expect(mobile.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);

    // A model without a version: plain-words empty states, the error-metric trigger field, no
    // accept-rate trigger (binary only), and "Check now" that stores checks and starts nothing.
    await mobile.goto(server.url + '/models/house-prices');
    await mobile.getByTestId('drift-unavailable').getByText(/^No active version yet\./).waitFor();
    await mobile.getByTestId('metric-chart').getByText('No versions yet', { exact: false }).waitFor();
    await mobile.locator('#trigger-performance-maxErrorRisePct').waitFor();
    await expect(mobile.locator('#trigger-performance-maxDropPct').count()).resolves.toBe(0);
    await expect(mobile.locator('#trigger-rate-enabled').count()).resolves.toBe(0);
    const hpTriggers = mobile.getByTestId('triggers');
    await hpTriggers.getByTestId('trigger-drift').getByText('not enough data').waitFor();
    await hpTriggers.getByRole('button', { name: 'Check now' }).click();
    await hpTriggers.getByTestId('check-result').getByText('Checked: no retrain started.').waitFor();
    await hpTriggers.getByTestId('check-row').nth(1).waitFor();
    await expect(hpTriggers.getByTestId('check-row').count()).resolves.toBe(2);
    expect((await api('GET', '/api/v1/models/house-prices/retrain/status')).body.status).toBe('idle');
    // One model's failing drift call stays in its cell: the rest of the overview works.
    await mobile.route('**/api/v1/models/churn/drift', (route) => route.fulfill({ status: 500, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Internal error', status: 500, detail: 'boom' }) }));
    await mobile.goto(server.url + '/');
    await mobile.getByTestId('model-row-churn').waitFor();
    await mobile.getByTestId('drift-churn').getByText('unavailable').waitFor();
    await mobile.getByTestId('model-row-churn').getByTestId('status-churn').waitFor();
    // (The first version, active again, has no labelled scores.)
    await mobile.getByTestId('live-churn').getByText('no labelled scores yet').waitFor();
    await mobile.unroute('**/api/v1/models/churn/drift');
    await expect(mobile.evaluate('document.documentElement.scrollWidth')).resolves.toBeLessThanOrEqual(390);
    // An unknown model says so.
    await mobile.goto(server.url + '/models/nope');
    await mobile.getByText('No model “nope”').waitFor();
    await phone.close();

    for (const name of ['model.png', 'overview.png', 'model-phone.png']) {
      const png = await readFile(join(shots, name));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    }
  }, 180_000);

  it('shows a running canary with the live decision, stops it on request, and lists it on the timeline', async () => {
    if (!available) {
      expect(required, `${CHROMIUM} is required (REFIT_BROWSER_REQUIRED=1)`).toBe(false);
      return;
    }
    const random = seeded(11);
    const spec = {
      id: 'ranker',
      task: 'binary',
      features: [
        { name: 'usage', type: 'number' },
        { name: 'tenure', type: 'number' },
        { name: 'segment', type: 'category' },
        { name: 'note', type: 'text' },
      ],
      trainer: 'logistic',
      retrain: { ...QUIET, rollout: { policy: 'canary', canaryShare: 0.2 } },
    };
    expect((await api('POST', '/api/v1/models', spec)).status).toBe(201);
    expect((await api('POST', '/api/v1/models/ranker/labels', { items: churnRows(400, random) })).status).toBe(201);
    const first = await retrainAndWait('ranker');
    const firstVersion = first.result?.newVersion as string;
    // The first version has no champion to be compared with: it serves at once.
    expect((await api('GET', '/api/v1/models/ranker')).body.activeVersion).toBe(firstVersion);
    expect((await api('POST', '/api/v1/models/ranker/labels', { items: churnRows(300, random) })).status).toBe(201);
    const second = await retrainAndWait('ranker');
    const canaryVersion = second.result?.newVersion as string;
    expect(second.status).toBe('completed');
    expect((await api('GET', '/api/v1/models/ranker/rollout')).body.challenger.rollout).toMatchObject({ mode: 'canary', version: canaryVersion, share: 0.2 });

    const { context, page, pageErrors } = await desktopPage();
    await page.goto(server.url + '/models/ranker');
    const card = page.getByTestId('rollout');
    await card.getByTestId('rollout-policy').getByText(/^Canary: /).waitFor();
    const running = card.getByTestId('rollout-challenger');
    await running.getByText('Canary (20% of scores)').waitFor();
    await expect(running.textContent()).resolves.toContain(`${canaryVersion} against ${firstVersion}`);
    // Too few outcomes yet: the analysis says it goes on.
    await running.getByTestId('rollout-decision').getByText('continue').waitFor();
    // The numbers it rests on, arm by arm: none of the canary's scores labelled yet, none sampled.
    const numbers = running.getByTestId('rollout-numbers');
    await expect(numbers.getByTestId('arm-challenger').textContent()).resolves.toContain(canaryVersion);
    await expect(numbers.getByTestId('arm-champion').textContent()).resolves.toContain(firstVersion);
    expect(await running.getByTestId('rollout-sampled').count()).toBe(0);
    await page.getByTestId('version-item').filter({ hasText: canaryVersion }).getByText('canary', { exact: true }).waitFor();

    await card.getByRole('button', { name: 'Stop the canary and keep the champion' }).click();
    await card.getByText('No canary, shadow or watch is running.').waitFor();
    await card.getByTestId('timeline-item').filter({ hasText: 'canary.aborted' }).getByText(/stopped from the dashboard/).waitFor();
    await card.getByTestId('timeline-item').filter({ hasText: 'canary.started' }).waitFor();
    const rollout = (await api('GET', '/api/v1/models/ranker/rollout')).body;
    expect(rollout.challenger).toBeNull();
    expect(rollout.recent[0]).toMatchObject({ version: canaryVersion, status: 'aborted' });
    expect((await api('GET', '/api/v1/models/ranker')).body.activeVersion).toBe(firstVersion);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows a tree model version with its feature importance, and a version page reached by its link', async () => {
    if (!available) {
      expect(required, `${CHROMIUM} is required (REFIT_BROWSER_REQUIRED=1)`).toBe(false);
      return;
    }
    const random = seeded(23);
    const spec = {
      id: 'trees',
      task: 'binary',
      features: [
        { name: 'usage', type: 'number' },
        { name: 'tenure', type: 'number' },
        { name: 'segment', type: 'category' },
        { name: 'note', type: 'text' },
      ],
      trainer: 'gbdt',
      retrain: QUIET,
    };
    expect((await api('POST', '/api/v1/models', spec)).status).toBe(201);
    expect((await api('POST', '/api/v1/models/trees/labels', { items: churnRows(400, random) })).status).toBe(201);
    const job = await retrainAndWait('trees');
    expect(job.status).toBe('completed');
    const version = job.result?.newVersion as string;
    const [v] = await versionsOf('trees');
    const importance = (await api('GET', `/api/v1/models/trees/versions/${encodeURIComponent(version)}/importance`)).body;
    expect(importance.available).toBe(true);

    const { context, page, pageErrors } = await desktopPage();
    // A direct link to the version page works (the version goes in the query: it has dots).
    await page.goto(`${server.url}/models/trees/version?v=${encodeURIComponent(version)}`);
    await page.getByTestId('version-title').getByText(version, { exact: true }).waitFor();
    await expect(page.getByTestId('dataset-hash').textContent()).resolves.toBe(v.datasetHash);
    await expect(page.getByTestId('version-trainer').textContent()).resolves.toBe('gbdt');
    await expect(page.getByTestId('training-rows').textContent()).resolves.toBe(String(v.trainingSamples));
    await expect(page.getByTestId('test-rows').textContent()).resolves.toBe(String(v.labelCount - v.trainingSamples));
    // Its parameters, one row each.
    await expect(page.getByTestId('version-params').getByTestId('param-row').count()).resolves.toBe(Object.keys(v.trainer.params).length);
    // Importance: one bar per feature the API names, largest gain first, shares with one decimal adding up to 100%.
    const rows = page.getByTestId('importance').getByTestId('importance-row');
    await rows.first().waitFor();
    await expect(rows.count()).resolves.toBe(importance.features.length);
    await expect(rows.locator('.importance-name').allTextContents()).resolves.toEqual(importance.features.map((f: { feature: string }) => f.feature));
    const shares = (await rows.locator('.importance-value').allTextContents()).map((t) => {
      expect(t).toMatch(/^\d+\.\d%$/);
      return Number(t.slice(0, -1));
    });
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 100)).toBeLessThan(0.5);
    // The first version: no parent, made by the manual retrain.
    await expect(page.getByTestId('lineage-parent').textContent()).resolves.toBe("none: the model's first version");
    await expect(page.getByTestId('lineage-job').textContent()).resolves.toBe(job.id);
    await expect(page.getByTestId('decision-text').textContent()).resolves.toMatch(/^promoted: .*no champion: first version/);
    // From the model page's versions list to the version page and back.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'trees' }).click();
    await page.getByTestId('versions').getByRole('link', { name: version }).click();
    await page.getByTestId('importance-list').waitFor();
    await expectNoRawTimestamps(page);
    await page.screenshot({ path: join(shots, 'version.png'), fullPage: true });
    expect((await readFile(join(shots, 'version.png'))).subarray(1, 4).toString()).toBe('PNG');
    // A version that does not exist says so.
    await page.goto(`${server.url}/models/trees/version?v=9.9.9`);
    await page.getByText('No version “9.9.9”').waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
