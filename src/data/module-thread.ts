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
