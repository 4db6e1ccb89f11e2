import { ApiError, primaryMetricOf } from '../api.js';
import { Card, ErrorBox, Loading } from '../components/common.js';
import { ConfigForm } from '../components/config-form.js';
import { DriftCard } from '../components/drift-card.js';
import { RolloutCard } from '../components/rollout-card.js';
import { HistoryTable } from '../components/history-table.js';
import { MetricChart } from '../components/metric-chart.js';
import { StatusCard } from '../components/status-card.js';
import { TriggersCard } from '../components/triggers-card.js';
import { VersionsList } from '../components/versions-list.js';
import { isBusy, useConfig, useModel, usePerformance, useStatus, useVersions } from '../queries.js';
import { Link } from '../router.js';

/** One model: status and "Retrain now", triggers, metric chart (test and live), versions, history, drift, configuration. */
export function ModelPage({ modelId }: { modelId: string }) {
  const model = useModel(modelId);
  const status = useStatus(modelId);
  const versions = useVersions(modelId);
  const config = useConfig(modelId);
  const performance = usePerformance(modelId);

  if (model.isPending) return <Loading what={`model ${modelId}`} />;
  if (model.isError) {
    if (model.error instanceof ApiError && model.error.status === 404) {
      return (
        <div className="state state-empty">
          <h1>No model “{modelId}”</h1>
          <p>
            It may have been removed, or the link is wrong. <Link href="/">See all models.</Link>
          </p>
        </div>
      );
    }
    return <ErrorBox what={`model ${modelId}`} error={model.error} retry={() => void model.refetch()} />;
  }
  const m = model.data;
  const primary = primaryMetricOf(m.task);
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/">Models</Link> / <span>{m.id}</span>
      </nav>
      <div className="page-title">
        <h1>{m.id}</h1>
        <span className="muted">
          {m.task} · {m.trainer.type} · {m.features.length} feature{m.features.length === 1 ? '' : 's'}
        </span>
      </div>
      {m.description && <p className="description">{m.description}</p>}
      <div className="grid">
        <div className="col">
          {status.isPending && <Card title="Retraining"><Loading what="the status" /></Card>}
          {status.isError && <Card title="Retraining"><ErrorBox what="the status" error={status.error} retry={() => void status.refetch()} /></Card>}
          {status.data && <StatusCard modelId={m.id} status={status.data} />}
          <TriggersCard modelId={m.id} />
          <RolloutCard modelId={m.id} />
        </div>
        <div className="col">
          {versions.isPending && <Card title="Versions"><Loading what="versions" /></Card>}
          {versions.isError && <Card title="Versions"><ErrorBox what="versions" error={versions.error} retry={() => void versions.refetch()} /></Card>}
          {versions.data && (
            <MetricChart versions={versions.data.items} primary={primary} activeVersion={versions.data.activeVersion} performance={performance.data} performanceError={performance.error} limits={config.data?.triggers.performance ?? null} />
          )}
          {versions.data && <VersionsList modelId={m.id} versions={versions.data.items} activeVersion={versions.data.activeVersion} primary={primary} busy={isBusy(status.data)} />}
        </div>
      </div>
      <HistoryTable modelId={m.id} withLogs={m.trainer.type === 'command'} />
      <DriftCard modelId={m.id} />
      {config.isPending && <Card title="Configuration"><Loading what="the configuration" /></Card>}
      {config.isError && <Card title="Configuration"><ErrorBox what="the configuration" error={config.error} retry={() => void config.refetch()} /></Card>}
      {config.data && <ConfigForm modelId={m.id} config={config.data} task={m.task} />}
    </>
  );
}
