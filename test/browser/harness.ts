import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the browser tests drive it, never a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));

/** Newest modification time of the dashboard's sources (and its build config). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Build web/dist when it is missing or older than the sources, so the tests always drive the
 * dashboard as it is now (after `npm ci` the prepare script has already built it).
 */
export async function ensureWebBuilt(): Promise<void> {
  const index = join(WEB, 'dist', 'index.html');
  const sources = Math.max(newestSource(join(WEB, 'src')), statSync(join(WEB, 'index.html')).mtimeMs, statSync(join(WEB, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'warn' });
}

/** Headless Chromium with the flags that keep it quiet and offline. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A deterministic stream in [0, 1) (a linear congruential generator), so the data is the same on every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const SEGMENTS = ['retail', 'smb', 'enterprise'];
const WORDS = ['upgrade', 'discount', 'outage', 'renewal', 'support', 'invoice', 'trial', 'feature'];

/** Labelled rows of a churn-like binary problem: a noisy linear rule over numbers, a category and text. */
export function churnRows(n: number, random: () => number): { features: Record<string, number | string>; label: number }[] {
  return Array.from({ length: n }, () => {
    const usage = random() * 10;
    const tenure = random() * 5;
    const segment = SEGMENTS[Math.floor(random() * SEGMENTS.length)];
    const note = `${WORDS[Math.floor(random() * WORDS.length)]} ${WORDS[Math.floor(random() * WORDS.length)]}`;
    const score = 0.6 * usage - 0.8 * tenure + (segment === 'enterprise' ? -1 : 0.5) + (note.includes('outage') ? 2 : 0) + (random() - 0.5) * 4 - 1.5;
    return { features: { usage, tenure, segment, note }, label: score > 0 ? 1 : 0 };
  });
}

/**
 * Rows as production might send them after the world moved: heavier usage and mostly enterprise
 * customers, labelled by the same rule as churnRows (so the inputs drift while the rule holds).
 */
export function driftedChurnRows(n: number, random: () => number): { features: Record<string, number | string>; label: number }[] {
  return Array.from({ length: n }, () => {
    const usage = 4 + random() * 10;
    const tenure = random() * 5;
    const segment = random() < 0.7 ? 'enterprise' : SEGMENTS[Math.floor(random() * 2)];
    const note = `${WORDS[Math.floor(random() * WORDS.length)]} ${WORDS[Math.floor(random() * WORDS.length)]}`;
    const score = 0.6 * usage - 0.8 * tenure + (segment === 'enterprise' ? -1 : 0.5) + (note.includes('outage') ? 2 : 0) + (random() - 0.5) * 4 - 1.5;
    return { features: { usage, tenure, segment, note }, label: score > 0 ? 1 : 0 };
  });
}
