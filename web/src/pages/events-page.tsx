import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useAccess } from '../access.js';
import { api, type Delivery, type Sink } from '../api.js';
import { Card, Empty, ErrorBox, Loading, When } from '../components/common.js';

const KIND = { webhook: 'Webhook', redis: 'Redis stream', slack: 'Slack' } as const;

/** Deliveries change with every event and retry, which the stream does not announce: refreshed every 10 s. */
const REFRESH = { refetchInterval: 10_000 } as const;

/** Where events go: each sink with its recent deliveries and dead letters, redelivered with a click. */
export function EventsPage() {
  const sinks = useQuery({ queryKey: ['sinks'], queryFn: api.sinks, ...REFRESH });
  return (
    <>
      <div className="page-title">
        <h1>Event delivery</h1>
        {sinks.data && <span className="muted">{sinks.data.length === 1 ? '1 sink' : `${sinks.data.length} sinks`}</span>}
      </div>
      {sinks.isPending && <Loading what="sinks" />}
      {sinks.isError && <ErrorBox what="the sinks" error={sinks.error} retry={() => void sinks.refetch()} />}
      {sinks.data && sinks.data.length === 0 && (
        <Empty>
          <h2>No sinks yet</h2>
          <p>Events reach other systems through webhooks, a Redis stream (REFIT_REDIS_URL) or a Slack webhook (REFIT_SLACK_WEBHOOK_URL). Add a webhook:</p>
          <pre>{`curl -X POST http://${location.host}/api/v1/webhooks -H 'content-type: application/json' \\
  -d '{"url": "https://example.com/refit", "events": ["model.retrained", "model.rollback"]}'`}</pre>
        </Empty>
      )}
      {sinks.data?.map((s) => <SinkCard key={s.id} sink={s} />)}
    </>
  );
}

function lastAnswer(d: Delivery): string {
  const a = d.history.at(-1);
  if (!a) return '—';
  return a.statusCode === null ? a.excerpt : `${a.statusCode} ${a.excerpt}`.trim();
}

function SinkCard({ sink }: { sink: Sink }) {
  const client = useQueryClient();
  const deliveries = useQuery({ queryKey: ['deliveries', sink.id], queryFn: () => api.deliveries(sink.id, 20), ...REFRESH });
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ['deliveries', sink.id] });
    void client.invalidateQueries({ queryKey: ['sinks'] });
  };
  const redeliver = useMutation({ mutationFn: (deliveryId?: number) => api.redeliver(sink.id, deliveryId), onSettled: refresh });
  const { pending, delivered, dead } = sink.counts;
  // Redelivery needs an admin key on a server that requires keys.
  const denied = useAccess().why('admin');
  return (
    <Card
      title={`${KIND[sink.kind]}: ${sink.target}`}
      testId={`sink-${sink.id}`}
      actions={
        <button type="button" disabled={dead === 0 || redeliver.isPending || denied !== null} title={denied ?? undefined} onClick={() => redeliver.mutate(undefined)} data-testid="redeliver-all">
          Redeliver {dead === 0 ? 'dead letters' : dead === 1 ? 'the dead letter' : `all ${dead} dead letters`}
        </button>
      }
    >
      <p className="muted small" data-testid="sink-counts">
        {delivered} delivered · {pending} retrying · {dead} dead {sink.cursor !== null && <>· delivered up to event {sink.cursor}</>}{' '}
        {sink.deliveredBy !== null && <>· by {sink.deliveredBy}</>}
      </p>
      {redeliver.isError && <ErrorBox what="the redelivery" error={redeliver.error} />}
      {deliveries.isPending && <Loading what="deliveries" />}
      {deliveries.isError && <ErrorBox what="the deliveries" error={deliveries.error} retry={() => void deliveries.refetch()} />}
      {deliveries.data && deliveries.data.length === 0 && <p className="muted">Nothing delivered yet.</p>}
      {deliveries.data && deliveries.data.length > 0 && (
        <table className="table stack" data-testid="deliveries-table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Model</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last try</th>
              <th scope="col">Last answer</th>
              <th scope="col" aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {deliveries.data.map((d) => (
              <tr key={d.id} data-testid={`delivery-${d.id}`}>
                <td data-label="Event">
                  <code>{d.eventType}</code>
                </td>
                <td data-label="Model">{d.modelId ?? '—'}</td>
                <td data-label="Status">
                  <span className={`badge badge-${d.status === 'delivered' ? 'completed' : d.status === 'dead' ? 'failed' : 'running'}`}>{d.status === 'pending' ? 'retrying' : d.status}</span>
                  {d.status === 'pending' && d.nextAttemptAt && (
                    <div className="muted small">
                      next <When at={d.nextAttemptAt} relative />
                    </div>
                  )}
                </td>
                <td data-label="Attempts">{d.attempts}</td>
                <td data-label="Last try">
                  <When at={d.history.at(-1)?.at} relative />
                </td>
                <td data-label="Last answer" className="small">
                  {lastAnswer(d)}
                </td>
                <td>
                  {d.status !== 'pending' && (
                    <button type="button" disabled={redeliver.isPending || denied !== null} title={denied ?? undefined} onClick={() => redeliver.mutate(d.id)}>
                      Redeliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
