import { useAccess } from '../access.js';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { RolloutDecision } from '../api.js';
import { api } from '../api.js';
import { percent, sharePercent } from '../format.js';
import { armLines, sampledNote } from '../rollout-numbers.js';
import { useRollout, useTimeline } from '../queries.js';
import { Card, Empty, ErrorBox, Loading, ServerText, When } from './common.js';

const POLICY: Record<string, string> = {
  direct: 'Direct: a version that passes its gates serves all traffic at once.',
  canary: 'Canary: a version that passes its gates first serves a share of the scores, and is promoted or stopped on its live numbers.',
  shadow: 'Shadow: a version that passes its gates first scores every request beside the champion, unseen, and is promoted or stopped on its numbers.',
};

function Running({ d, title }: { d: RolloutDecision; title: string }) {
  const r = d.rollout;
  return (
    <div className="rollout-running" data-testid={`rollout-${r.kind}`}>
      <div>
        <strong>{title}</strong> <code>{r.version}</code>
        {r.baseVersion && (
          <span className="muted">
            {' '}
            {r.kind === 'watch' ? 'rolls back to' : 'against'} <code>{r.baseVersion}</code>
          </span>
        )}
      </div>
      <div className="muted small">
        since <When at={r.startedAt} /> · decided by <When at={r.endsAt} /> at the latest
      </div>
      <div className="small" data-testid="rollout-decision">
        Now: <span className={`badge badge-d-${d.decision}`}>{d.decision}</span> <ServerText text={d.reason} />
      </div>
      <ArmTable numbers={d.numbers} />
    </div>
  );
}

/** The live numbers each arm's decision rests on, and whether they are the most recent ones only. */
function ArmTable({ numbers }: { numbers: Readonly<Record<string, unknown>> }) {
  const lines = armLines(numbers);
  if (lines.length === 0) return null;
  const note = sampledNote(lines);
  return (
    <>
      <table className="table compact stack" data-testid="rollout-numbers">
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Labels</th>
            <th scope="col">Success rate</th>
            <th scope="col">Scores</th>
            <th scope="col">Error rate</th>
            <th scope="col">p95 latency</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.arm} data-testid={`arm-${l.arm}`}>
              <td data-label="Arm">
                {l.arm} <code>{l.version}</code>
              </td>
              <td data-label="Labels">{l.labels}</td>
              <td data-label="Success rate">{sharePercent(l.successRate)}</td>
              <td data-label="Scores">{l.attempts}</td>
              <td data-label="Error rate">{sharePercent(l.errorRate)}</td>
              {/* Scoring latencies are a millisecond or two: duration() would round them to whole ms. */}
              <td data-label="p95 latency">{l.latencyP95Ms === null ? '—' : `${Number(l.latencyP95Ms.toPrecision(3))} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {note && (
        <p className="muted small" data-testid="rollout-sampled">
          {note}
        </p>
      )}
    </>
  );
}

/** The rollout policy, a running canary, shadow or post-promotion watch, and the model's timeline. */
export function RolloutCard({ modelId }: { modelId: string }) {
  const state = useRollout(modelId);
  const timeline = useTimeline(modelId, 8);
  const client = useQueryClient();
  const denied = useAccess().why('admin');
  const abort = useMutation({
    mutationFn: () => api.abortRollout(modelId),
    onSettled: () => {
      for (const key of ['rollout', 'timeline', 'versions', 'model', 'status']) void client.invalidateQueries({ queryKey: [key, modelId] });
    },
  });
  return (
    <Card title="Rollout" testId="rollout">
      {state.isPending && <Loading what="the rollout" />}
      {state.isError && <ErrorBox what="the rollout" error={state.error} retry={() => void state.refetch()} />}
      {state.data && (
        <>
          <p className="small" data-testid="rollout-policy">
            {POLICY[state.data.policy.policy]}
            {state.data.policy.policy === 'canary' && ` Share: ${percent(state.data.policy.canaryShare)}, for up to ${state.data.policy.durationHours} h.`} A promoted version is
            watched for {state.data.policy.watchHours} h and rolled back if its live numbers fall.
          </p>
          {state.data.challenger && (
            <>
              <Running
                d={state.data.challenger}
                title={state.data.challenger.rollout.mode === 'canary' ? `Canary (${percent(state.data.challenger.rollout.share ?? 0)} of scores)` : 'Shadow'}
              />
              <button type="button" className="danger" disabled={abort.isPending || denied !== null} title={denied ?? undefined} onClick={() => abort.mutate()}>
                {abort.isPending ? 'Stopping…' : `Stop the ${state.data.challenger.rollout.mode ?? 'rollout'} and keep the champion`}
              </button>
              {abort.isError && (
                <p className="error-text" role="alert">
                  Could not stop it: {abort.error.message}
                </p>
              )}
            </>
          )}
          {state.data.watch && <Running d={state.data.watch} title="Watching" />}
          {!state.data.challenger && !state.data.watch && <p className="muted small">No canary, shadow or watch is running.</p>}
        </>
      )}
      <h3 className="subhead">Timeline</h3>
      {timeline.isPending && <Loading what="the timeline" />}
      {timeline.isError && <ErrorBox what="the timeline" error={timeline.error} retry={() => void timeline.refetch()} />}
      {timeline.data && timeline.data.items.length === 0 && <Empty>Nothing has been activated yet.</Empty>}
      {timeline.data && timeline.data.items.length > 0 && (
        <ul className="timeline" data-testid="timeline">
          {timeline.data.items.map((e) => (
            <li key={e.id} data-testid="timeline-item">
              <When at={e.at} relative className="muted small" />{' '}
              <strong>{e.action}</strong> {e.version && <code>{e.version}</code>}
              {e.fromVersion && (
                <span className="muted">
                  {' '}
                  (from <code>{e.fromVersion}</code>)
                </span>
              )}{' '}
              <span className="muted small">
                by {e.actor}: <ServerText text={e.reason} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
