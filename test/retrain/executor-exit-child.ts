// A process that retrains with the long-lived training threads and never closes anything: it must
// still end once its work is done (idle threads are unref'd). Prints the job's status.
import { ManualClock } from '../../src/domain/clock.js';
import { WorkerExecutor } from '../../src/retrain/executor.js';
import { createRefit } from '../../src/service/index.js';
import { createStore } from '../../src/store/create-store.js';

const executor = new WorkerExecutor();
const { refit } = createRefit({ store: await createStore({ url: ':memory:' }), clock: new ManualClock('2026-11-23T06:00:00Z'), executor });
await refit.createModel({ id: 'm', task: 'binary', features: [{ name: 'x', type: 'number' }], trainer: { type: 'logistic' } });
await refit.addLabels('m', Array.from({ length: 200 }, (_, i) => ({ features: { x: i }, label: i % 3 === 0 ? 1 : 0 })));
const { job } = await refit.retrain('m');
await refit.whenIdle();
const done = await refit.getJob(job.id);
process.stdout.write(`${done.status} ${executor.activeWorkers}\n`);
