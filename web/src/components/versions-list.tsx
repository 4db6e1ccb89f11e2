import { useAccess } from '../access.js';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Version } from '../api.js';
import { metric, metricName } from '../format.js';
import { Link, versionPath } from '../router.js';
import { Card, Empty, ServerText, When } from './common.js';

/** Versions shown per page: the list flows with the page instead of scrolling inside the card. */
const PAGE = 5;

/** Versions, newest first, a page at a time, each with its decision, a link to its page and a rollback to it. */
export function VersionsList({ modelId, versions, activeVersion, primary, busy }: { modelId: string; versions: Version[]; activeVersion: string | null; primary: string; busy: boolean }) {
  const client = useQueryClient();
  const denied = useAccess().why('admin');
  const [confirming, setConfirming] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const rollback = useMutation({
    mutationFn: (version: string) => api.rollback(modelId, version),
    onSettled: () => {
      setConfirming(null);
      for (const key of ['model', 'status', 'versions']) void client.invalidateQueries({ queryKey: [key, modelId] });
      void client.invalidateQueries({ queryKey: ['models'] });
    },
  });
  // A page past the end (versions deleted) falls back to the last one.
  const start = offset < versions.length ? offset : Math.max(0, Math.floor((versions.length - 1) / PAGE) * PAGE);
  const shown = versions.slice(start, start + PAGE);
  return (
    <Card title="Versions" testId="versions">
      {versions.length === 0 ? (
        <Empty>No versions yet. The first retrain with enough labels registers one.</Empty>
      ) : (
        <ul className="versions-list">
          {shown.map((v) => {
            const isActive = v.version === activeVersion;
            return (
              <li key={v.version} data-testid="version-item" className={isActive ? 'active' : undefined}>
                <div className="version-head">
                  <Link href={versionPath(modelId, v.version)} className="version-link" title="Details of this version">
                    <code>{v.version}</code>
                  </Link>
                  <span className={`badge badge-v-${v.status}`}>{isActive ? 'active' : v.status}</span>
                  <When at={v.createdAt} className="muted small" />
                </div>
                <div className="small">
                  {metricName(primary)} {metric(v.metrics[primary])}
                  {v.championMetrics?.[primary] !== undefined && <span className="muted"> (champion then: {metric(v.championMetrics[primary])})</span>} · {v.labelCount} labels
                </div>
                <ServerText text={v.decision} className="muted small version-decision" />
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
                      <button type="button" disabled={busy || denied !== null} title={denied ?? (busy ? 'Wait for the running retrain to finish.' : undefined)} onClick={() => setConfirming(v.version)}>
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
      {versions.length > PAGE && (
        <nav className="pager" aria-label="Version pages">
          <button type="button" disabled={start === 0} onClick={() => setOffset(Math.max(0, start - PAGE))}>
            ← Newer
          </button>
          <span className="muted">
            {start + 1}–{start + shown.length} of {versions.length}
          </span>
          <button type="button" disabled={start + PAGE >= versions.length} onClick={() => setOffset(start + PAGE)}>
            Older →
          </button>
        </nav>
      )}
      {rollback.isError && (
        <p className="error-text" role="alert">
          Rollback failed: {rollback.error.message}
        </p>
      )}
    </Card>
  );
}
