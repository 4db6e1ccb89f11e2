import { useAccess } from '../access.js';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type TriggerCheck, type TriggerDecision } from '../api.js';
import { serverText } from '../format.js';
import { useChecks, useConfig, useRetrainNeeded, useSchedules } from '../queries.js';
import { liveVerdict, type VerdictLimits } from '../verdict.js';
import { Card, ErrorBox, Loading, ServerText, VerdictBadge, When } from './common.js';

const KIND: Record<string, string> = { performance: 'Live metric', drift: 'Drift', rate: 'Accept rate' };

const DECISION: Record<string, { text: string; className: string }> = {
  fire: { text: 'retrain needed', className: 'badge-bad' },
  ok: { text: 'fine', className: 'badge-good' },
  insufficient: { text: 'not enough data', className: '' },
  disabled: { text: 'off', className: '' },
  cooldown: { text: 'cooling down', className: 'badge-skipped' },
  waiting: { text: 'seen, waiting', className: 'badge-skipped' },
};

function Decision({ decision }: { decision: string }) {
  const d = DECISION[decision] ?? { text: decision, className: '' };
  return <span className={`badge ${d.className}`}>{d.text}</span>;
}

const RECENT = 9;

/**
 * Why a trigger decided as it did. The live-metric trigger's numbers go through the shared
 * verdict, so its words and colour match the overview and the metric chart; others keep the
 * server's sentence, with the dashboard's dates and percentages.
 */
function TriggerReason({ trigger: t, limits }: { trigger: TriggerDecision; limits: VerdictLimits | null }) {
  const n = t.numbers;
  if (t.kind === 'performance' && limits && typeof n.live === 'number' && typeof n.baseline === 'number' && typeof n.count === 'number' && typeof n.metric === 'string') {
    const verdict = liveVerdict(n.metric, n.live, n.baseline, n.count, limits);
    return (
      <span className="muted small trigger-reason" data-testid="trigger-verdict">
        <VerdictBadge verdict={verdict} /> {verdict.detail}
      </span>
    );
  }
  return <ServerText text={t.reason} className="muted small trigger-reason" />;
}

/**
 * What each trigger would decide now (GET retrain-needed: nothing started or stored), "Check now"
 * (the monitor's check, stored, which starts a retrain when one fires), and the stored checks.
 */
export function TriggersCard({ modelId }: { modelId: string }) {
  const client = useQueryClient();
  const needed = useRetrainNeeded(modelId);
  const checks = useChecks(modelId, RECENT);
  const config = useConfig(modelId);
  const limits = config.data?.triggers.performance ?? null;
  const schedules = useSchedules();
  const checkSchedule = schedules.data?.find((x) => x.modelId === modelId && x.kind === 'check');
  const run = useMutation({
    mutationFn: () => api.runChecks(modelId),
    onSuccess: (result) => {
      client.setQueryData(['needed', modelId], result);
      for (const key of ['checks', 'status', 'history']) void client.invalidateQueries({ queryKey: [key, modelId] });
    },
  });
  const n = needed.data;
  const denied = useAccess().why('train');
  return (
    <Card
      title="Retrain triggers"
      testId="triggers"
      actions={
        <button type="button" className="small-button" disabled={run.isPending || denied !== null} onClick={() => run.mutate()} title={denied ?? "Run the monitor's checks now; a retrain starts if a trigger fires."}>
          {run.isPending ? 'Checking…' : 'Check now'}
        </button>
      }
    >
      {needed.isPending && <Loading what="the triggers" />}
      {needed.isError && <ErrorBox what="the triggers" error={needed.error} retry={() => void needed.refetch()} />}
      {n && (
        <>
          <p data-testid="retrain-needed">
            {n.needed ? <strong className="bad">A retrain is needed now.</strong> : <span>No trigger calls for a retrain now.</span>}{' '}
            <span className="muted small" data-testid="next-check">
              The monitor checks {checkSchedule ? checkSchedule.description : 'on the check schedule'}
              {checkSchedule?.nextRunAt && (
                <>
                  {' '}
                  (next <When at={checkSchedule.nextRunAt} relative />)
                </>
              )}{' '}
              and starts the retrain itself.
            </span>
          </p>
          {n.triggers.every((t) => t.decision === 'disabled') ? (
            <p className="muted">No trigger is on: retrains start on the schedule or by hand.</p>
          ) : (
            <ul className="trigger-list">
              {n.triggers.map((t) => (
                <li key={t.kind} data-testid={`trigger-${t.kind}`}>
                  <span className="trigger-kind">{KIND[t.kind] ?? t.kind}</span>
                  <Decision decision={t.decision} />
                  <TriggerReason trigger={t} limits={limits} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <p role="status" className="small" data-testid="check-result">
        {run.isSuccess && (run.data.jobId ? <span className="bad">Checked: a trigger fired and retrain job {run.data.jobId} started.</span> : <span className="good">Checked: no retrain started.</span>)}
        {run.isError && <span className="error-text">The check failed: {run.error.message}</span>}
      </p>
      <RecentChecks checks={checks.data} error={checks.error} />
    </Card>
  );
}

function RecentChecks({ checks, error }: { checks: TriggerCheck[] | undefined; error: Error | null }) {
  if (error) return <p className="error-text small">Stored checks could not be loaded: {error.message}</p>;
  if (!checks) return null;
  return (
    <details className="recent-checks" open={checks.length > 0} data-testid="recent-checks">
      <summary>Recent checks {checks.length === 0 && <span className="muted small">(none stored yet)</span>}</summary>
      {checks.length > 0 && (
        <div className="scroll">
        <table className="table compact checks-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Trigger</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((c) => (
              <tr key={c.id} data-testid="check-row" title={serverText(c.reason)}>
                <td>
                  <When at={c.checkedAt} relative />
                </td>
                <td>{KIND[c.kind] ?? c.kind}</td>
                <td>
                  <Decision decision={c.decision} />
                  {c.jobId && (
                    <span className="small">
                      {' '}
                      job <code>{c.jobId.slice(0, 8)}</code>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </details>
  );
}
