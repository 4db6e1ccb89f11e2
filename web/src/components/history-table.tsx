import { useState } from 'react';
import { api, type Job, lowerIsBetter } from '../api.js';
import { duration, metric, metricName, signed, signedPercent } from '../format.js';
import { useHistory } from '../queries.js';
import { Card, Empty, ErrorBox, Loading, ServerText, StatusBadge, When } from './common.js';

const PAGE = 10;

/** Retrain jobs, newest first, a page at a time; `withLogs`: each job's command output on demand. */
export function HistoryTable({ modelId, withLogs = false }: { modelId: string; withLogs?: boolean }) {
  const [offset, setOffset] = useState(0);
  const history = useHistory(modelId, PAGE, offset);
  const page = history.data;
  return (
    <Card title="Retrain history" testId="history">
      {history.isPending && <Loading what="the history" />}
      {history.isError && <ErrorBox what="the history" error={history.error} retry={() => void history.refetch()} />}
      {page && page.total === 0 && <Empty>No retrains yet. Press “Retrain now”, or wait for the schedule.</Empty>}
      {page && page.items.length > 0 && (
        <>
          <div className="scroll">
            <table className="table stack history" data-testid="history-table">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Status</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Labels</th>
                  <th scope="col">Version</th>
                  <th scope="col">Metric before → after</th>
                  <th scope="col">Decision</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((job) => (
                  <HistoryRow key={job.id} job={job} withLog={withLogs} />
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="History pages">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              ← Newer
            </button>
            <span className="muted">
              {offset + 1}–{offset + page.items.length} of {page.total}
            </span>
            <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              Older →
            </button>
          </nav>
        </>
      )}
    </Card>
  );
}

function HistoryRow({ job, withLog }: { job: Job; withLog: boolean }) {
  const r = job.result;
  const name = r?.primaryMetric;
  const before = name ? r?.oldMetrics?.[name] : undefined;
  const after = name ? r?.newMetrics?.[name] : undefined;
  const diff = before !== undefined && after !== undefined ? after - before : null;
  const better = diff === null || !name ? null : lowerIsBetter(name) ? diff < 0 : diff > 0;
  return (
    <tr data-testid="history-row">
      <td data-label="Started">
        <When at={job.startedAt ?? job.createdAt} />
      </td>
      <td data-label="Trigger">
        {job.trigger}
        {job.force ? <span className="muted"> (forced)</span> : null}
        {job.attempts > 1 ? <span className="muted"> · {job.attempts} attempts</span> : null}
      </td>
      <td data-label="Status">
        <StatusBadge status={job.status} />
        {job.stage && (job.status === 'running' || job.status === 'pending') ? <span className="muted small"> {job.stage}</span> : null}
      </td>
      <td data-label="Duration" title={job.stages.map((s) => `${s.name}: ${duration(s.durationMs)}`).join('\n')}>
        {duration(job.durationMs)}
      </td>
      <td data-label="Labels">{r ? r.labelCount : '—'}</td>
      <td data-label="Version">
        {r && (r.oldVersion || r.newVersion) ? (
          <span className="versions">
            <code>{r.oldVersion ?? 'none'}</code> → <code>{r.newVersion ?? 'none'}</code>
          </span>
        ) : (
          '—'
        )}
      </td>
      <td data-label="Metric">
        {name && (before !== undefined || after !== undefined) ? (
          <span>
            <span className="muted">{metricName(name)}</span> {metric(before)} → {metric(after)}
            {diff !== null && (
              // Worse but kept (inside the gate's limit) is not a failure: amber, red only when the gate rejected it.
              <span className={better ? 'good' : diff === 0 ? 'muted' : r?.decision.startsWith('rejected') ? 'bad' : 'warn'} data-testid="history-change">
                {' '}
                ({signed(diff)}
                {r?.improvementPct !== null && r?.improvementPct !== undefined ? `, ${signedPercent(r.improvementPct)}` : ''})
              </span>
            )}
          </span>
        ) : (
          '—'
        )}
      </td>
      <td data-label="Decision" className="decision">
        {r?.decision && <ServerText text={r.decision} />}
        {job.error && (
          <div className="error-text" data-testid="history-error">
            <ServerText text={job.error} />
          </div>
        )}
        {!r?.decision && !job.error && '—'}
        {withLog && <JobLog jobId={job.id} />}
      </td>
    </tr>
  );
}

/** A command-trainer job's standard output and error, fetched when asked for. */
function JobLog({ jobId }: { jobId: string }) {
  const [log, setLog] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const show = () => {
    setError(null);
    api.jobLog(jobId).then(
      (r) => setLog(r.log === '' ? '(no output)' : r.log),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };
  return (
    <div className="job-log">
      {log === null ? (
        <button type="button" className="link-button" onClick={show} data-testid="show-log">
          Show log
        </button>
      ) : (
        <pre data-testid="job-log">{log}</pre>
      )}
      {error && <div className="error-text">{error}</div>}
    </div>
  );
}
