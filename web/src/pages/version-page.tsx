import { ApiError, type Importance, type Job, lowerIsBetter, primaryMetricOf, type Version } from '../api.js';
import { Card, Empty, ErrorBox, Loading, ServerText, StatusBadge, When } from '../components/common.js';
import { duration, metric, metricName, plural, sharePercent, signed, signedPercent } from '../format.js';
import { useImportance, useJob, useModel, useVersions } from '../queries.js';
import { Link, modelPath, versionPath } from '../router.js';

/** One version: how it was trained, on what, how it scored, why it was kept or not, where it came from. */
export function VersionPage({ modelId, version }: { modelId: string; version: string }) {
  const model = useModel(modelId);
  const versions = useVersions(modelId);

  if (model.isPending || versions.isPending) return <Loading what={`version ${version}`} />;
  if (model.isError) return <NotFound modelId={modelId} version={version} error={model.error} retry={() => void model.refetch()} />;
  if (versions.isError) return <ErrorBox what={`the versions of ${modelId}`} error={versions.error} retry={() => void versions.refetch()} />;
  const v = versions.data.items.find((x) => x.version === version);
  if (!v) return <NotFound modelId={modelId} version={version} error={null} />;
  const primary = primaryMetricOf(model.data.task);
  const active = versions.data.activeVersion === v.version;
  const successors = versions.data.items.filter((x) => x.parentVersion === v.version);
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/">Models</Link> / <Link href={modelPath(modelId)}>{modelId}</Link> / <span>version</span>
      </nav>
      <div className="page-title">
        <h1>
          <code data-testid="version-title">{v.version}</code>
        </h1>
        <span className={`badge badge-v-${v.status}`}>{active ? 'active' : v.status}</span>
        <span className="muted">
          trained <When at={v.createdAt} /> · {v.trainer.type}
        </span>
      </div>
      <div className="grid">
        <div className="col">
          <TrainingCard v={v} />
          <ParamsCard v={v} />
          <MetricsCard v={v} primary={primary} />
        </div>
        <div className="col">
          <DecisionCard v={v} />
          <LineageCard v={v} successors={successors} />
          <ImportanceCard modelId={modelId} v={v} />
        </div>
      </div>
    </>
  );
}

function NotFound({ modelId, version, error, retry }: { modelId: string; version: string; error: unknown; retry?: () => void }) {
  if (error && !(error instanceof ApiError && error.status === 404)) return <ErrorBox what={`model ${modelId}`} error={error} retry={retry} />;
  return (
    <div className="state state-empty">
      <h1>No version “{version}”</h1>
      <p>
        {error ? `There is no model “${modelId}”.` : `Model ${modelId} has no such version.`} <Link href={error ? '/' : modelPath(modelId)}>{error ? 'See all models.' : `See the versions of ${modelId}.`}</Link>
      </p>
    </div>
  );
}

/** The data it was trained on. */
function TrainingCard({ v }: { v: Version }) {
  // The version stores its label count and training rows; the rest of the labels were held out to test it.
  const testRows = Math.max(0, v.labelCount - v.trainingSamples);
  return (
    <Card title="Training data" testId="version-training">
      <dl className="facts">
        <div className="wide">
          <dt>Dataset hash</dt>
          <dd>
            <code data-testid="dataset-hash" title="sha256 of the label rows in the training window: the same rows give the same hash">
              {v.datasetHash}
            </code>
          </dd>
        </div>
        <div>
          <dt>Training rows</dt>
          <dd data-testid="training-rows">{v.trainingSamples}</dd>
        </div>
        <div>
          <dt>Test rows</dt>
          <dd data-testid="test-rows" title="Labels in the window less the training rows: the held-out rows the metrics are measured on">
            {testRows}
          </dd>
        </div>
        <div>
          <dt>Labels in the window</dt>
          <dd>{v.labelCount}</dd>
        </div>
        <div>
          <dt>Features</dt>
          <dd>
            {v.features.length === 0 ? (
              <span className="muted">—</span>
            ) : (
              v.features.map((f, i) => (
                <span key={f.name}>
                  {i > 0 && ', '}
                  {f.name} <span className="muted small">({f.type})</span>
                </span>
              ))
            )}
          </dd>
        </div>
        <div className="wide">
          <dt>Artifact</dt>
          <dd>
            <code title={`sha256 ${v.artifactSha256}`}>{v.artifactSha256.slice(0, 12)}…</code> <span className="muted small">{(v.artifactBytes / 1024).toFixed(1)} KiB</span>
            {v.artifactDeletedAt && (
              <div className="muted small">
                Deleted by retention <When at={v.artifactDeletedAt} />: the version can no longer be served.
              </div>
            )}
          </dd>
        </div>
      </dl>
    </Card>
  );
}

