/**
 * A second thread for paired bootstraps (pairedBootstrapShared hands it half of the resamples):
 * one per thread that asks for it, started in the background by the first request for it, used
 * once it is up. Unref'd while it has nothing to do, so it never keeps a process alive; a thread
 * that fails is not restarted, and bootstraps run on the calling thread from then on.
 */
import { HelperThread } from '../data/module-thread.js';
import type { FromBootstrapThread, ToBootstrapThread } from './bootstrap-worker.js';
import type { BootstrapHelper, BootstrapPart } from './paired-bootstrap.js';

interface Waiter {
  readonly resolve: (deltas: Float64Array) => void;
  readonly reject: (err: Error) => void;
}

export class BootstrapThread extends HelperThread implements BootstrapHelper {
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
    if (t) await t.terminate();
  }

  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;

  private constructor() {
    super(
      new URL(`./bootstrap-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
      (msg) => this.answer(msg as FromBootstrapThread),
      (err) => {
        for (const w of this.waiters.values()) w.reject(err);
        this.waiters.clear();
      },
    );
  }

  private answer(msg: FromBootstrapThread): void {
    const waiter = this.waiters.get(msg.id);
    if (!waiter) return;
    this.waiters.delete(msg.id);
    if (this.waiters.size === 0) this.worker.unref();
    if ('deltas' in msg) waiter.resolve(msg.deltas);
    else waiter.reject(new Error(msg.error));
  }

  deltas(part: BootstrapPart): Promise<Float64Array> {
    if (!this.ready) return Promise.reject(new Error('the bootstrap thread is not ready'));
    const id = this.nextId++;
    return new Promise<Float64Array>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      // Held alive while it works for someone.
      this.worker.ref();
      this.worker.postMessage({ id, part } satisfies ToBootstrapThread);
    });
  }
}
