import { type Job, type Model, primaryMetricOf, type Schedule } from '../api.js';
import { WorkersCard } from '../components/workers-card.js';
import { Empty, ErrorBox, Loading, StageProgress, StatusBadge, VerdictBadge, When } from '../components/common.js';
import { dateTime, metric, metricName, percent, plural, serverText } from '../format.js';
import { driftedText, hoursText, liveByVersion } from '../monitoring.js';
import { isBusy, useConfig, useDrift, useModels, usePerformance, useSchedules, useStatus } from '../queries.js';
import { liveVerdict } from '../verdict.js';
import { Link, modelPath } from '../router.js';

/** Every model at a glance: active version, status, last retrain and its result, next run, live metric, drift. */
export function Overview() {
  const models = useModels();
  const schedules = useSchedules();
  return (
    <>
      <div className="page-title">
        <h1>Models</h1>
        {models.data && <span className="muted">{models.data.length === 1 ? '1 model' : `${models.data.length} models`}</span>}
      </div>
      {models.isPending && <Loading what="models" />}
      {models.isError && <ErrorBox what="the models" error={models.error} retry={() => void models.refetch()} />}
      {models.data && models.data.length === 0 && (
        <Empty>
          <h2>No models yet</h2>
          <p>Declare one through the API and it appears here:</p>
          <pre>{`curl -X POST http://${location.host}/api/v1/models -H 'content-type: application/json' \\
  -d '{"id": "churn", "task": "binary", "trainer": "logistic",
       "features": [{"name": "age", "type": "number"}, {"name": "plan", "type": "category"}]}'`}</pre>
          <p>
            or start the server with <code>--demo</code>, or list models in <code>refit.config.yaml</code>.
          </p>
        </Empty>
      )}
      {models.data && models.data.length > 0 && (
        <>
          <table className="table stack" data-testid="models-table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Active version</th>
                <th scope="col">Status</th>
                <th scope="col">Last retrain</th>
                <th scope="col">Result</th>
                <th scope="col">Next run</th>
                <th scope="col">Live metric</th>
                <th scope="col">Drift</th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((m) => (
                // Retrain schedules only: the trigger checks have schedules of their own (kind `check`).
                <ModelRow key={m.id} model={m} schedules={schedules.data?.filter((s) => s.modelId === m.id && s.kind !== 'check')} />
              ))}
            </tbody>
          </table>
          <p className="muted note">Live metric: the active version's primary metric in its latest window with labels that name their score, judged against its test metric with the limit of the model's live-metric trigger. Drift: its training data against its recent scores.</p>
        </>
      )}
      <WorkersCard />
    </>
  );
}

function ModelRow({ model, schedules }: { model: Model; schedules: Schedule[] | undefined }) {
  const status = useStatus(model.id);
  const s = status.data;
  const last = s?.lastJob ?? null;
  // The soonest of the model's schedules (its own and any extra ones); the status knows its own only.
  const nextRuns = (schedules ?? []).map((x) => x.nextRunAt).filter((t): t is string => t !== null);
  const nextRun = schedules ? (nextRuns.sort()[0] ?? null) : (s?.nextRunAt ?? null);
  const extra = (schedules ?? []).filter((x) => !x.default).length;
  return (
    <tr data-testid={`model-row-${model.id}`}>
      <td data-label="Model">
        <Link href={modelPath(model.id)} className="model-link">
          {model.id}
        </Link>
        <div className="muted small">
          {model.task} · {model.trainer.type}
        </div>
      </td>
      <td data-label="Active version">{model.activeVersion ? <code>{model.activeVersion}</code> : <span className="muted">none yet</span>}</td>
      <td data-label="Status">
        {status.isPending && <span className="muted">…</span>}
        {status.isError && <span className="error-text">status unavailable</span>}
        {s && (
          <span className="status-cell">
            <StatusBadge status={s.status} testId={`status-${model.id}`} />
            {isBusy(s) && <StageProgress stage={s.stage} progress={s.progress} />}
          </span>
        )}
      </td>
      <td data-label="Last retrain">{last ? <When at={last.finishedAt ?? last.createdAt} relative /> : <span className="muted">never</span>}</td>
      <td data-label="Result">{last ? <JobOutcome job={last} /> : <span className="muted">—</span>}</td>
      <td data-label="Next run">
        {nextRun ? (
          <span data-at={nextRun}>
            <When at={nextRun} relative />
          </span>
        ) : s || schedules ? <span className="muted">no schedule on</span> : '…'}
        {extra > 0 && <div className="muted small">{extra === 1 ? '1 extra schedule' : `${extra} extra schedules`}</div>}
      </td>
      <td data-label="Live metric" data-testid={`live-${model.id}`}>
        <LiveMetricCell model={model} />
      </td>
      <td data-label="Drift" data-testid={`drift-${model.id}`}>
        <DriftCell model={model} />
      </td>
    </tr>
  );
}

