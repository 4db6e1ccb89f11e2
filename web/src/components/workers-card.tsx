import { useWorkers } from '../queries.js';
import { dateTime } from '../format.js';

/** The `refit worker` processes: id, host, current job, last heartbeat. Nothing when the server trains itself. */
export function WorkersCard() {
  const workers = useWorkers();
  const list = workers.data;
  if (!list || list.mode === 'in-process') return null;
  return (
    <section data-testid="workers" className="workers">
      <h2>Workers</h2>
      {list.items.length === 0 ? (
        <p className="muted">No worker is alive: retrains wait on the queue until one starts (<code>refit worker</code>).</p>
      ) : (
        <table className="table stack">
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Host</th>
              <th scope="col">Current job</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((w) => (
              <tr key={w.id}>
                <td data-label="Worker">
                  <code>{w.id}</code>
                </td>
                <td data-label="Host">
                  {w.host} (pid {w.pid})
                </td>
                <td data-label="Current job">{w.currentJob ? `${w.currentJob.modelId}: ${w.currentJob.jobId}` : <span className="muted">idle</span>}</td>
                <td data-label="Last heartbeat">{dateTime(w.heartbeatAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
