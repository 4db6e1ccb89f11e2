import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Version } from '../api.js';
import { dateTime, metric, metricName } from '../format.js';
import { Card, Empty } from './common.js';

/** Versions, newest first, each with its decision and a rollback to it. */
export function VersionsList({ modelId, versions, activeVersion, primary, busy }: { modelId: string; versions: Version[]; activeVersion: string | null; primary: string; busy: boolean }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const rollback = useMutation({
    mutationFn: (version: string) => api.rollback(modelId, version),
    onSettled: () => {
      setConfirming(null);
      for (const key of ['model', 'status', 'versions']) void client.invalidateQueries({ queryKey: [key, modelId] });
      void client.invalidateQueries({ queryKey: ['models'] });
    },
  });
  return (
    <Card title="Versions" testId="versions">
      {versions.length === 0 ? (
        <Empty>No versions yet. The first retrain with enough labels registers one.</Empty>
      ) : (
        <ul className="versions-list">
          {versions.map((v) => {
            const isActive = v.version === activeVersion;
            return (
              <li key={v.version} data-testid="version-item" className={isActive ? 'active' : undefined}>
                <div className="version-head">
                  <code>{v.version}</code>
                  <span className={`badge badge-v-${v.status}`}>{isActive ? 'active' : v.status}</span>
                  <span className="muted small">{dateTime(v.createdAt)}</span>
                </div>
                <div className="small">
                  {metricName(primary)} {metric(v.metrics[primary])}
                  {v.championMetrics?.[primary] !== undefined && <span className="muted"> (champion then: {metric(v.championMetrics[primary])})</span>} · {v.labelCount} labels
                </div>
                <div className="muted small">{v.decision}</div>
                {!isActive && (
                  <div className="version-actions">
                    {confirming === v.version ? (
                      <>
                        <span className="small">Serve {v.version} again?</span>
                        <button type="button" className="danger" disabled={rollback.isPending} onClick={() => rollback.mutate(v.version)}>
                          {rollback.isPending ? 'Rolling back…' : 'Yes, roll back'}
                        </button>
                        <button type="button" onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </>
                    ) : (
                      <button type="button" disabled={busy} title={busy ? 'Wait for the running retrain to finish.' : undefined} onClick={() => setConfirming(v.version)}>
                        Roll back to this version
                      </button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {rollback.isError && (
        <p className="error-text" role="alert">
          Rollback failed: {rollback.error.message}
        </p>
      )}
    </Card>
  );
}
