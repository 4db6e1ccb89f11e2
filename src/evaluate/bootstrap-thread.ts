/**
 * A second thread for paired bootstraps (pairedBootstrapShared hands it half of the resamples):
 * one per thread that asks for it, started in the background by the first request for it, used
 * once it is up. Unref'd while it has nothing to do, so it never keeps a process alive; a thread
 * that fails is not restarted, and bootstraps run on the calling thread from then on.
 */
import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../data/module-thread.js';
import type { FromBootstrapThread, ToBootstrapThread } from './bootstrap-worker.js';
import type { BootstrapHelper, BootstrapPart } from './paired-bootstrap.js';

interface Waiter {
  readonly resolve: (deltas: Float64Array) => void;
  readonly reject: (err: Error) => void;
}

export class BootstrapThread implements BootstrapHelper {
  private static instance: BootstrapThread | null = null;

  /** This thread's bootstrap thread, started now if there is none (a failed one stays failed). */
  static shared(): BootstrapThread {
    BootstrapThread.instance ??= new BootstrapThread();
    return BootstrapThread.instance;
  }

  /** End the shared bootstrap thread, if any; the next `shared()` starts a new one. */
  static async close(): Promise<void> {
    const t = BootstrapThread.instance;
    BootstrapThread.instance = null;
    if (t) await t.stop();
  }

  private readonly worker: Worker;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private state: 'starting' | 'ready' | 'failed' = 'starting';
  private readonly started: Promise<boolean>;

  private constructor() {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    this.worker = startModuleThread(new URL(`./bootstrap-worker.${ext}`, import.meta.url));
    this.worker.unref();
    let settle: (ok: boolean) => void = () => {};
    this.started = new Promise<boolean>((resolve) => (settle = resolve));
    this.worker.on('message', (msg: FromBootstrapThread) => {
      if ('ready' in msg) {
        this.state = 'ready';
        settle(true);
        return;
      }
      const waiter = this.waiters.get(msg.id);
      if (!waiter) return;
      this.waiters.delete(msg.id);
      if (this.waiters.size === 0) this.worker.unref();
      if ('deltas' in msg) waiter.resolve(msg.deltas);
      else waiter.reject(new Error(msg.error));
    });
    const fail = (err: Error) => {
      this.state = 'failed';
      settle(false);
      for (const w of this.waiters.values()) w.reject(err);
      this.waiters.clear();
    };
    this.worker.on('error', (err) => fail(new Error(`the bootstrap thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => fail(new Error(`the bootstrap thread stopped (exit code ${code})`)));
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Resolves true once the thread is up, false if it failed to start. */
  whenReady(): Promise<boolean> {
    return this.started;
  }

  deltas(part: BootstrapPart): Promise<Float64Array> {
    if (this.state !== 'ready') return Promise.reject(new Error('the bootstrap thread is not ready'));
    const id = this.nextId++;
    return new Promise<Float64Array>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      // Held alive while it works for someone.
      this.worker.ref();
      this.worker.postMessage({ id, part } satisfies ToBootstrapThread);
    });
  }

  private async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
