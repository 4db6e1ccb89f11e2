import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UnrecoverableError } from '../../errors.js';
import { lastLines } from './command-trainer.js';
import type { CommandDeclaration } from './command-spec.js';
import { runCommand } from './run-command.js';

/** What a reference command (an externally served model's retrain) is run with. */
export interface ReferenceRun {
  readonly name: string;
  readonly declared: CommandDeclaration;
  readonly modelId: string;
  /** Refit's job id: names the job directory. */
  readonly jobId: string;
  readonly workRoot: string;
  /** The active version's reference, or null. */
  readonly previous: string | null;
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly onLog?: (text: string) => void;
}

/**
 * Run the command of an externally served model (argv, no shell, own process group, its timeout)
 * and return the new model reference: the last non-empty line of its standard output. Env:
 * REFIT_MODEL_ID, REFIT_PREVIOUS_REFERENCE, REFIT_OUTPUT_DIR (a fresh directory), REFIT_SEED.
 */
export async function runReferenceCommand(run: ReferenceRun): Promise<string> {
  const dir = join(run.workRoot, run.jobId);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let stdout = '';
  let log = '';
  try {
    const exit = await runCommand({
      argv: run.declared.run,
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? dir,
        LANG: process.env.LANG ?? 'C.UTF-8',
        REFIT_MODEL_ID: run.modelId,
        REFIT_PREVIOUS_REFERENCE: run.previous ?? '',
        REFIT_OUTPUT_DIR: dir,
        REFIT_SEED: String(run.seed),
      },
      timeoutMs: run.declared.timeoutMinutes * 60_000,
      ...(run.signal ? { signal: run.signal } : {}),
      onStdout: (t) => {
        stdout = (stdout + t).slice(-100_000);
      },
      onOutput: (t) => {
        log = (log + t).slice(-100_000);
        run.onLog?.(t);
      },
    });
    if (exit.stopped === 'timeout') throw new UnrecoverableError(`timeout: command '${run.name}' ran longer than ${run.declared.timeoutMinutes} minute(s) and was stopped with its process group`);
    if (exit.stopped === 'aborted') throw run.signal?.reason ?? new Error('aborted');
    if (exit.code !== 0) throw new UnrecoverableError(`command '${run.name}' exited with code ${exit.code}; last lines of its output:\n${lastLines(log)}`);
    const reference = lastLines(stdout, 1).trim();
    if (reference === '') throw new UnrecoverableError(`command '${run.name}' printed no model reference (its last line of standard output names the new model)`);
    if (reference.length > 1000) throw new UnrecoverableError(`command '${run.name}' printed a model reference of ${reference.length} characters; at most 1000`);
    return reference;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
