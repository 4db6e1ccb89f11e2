import { useRetrainNeeded } from '../queries.js';
import { Card, ErrorBox, Loading } from './common.js';

const KIND: Record<string, string> = { performance: 'Live metric', drift: 'Drift', rate: 'Accept rate' };

const DECISION: Record<string, { text: string; className: string }> = {
  fire: { text: 'retrain needed', className: 'badge-bad' },
  ok: { text: 'fine', className: 'badge-good' },
  insufficient: { text: 'not enough data', className: '' },
  disabled: { text: 'off', className: '' },
  cooldown: { text: 'cooling down', className: 'badge-skipped' },
  waiting: { text: 'seen, waiting', className: 'badge-skipped' },
};

/** What each trigger would decide now (GET retrain-needed: nothing is started or stored). */
export function TriggersCard({ modelId }: { modelId: string }) {
  const needed = useRetrainNeeded(modelId);
  const n = needed.data;
  return (
    <Card title="Retrain triggers" testId="triggers">
      {needed.isPending && <Loading what="the triggers" />}
      {needed.isError && <ErrorBox what="the triggers" error={needed.error} retry={() => void needed.refetch()} />}
      {n && (
        <>
          <p data-testid="retrain-needed">
            {n.needed ? <strong className="bad">A retrain is needed now.</strong> : <span>No trigger calls for a retrain now.</span>}{' '}
            <span className="muted small">The monitor checks on the check schedule and starts the retrain itself.</span>
          </p>
          {n.triggers.length === 0 ? (
            <p className="muted">No trigger is on: retrains start on the schedule or by hand.</p>
          ) : (
            <ul className="trigger-list">
              {n.triggers.map((t) => {
                const d = DECISION[t.decision] ?? { text: t.decision, className: '' };
                return (
                  <li key={t.kind} data-testid={`trigger-${t.kind}`}>
                    <span className="trigger-kind">{KIND[t.kind] ?? t.kind}</span>
                    <span className={`badge ${d.className}`}>{d.text}</span>
                    <span className="muted small trigger-reason">{t.reason}</span>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}
