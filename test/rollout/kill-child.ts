/**
 * Run by kill.test.ts in a child process: sets up a canary that is ready to promote on the store
 * named by argv, then promotes it and SIGKILLs itself inside the promotion's transaction (after
 * the active pointer moved, before the commit). Prints the two versions first.
 */
import { createStore } from '../../src/store/create-store.js';
import type { NewEvent, Store } from '../../src/store/store.js';
import { openHarness, scoreRows, sendOutcomes, spec, trainingRows } from './harness.js';

const [url, schema] = process.argv.slice(2);
const raw = await createStore({ url, ...(schema ? { schema } : {}) });
let armed = false;
const wrap = (s: Store): Store =>
  new Proxy(s, {
    get(target, prop) {
      if (prop === 'transaction') return <T>(fn: (tx: Store) => Promise<T>) => target.transaction((tx) => fn(wrap(tx)));
      if (prop === 'appendEvent') {
        return async (e: NewEvent) => {
          if (armed && e.eventType === 'model.promoted') process.kill(process.pid, 'SIGKILL');
          return target.appendEvent(e);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
const h = await openHarness(wrap(raw));
await h.post('/api/v1/models', spec({ policy: 'canary' }));
await h.post('/api/v1/models/m/labels', { items: trainingRows(60) });
const first = (await h.retrain()).result.newVersion as string;
await h.put('/api/v1/models/m/retrain/config', { trainer: { type: 'test-fixed', params: { p: 0.8 } } });
const second = (await h.retrain()).result.newVersion as string;
await sendOutcomes(h, await scoreRows(h, 3_000), () => 1);
process.stdout.write(`${JSON.stringify({ first, second, now: h.clock.now().toISOString() })}\n`);
armed = true;
const res = await h.post('/api/v1/models/m/rollout/evaluate');
// Never reached: the promotion kills the process. Say what happened instead.
process.stderr.write(`the evaluation returned ${res.statusCode}: ${JSON.stringify(res.json())}\n`);
process.exit(3);
