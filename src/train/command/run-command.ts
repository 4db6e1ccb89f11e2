import { spawn } from 'node:child_process';

/** How a command ended. */
export interface CommandExit {
  /** Exit code, null when killed. */
  readonly code: number | null;
  /** Why it was stopped by Refit (timeout or abort), or null. */
  readonly stopped: string | null;
}

/** How to run a command. */
export interface RunCommandOptions {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Each chunk of standard output and error, as text. */
  readonly onOutput?: (text: string) => void;
  /** Standard output alone, as text (for commands whose output is their answer). */
  readonly onStdout?: (text: string) => void;
  /** The process group id, as soon as it exists (so a parent thread can kill the group). */
  readonly onStart?: (pid: number) => void;
}

/** Kill a whole process group; a group already gone is not an error. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already exited.
  }
}

/**
 * Run argv (no shell) in its own process group, so that a timeout or an abort kills the command
 * and every process it started. Resolves when the group leader has exited and its output is read.
 */
export function runCommand(options: RunCommandOptions): Promise<CommandExit> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = options.argv;
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let stopped: string | null = null;
    const stop = (why: string) => {
      stopped ??= why;
      if (child.pid !== undefined) killGroup(child.pid);
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = () => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (child.pid !== undefined) options.onStart?.(child.pid);
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      options.onStdout?.(t);
      options.onOutput?.(t);
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => options.onOutput?.(t));
    child.on('error', (err) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot start ${JSON.stringify(program)}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // The leader is gone; children it left behind in the group go too.
      if (child.pid !== undefined) killGroup(child.pid);
      resolve({ code, stopped });
    });
    if (options.signal?.aborted) stop('aborted');
  });
}
