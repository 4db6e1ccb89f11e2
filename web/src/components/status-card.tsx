import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useAccess } from '../access.js';
import { api, ApiError, type RetrainStatus } from '../api.js';
import { duration, labelsText, percent } from '../format.js';
import { JobOutcome } from '../pages/overview.js';
import { isBusy } from '../queries.js';
import { Card, StageProgress, StatusBadge, When } from './common.js';

/** Why "Retrain now" cannot be pressed, or null when it can. */
function disabledReason(s: RetrainStatus): string | null {
  if (s.status === 'pending') return 'A retrain is waiting to start; wait for it to finish.';
  if (s.status === 'running') return `A retrain is running (${s.stage ?? 'starting'}${s.progress !== null ? `, ${percent(s.progress)}` : ''}); wait for it to finish.`;
  return null;
}

/** The model's retrain status, its last outcome, the next run, and "Retrain now". */
export function StatusCard({ modelId, status }: { modelId: string; status: RetrainStatus }) {
  const client = useQueryClient();
  const [force, setForce] = useState(false);
  const retrain = useMutation({
    mutationFn: () => api.retrain(modelId, force),
    onSuccess: (r) => {
      // Show the new job at once; the event stream and the refetch fill in the rest.
      client.setQueryData<RetrainStatus>(['status', modelId], (old) => (old ? { ...old, status: r.status, stage: null, progress: null } : old));
      void client.invalidateQueries({ queryKey: ['status', modelId] });
      void client.invalidateQueries({ queryKey: ['history', modelId] });
    },
    onError: (err) => {
      if (err instanceof ApiError && err.status === 409) void client.invalidateQueries({ queryKey: ['status', modelId] });
    },
  });
  const denied = useAccess().why('train');
  const reason = denied ?? disabledReason(status);
  const busy = isBusy(status);
  const last = status.lastJob;
  const tooFewLabels = status.newLabels < status.minNewLabels;
  return (
    <Card title="Retraining" testId="status-card">
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={status.status} testId="retrain-status" />
          </dd>
        </div>
        {/* Always there, so the card does not grow (and the page jump) when a retrain starts. */}
        <div className="wide stage-row">
          <dt>Stage</dt>
          <dd data-testid={busy ? 'retrain-stage' : 'retrain-stage-idle'}>
            {busy ? <StageProgress stage={status.stage} progress={status.progress} /> : <span className="muted">no retrain running</span>}
          </dd>
        </div>
        <div>
          <dt>Active version</dt>
          <dd data-testid="active-version">{status.activeVersion ? <code>{status.activeVersion}</code> : <span className="muted">none yet</span>}</dd>
        </div>
        <div>
          <dt>Last retrain</dt>
          <dd>
            {last ? (
              <>
                <When at={last.finishedAt ?? last.createdAt} relative />
                <span className="muted"> · {duration(last.durationMs)}</span>
                <div data-testid="last-outcome">
                  <JobOutcome job={last} />
                </div>
              </>
            ) : (
              <span className="muted">never</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Next scheduled run</dt>
          <dd>{status.nextRunAt ? <When at={status.nextRunAt} /> : <span className="muted">schedule off</span>}</dd>
        </div>
        <div>
          <dt>New labels</dt>
          <dd data-testid="new-labels">{labelsText(status.newLabels, status.minNewLabels)}</dd>
        </div>
      </dl>
      <div className="actions">
        <button type="button" className="primary" disabled={reason !== null || retrain.isPending} aria-describedby="retrain-reason" onClick={() => retrain.mutate()}>
          {retrain.isPending ? 'Starting…' : 'Retrain now'}
        </button>
        <label className="check">
          <input type="checkbox" checked={force} disabled={busy || denied !== null} onChange={(e) => setForce(e.target.checked)} /> Train even with fewer than {status.minNewLabels} new labels
        </label>
        <p id="retrain-reason" className="muted small" data-testid="retrain-reason">
          {reason ?? (tooFewLabels && !force ? `With ${status.newLabels} new label${status.newLabels === 1 ? '' : 's'} the retrain will be skipped unless forced.` : '')}
        </p>
      </div>
      {retrain.isError && (
        <p className="error-text" role="alert">
          {retrain.error instanceof ApiError && retrain.error.status === 409
            ? `A retrain is already under way (job ${retrain.error.problem?.jobId ?? 'unknown'}).`
            : `The retrain could not start: ${retrain.error.message}`}
        </p>
      )}
    </Card>
  );
}
