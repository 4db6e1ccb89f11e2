import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { mulberry32 } from '../../src/data/random.js';

/** What a user saw after one `refit …` run. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** An io that records output, lets a test send an interrupt, and resolves waits on output. */
export class CaptureIo implements CliIo {
  out = '';
  err = '';
  private readonly interruptHandlers = new Set<(signal: string) => void>();
  private readonly waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(
    readonly cwd: string,
    readonly env: Readonly<Record<string, string | undefined>> = {},
    readonly isTTY = false,
  ) {}

  stdout(text: string): void {
    this.out += text;
    this.check();
  }

  stderr(text: string): void {
    this.err += text;
    this.check();
  }

  onInterrupt(handler: (signal: string) => void): () => void {
    this.interruptHandlers.add(handler);
    return () => this.interruptHandlers.delete(handler);
  }

  /** Deliver an interrupt to whoever listens. */
  interrupt(signal = 'SIGINT'): void {
    for (const h of [...this.interruptHandlers]) h(signal);
  }

  /** Resolves when stdout or stderr matches (no polling: checked on every write). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    const m = (this.out + this.err).match(pattern);
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }

  private check(): void {
    const all = this.out + this.err;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const m = all.match(this.waiters[i].pattern);
      if (m) this.waiters.splice(i, 1)[0].resolve(m);
    }
  }
}

/** Run `refit <args>` in-process and return the exit code and output. */
export async function refit(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  const io = new CaptureIo(options.cwd, options.env ?? {});
  const code = await runCli(args, io);
  return { code, out: io.out, err: io.err };
}

/** A fresh temporary directory and the function that removes it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'refit-cli-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The model the CLI tests use: features age:number, plan:category; binary. */
export const CHURN_SPEC = {
  id: 'churn',
  task: 'binary',
  features: [
    { name: 'age', type: 'number' },
    { name: 'plan', type: 'category' },
  ],
  trainer: { type: 'logistic' },
};

/** Churn-like rows as a CSV text (header `age,plan,label`): older customers on the basic plan churn. */
export function churnCsv(n: number, seed: number): string {
  const rnd = mulberry32(seed);
  const plans = ['basic', 'pro', 'team'];
  const lines = ['age,plan,label'];
  for (let i = 0; i < n; i++) {
    const age = Math.round(18 + rnd() * 60);
    const plan = plans[Math.floor(rnd() * 3)];
    const logit = (age - 45) / 8 + (plan === 'basic' ? 1.5 : plan === 'pro' ? -1 : 0);
    const label = rnd() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    // Quote some cells, as spreadsheets do.
    lines.push(`${age},${i % 7 === 0 ? `"${plan}"` : plan},${label}`);
  }
  return lines.join('\n') + '\n';
}
