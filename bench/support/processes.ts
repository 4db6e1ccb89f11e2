import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A child process that printed `listening on URL`. */
export interface Listening {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
}

/** Start `node ARGS` and resolve once it prints `listening on http://…` (rejects if it exits first). */
export function startListening(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Listening> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = out.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) resolve({ child, url: m[1], exited });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`${args.join(' ')} exited:\n${out.slice(-2000)}`)));
  });
}

/**
 * Node's options for a serving process, as `npm start` sets them and the README advises (see
 * bin/refit.js): the servers of a benchmark, Refit's and its anchors', run with the same.
 */
export const SERVE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * `refit serve` on SQLite in `dataDir` at a free port, as users run it: the build in dist/ (the
 * npm scripts of these benchmarks compile it first), with SERVE_NODE_ARGS. `nodeArgs` go to node
 * too (e.g. --cpu-prof), `extraArgs` to `refit serve`. `root`: another checkout whose build to
 * run (its bin/refit.js and dist/; bench:score's --against); default this one.
 */
export function startRefit(dataDir: string, options: { nodeArgs?: string[]; extraArgs?: string[]; env?: NodeJS.ProcessEnv; root?: string } = {}): Promise<Listening> {
  const bin = options.root === undefined ? 'bin/refit.js' : resolve(options.root, 'bin/refit.js');
  return startListening([...SERVE_NODE_ARGS, ...(options.nodeArgs ?? []), bin, 'serve', '--port', '0', '--data-dir', dataDir, ...(options.extraArgs ?? [])], { REFIT_LOG_LEVEL: 'info', ...options.env });
}

/**
 * CPU seconds (user + system) process `pid` has used so far, from /proc (Linux); null elsewhere.
 * `mainThread`: only its main thread's (Node's event loop, which bounds what a server answers),
 * not its worker threads'.
 */
export function cpuSeconds(pid: number | undefined, mainThread = false): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
