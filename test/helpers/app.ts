import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ManualClock } from '../../src/domain/clock.js';
import { type AppOptions, buildApp } from '../../src/http/app.js';
import type { ComputeExecutor } from '../../src/retrain/executor.js';
import { inlineExecutor } from '../../src/retrain/executor.js';
import { createRefit, type Refit, type RefitParts } from '../../src/service/index.js';
import type { CommandTable } from '../../src/train/command/command-spec.js';
import type { DialectCase } from './dialects.js';

/** A Refit app on a fresh store, with a manual clock, for `app.inject()` tests. */
export interface TestApp {
  readonly refit: Refit;
  /** The collaborators behind `refit` (queue, scheduler, store, …), for tests that drive or inspect them. */
  readonly parts: RefitParts;
  readonly app: FastifyInstance;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

/** Build a test app on a dialect. */
export async function openTestApp(
  dialect: DialectCase,
  options: { bodyLimit?: number; executor?: ComputeExecutor; commands?: CommandTable; workRoot?: string; logger?: Logger; automaticRetraining?: boolean } & Pick<AppOptions, 'auth' | 'rateLimit' | 'corsOrigins'> = {},
): Promise<TestApp> {
  const store = await dialect.open();
  const clock = new ManualClock('2026-11-23T06:00:00Z');
  // Inline by default: test trainers registered in this process are not in a worker's registry.
  const { refit, parts } = createRefit({
    store,
    clock,
    executor: options.executor ?? inlineExecutor,
    ...(options.commands ? { commands: options.commands } : {}),
    ...(options.workRoot ? { workRoot: options.workRoot } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.automaticRetraining === undefined ? {} : { automaticRetraining: options.automaticRetraining }),
  });
  const app = await buildApp(refit, {
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
  });
  return {
    refit,
    parts,
    app,
    clock,
    async close() {
      await app.close();
      await refit.close();
    },
  };
}

/**
 * An inline executor that holds every compute run until `release()`: a job stays `running`
 * for as long as a test needs, however fast the machine or the database.
 */
export function gatedExecutor(): { executor: ComputeExecutor; release: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    executor: { run: async (input, options) => (await gate, inlineExecutor.run(input, options)) },
    release: () => open(),
  };
}
