import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Start an ES module in a new thread: as it is from the build (JavaScript), or through tsx from the
 * TypeScript sources (tests and benches run those; Node 20 workers do not take --import loaders
 * from execArgv, so tsx is registered inside the thread).
 */
export function startModuleThread(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, { ...options, eval: true });
}

/**
 * A helper thread running a module that posts the string 'ready' once it can take work (and then
 * whatever its owner expects): started at construction, unref'd so that it never keeps a process
 * alive, `ready` once it said so, failed for good if it errs, exits or its owner gives up on it.
 * Messages after 'ready' go to `onMessage`; `onFail` hears why it failed.
 */
export class HelperThread {
  protected readonly worker: Worker;
  private state: 'starting' | 'ready' | 'failed' = 'starting';
  private readonly started: Promise<boolean>;

  constructor(url: URL, onMessage: (msg: unknown) => void = () => {}, onFail: (err: Error) => void = () => {}) {
    this.worker = startModuleThread(url);
    this.worker.unref();
    let settle: (ok: boolean) => void = () => {};
    this.started = new Promise<boolean>((resolve) => (settle = resolve));
    this.worker.on('message', (msg: unknown) => {
      if (msg === 'ready' && this.state === 'starting') {
        this.state = 'ready';
        settle(true);
        return;
      }
      onMessage(msg);
    });
    const fail = (err: Error) => {
      this.state = 'failed';
      settle(false);
      onFail(err);
    };
    this.worker.on('error', (err) => fail(new Error(`the helper thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => fail(new Error(`the helper thread stopped (exit code ${code})`)));
  }

  /** True once it said it is ready, until it fails. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Resolves true once it is ready, false if it failed first. */
  whenReady(): Promise<boolean> {
    return this.started;
  }

  /** Stop using it (it did not answer in time): failed from now on. */
  giveUp(): void {
    this.state = 'failed';
  }

  /** End it. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