/** Trainer and its parameters as they were for this version. */
function ParamsCard({ v }: { v: Version }) {
  const entries = Object.entries(v.trainer.params ?? {});
  return (
    <Card title="Trainer and parameters" testId="version-params">
      <p>
        Trainer <strong data-testid="version-trainer">{v.trainer.type}</strong>
      </p>
      {entries.length === 0 ? (
        <p className="muted small">No parameters set: the trainer's defaults.</p>
      ) : (
        <table className="table compact params">
          <thead>
            <tr>
              <th scope="col">Parameter</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {entries.map(([k, value]) => (
              <tr key={k} data-testid="param-row">
                <td>
                  <code>{k}</code>
                </td>
                <td>
                  <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** Every metric on the test rows, beside the champion's on the same rows. */
function MetricsCard({ v, primary }: { v: Version; primary: string }) {
  const names = Object.keys(v.metrics).sort((a, b) => (a === primary ? -1 : b === primary ? 1 : a.localeCompare(b)));
  return (
    <Card title="Metrics on the test rows" testId="version-metrics">
      {names.length === 0 ? (
        <Empty>No metrics were recorded.</Empty>
      ) : (
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">This version</th>
              <th scope="col">Champion, same rows</th>
              <th scope="col">Difference</th>
            </tr>
          </thead>
          <tbody>
            {names.map((n) => {
              const mine = v.metrics[n];
              const theirs = v.championMetrics?.[n];
              const diff = typeof theirs === 'number' ? mine - theirs : null;
              const better = diff === null ? null : lowerIsBetter(n) ? diff < 0 : diff > 0;
              return (
                <tr key={n} data-testid="metric-row">
                  <td>
                    {metricName(n)}
                    {n === primary && <span className="muted small"> (primary)</span>}
                  </td>
                  <td>{metric(mine)}</td>
                  <td>{typeof theirs === 'number' ? metric(theirs) : <span className="muted">{v.championMetrics ? '—' : 'no champion'}</span>}</td>
                  <td className={diff === null || diff === 0 ? 'muted' : better ? 'good' : 'bad'}>{diff === null ? '—' : signed(diff)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}

/** The retrain that made it and what it decided. */
function DecisionCard({ v }: { v: Version }) {
  const job = useJob(v.jobId);
  return (
    <Card title="Decision" testId="version-decision">
      <p>
        <ServerText text={v.decision} testId="decision-text" />
      </p>
      {v.jobId === null && <p className="muted small">Registered without a retrain job (imported or made by hand).</p>}
      {job.isPending && v.jobId !== null && <Loading what="the retrain job" />}
      {job.isError && <p className="muted small">The retrain job could not be loaded: {job.error.message}</p>}
      {job.data && <JobFacts job={job.data} />}
    </Card>
  );
}

function JobFacts({ job }: { job: Job }) {
  const r = job.result;
  return (
    <dl className="facts">
      <div>
        <dt>Retrain</dt>
        <dd>
          <StatusBadge status={job.status} /> <span className="muted small">
            trigger: {job.trigger}
            {job.force ? ' (forced)' : ''}
          </span>
        </dd>
      </div>
      <div>
        <dt>When</dt>
        <dd>
          <When at={job.startedAt ?? job.createdAt} /> <span className="muted small">· {duration(job.durationMs)}</span>
        </dd>
      </div>
      {r && (
        <>
          <div>
            <dt>Promoted</dt>
            <dd data-testid="decision-promoted">{r.promoted ? 'yes' : 'no'}</dd>
          </div>
          <div>
            <dt>Against the champion</dt>
            <dd>{r.improvementPct === null ? <span className="muted">no champion to compare</span> : `${signedPercent(r.improvementPct)} on ${metricName(r.primaryMetric)}`}</dd>
          </div>
        </>
      )}
    </dl>
  );
}

/** Where it came from and what came after. */
function LineageCard({ v, successors }: { v: Version; successors: Version[] }) {
  return (
    <Card title="Lineage" testId="lineage">
      <dl className="facts">
        <div>
          <dt>Parent</dt>
          <dd data-testid="lineage-parent">
            {v.parentVersion ? (
              <>
                <Link href={versionPath(v.modelId, v.parentVersion)}>
                  <code>{v.parentVersion}</code>
                </Link>
                <div className="muted small">the version in service when it was trained, and compared with it</div>
              </>
            ) : (
              <span className="muted">none: the model's first version</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Trained after it</dt>
          <dd data-testid="lineage-children">
            {successors.length === 0 ? (
              <span className="muted">none yet</span>
            ) : (
              successors.map((c, i) => (
                <span key={c.version}>
                  {i > 0 && ', '}
                  <Link href={versionPath(v.modelId, c.version)}>
                    <code>{c.version}</code>
                  </Link>{' '}
                  <span className="muted small">({c.status})</span>
                </span>
              ))
            )}
          </dd>
        </div>
        <div className="wide">
          <dt>Made by job</dt>
          <dd data-testid="lineage-job">{v.jobId ? <code>{v.jobId}</code> : <span className="muted">none</span>}</dd>
        </div>
      </dl>
    </Card>
  );
}

/** Gain per feature from the stored artifact; trainers without importance say so. */
function ImportanceCard({ modelId, v }: { modelId: string; v: Version }) {
  const importance = useImportance(modelId, v.version);
  return (
    <Card title="Feature importance" testId="importance">
      {importance.isPending && <Loading what="the feature importance" />}
      {importance.isError && (
        <p className="muted" data-testid="importance-unavailable">
          {v.artifactDeletedAt ? 'The artifact of this version was deleted, so its importance cannot be read.' : `The importance could not be read: ${importance.error.message}`}
        </p>
      )}
      {importance.data && <ImportanceBars data={importance.data} />}
    </Card>
  );
}

function ImportanceBars({ data }: { data: Importance }) {
  if (!data.available || data.features.length === 0) {
    return (
      <p className="muted" data-testid="importance-unavailable">
        {data.available ? 'The model uses no feature (a constant model).' : `Not available for this version: ${data.reason.charAt(0).toLowerCase() + data.reason.slice(1)}.`}
      </p>
    );
  }
  const total = data.features.reduce((a, f) => a + f.gain, 0) || 1;
  const top = Math.max(...data.features.map((f) => f.gain)) || 1;
  return (
    <>
      <ol className="importance" data-testid="importance-list">
        {data.features.map((f) => (
          <li key={f.feature} data-testid="importance-row">
            <span className="importance-name">{f.feature}</span>
            <span className="importance-bar" aria-hidden="true">
              <span style={{ width: `${(f.gain / top) * 100}%` }} />
            </span>
            <span className="importance-value">{sharePercent(f.gain / total)}</span>
            <span className="muted small importance-splits">{plural(f.splits, 'split')}</span>
          </li>
        ))}
      </ol>
      <p className="muted small">Share of the total gain (the loss reduction of the splits on a feature), and how many splits use it.</p>
    </>
  );
}
