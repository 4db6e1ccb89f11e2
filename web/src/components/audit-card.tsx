import { useAudit } from '../queries.js';
import { Card, Empty, ErrorBox, Loading, When } from './common.js';

const ACTIONS: Record<string, string> = {
  'model.create': 'created the model',
  'model.promote': 'promoted',
  'model.rollback': 'rolled back',
  'retrain.start': 'started a retrain',
  'retrain.config': 'changed the configuration',
  'checks.run': 'ran the checks',
  'job.cancel': 'cancelled a job',
  'rollout.evaluate': 'evaluated the rollout',
  'rollout.abort': 'stopped the rollout',
  'retention.cleanup': 'cleaned up artifacts',
  'schedule.create': 'added a schedule',
  'schedule.delete': 'removed a schedule',
};

/** Who changed what on this model, when, from where, and how it ended: the audit trail, newest first. */
export function AuditCard({ modelId }: { modelId: string }) {
  const audit = useAudit(modelId, 20);
  return (
    <Card title="Audit trail" testId="audit">
      {audit.isPending && <Loading what="the audit trail" />}
      {audit.isError && <ErrorBox what="the audit trail" error={audit.error} retry={() => void audit.refetch()} />}
      {audit.data && audit.data.length === 0 && <Empty>No changes recorded yet.</Empty>}
      {audit.data && audit.data.length > 0 && (
        <div className="scroll">
          <table className="table stack" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Version</th>
                <th scope="col">From</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {audit.data.map((e) => (
                <tr key={e.id}>
                  <td data-label="When">
                    <When at={e.at} />
                  </td>
                  <td data-label="Who">{e.actor}</td>
                  <td data-label="What" title={e.action}>
                    {ACTIONS[e.action] ?? e.action}
                  </td>
                  <td data-label="Version">{e.version ?? '—'}</td>
                  <td data-label="From">{e.address ?? '—'}</td>
                  <td data-label="Outcome" className={e.outcome === 'ok' ? 'good' : 'error-text'}>
                    {e.outcome === 'ok' ? 'done' : `refused: ${e.outcome}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