/** The active version's live primary metric (latest window with outcomes) against its test value, with the shared verdict. */
function LiveMetricCell({ model }: { model: Model }) {
  const perf = usePerformance(model.id);
  const config = useConfig(model.id);
  if (!model.activeVersion) return <span className="muted">—</span>;
  if (perf.isPending || config.isPending) return <span className="muted">…</span>;
  if (perf.isError) return <span className="error-text small" title={perf.error.message}>unavailable</span>;
  if (config.isError) return <span className="error-text small" title={config.error.message}>unavailable</span>;
  const primary = perf.data.primaryMetric || primaryMetricOf(model.task);
  const live = liveByVersion(perf.data).get(model.activeVersion);
  if (!live) return <span className="muted small" title="Labels that refer to scores by scoreId make the live metric.">no labelled scores yet</span>;
  const test = perf.data.baselines[model.activeVersion]?.[primary];
  const value = live.latest.metrics[primary];
  const verdict = liveVerdict(primary, value, test, live.latest.count, config.data.triggers.performance);
  return (
    <span className="live-cell" title={`${plural(live.latest.count, 'labelled outcome')} in the ${hoursText(perf.data.windowHours)} window ending ${dateTime(live.latest.end)}`}>
      <span>
        {metricName(primary)} <strong>{metric(value)}</strong> <VerdictBadge verdict={verdict} testId={`verdict-${model.id}`} />
      </span>
      <span className="muted small">
        {typeof test === 'number' ? `test ${metric(test)} · ` : ''}
        {plural(live.latest.count, 'label')}
      </span>
    </span>
  );
}

/** Drifted or not; why there is no verdict; a failure here stays in this cell. */
function DriftCell({ model }: { model: Model }) {
  const drift = useDrift(model.id);
  if (!model.activeVersion) return <span className="muted">—</span>;
  if (drift.isPending) return <span className="muted">…</span>;
  if (drift.isError) return <span className="error-text small" title={drift.error.message}>unavailable</span>;
  const d = drift.data;
  if (d.status !== 'ok') return <span className="muted small" title={serverText(d.reason)}>{d.status === 'insufficient' ? `not enough scores (${d.currentRows})` : d.status === 'no-reference' ? 'no reference data' : 'no version'}</span>;
  const tested = d.features.filter((f) => f.test !== 'none').length;
  return (
    <span className="live-cell" title={`${d.driftedFeatures.length > 0 ? `Drifted: ${d.driftedFeatures.join(', ')}. ` : ''}The model counts as drifted when ${percent(d.featureShare)} of its features drift.`}>
      {d.drifted ? <span className="badge badge-bad">drifted</span> : <span className="badge badge-good">stable</span>}
      <span className="muted small" data-testid={`drift-count-${model.id}`}>
        {driftedText(d.driftedFeatures.length, tested)}
      </span>
    </span>
  );
}

/** What a finished job did, in a few words. */
export function JobOutcome({ job }: { job: Job }) {
  if (job.status === 'failed') return <span className="error-text" title={job.error ? serverText(job.error) : undefined}>failed{job.error ? `: ${truncate(serverText(job.error), 80)}` : ''}</span>;
  if (job.status === 'skipped') return <span className="muted" title={job.result?.decision ? serverText(job.result.decision) : undefined}>skipped{job.result?.decision ? `: ${truncate(serverText(job.result.decision), 80)}` : ''}</span>;
  if (job.status === 'cancelled') return <span className="muted">cancelled</span>;
  const r = job.result;
  if (!r) return <span className="muted">{job.status}</span>;
  if (r.promoted && r.newVersion) return <span title={serverText(r.decision)}>promoted <code>{r.newVersion}</code></span>;
  return <span title={serverText(r.decision)}>not promoted{r.newVersion ? <> (<code>{r.newVersion}</code>)</> : null}</span>;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
