import { CartesianGrid, ComposedChart, Legend, Line, ReferenceDot, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { lowerIsBetter, type Performance, type Version } from '../api.js';
import { metric, metricName } from '../format.js';
import { hoursText, liveByVersion } from '../monitoring.js';
import { Card, Empty } from './common.js';

interface Point {
  t: number;
  value: number;
  version: string;
  status: Version['status'];
  /** Live points: labelled outcomes in the window. */
  count?: number;
}

/**
 * The primary metric of every version: on its test rows when it was trained (the line), and live,
 * from labels that refer to its scores, per window (the dots).
 */
export function MetricChart({
  versions,
  primary,
  activeVersion,
  performance,
  performanceError,
}: {
  versions: Version[];
  primary: string;
  activeVersion: string | null;
  performance: Performance | undefined;
  performanceError: Error | null;
}) {
  const status = new Map(versions.map((v) => [v.version, v.status]));
  const points: Point[] = versions
    .filter((v) => typeof v.metrics[primary] === 'number')
    .map((v) => ({ t: new Date(v.createdAt).getTime(), value: v.metrics[primary], version: v.version, status: v.status }))
    .sort((a, b) => a.t - b.t);
  const live: Point[] = (performance?.windows ?? [])
    .filter((w) => w.count > 0 && typeof w.metrics[primary] === 'number' && Number.isFinite(w.metrics[primary]))
    .map((w) => ({ t: new Date(w.end).getTime(), value: w.metrics[primary], version: w.version, status: status.get(w.version) ?? 'retired', count: w.count }));
  const perVersion = performance ? liveByVersion(performance) : new Map();
  const active = points.find((p) => p.version === activeVersion);
  const all = [...points, ...live].map((p) => p.t);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo;
  const pad = Math.max(span * 0.05, 60_000);
  const sameDay = span < 86_400_000;
  const tick = (t: number) =>
    new Date(t).toLocaleString(undefined, sameDay ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const name = metricName(primary);
  const rows = versions.filter((v) => perVersion.has(v.version) || v.version === activeVersion);
  return (
    <Card title={`${name} per version`} testId="metric-chart">
      {points.length === 0 && live.length === 0 ? (
        <Empty>No versions yet: the chart fills in as retrains register versions.</Empty>
      ) : (
        <>
          <div className="chart" role="img" aria-label={`${name} of ${points.length} version(s) on their test rows, and ${live.length} live window(s)`}>
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart margin={{ top: 12, right: 20, bottom: 4, left: 4 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
                <XAxis dataKey="t" type="number" scale="time" domain={[lo - pad, hi + pad]} tickFormatter={tick} tick={{ fontSize: 12 }} minTickGap={24} allowDuplicatedCategory={false} />
                <YAxis dataKey="value" type="number" domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(3)} tick={{ fontSize: 12 }} width={56} />
                <Tooltip
                  labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
                  formatter={(value, _name, item) => {
                    const p = item.payload as Point;
                    return [metric(Number(value)), p.count !== undefined ? `live ${name} · ${p.version} (${p.count} labels)` : `test ${name} · ${p.version} (${p.status})`];
                  }}
                />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Line data={points} type="monotone" dataKey="value" name={`test ${name}`} stroke="#2563eb" strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false} />
                {live.length > 0 && <Scatter data={live} dataKey="value" name={`live ${name} (per ${hoursText(performance?.windowHours ?? 24)})`} fill="#ea580c" shape="diamond" isAnimationActive={false} />}
                {active && <ReferenceDot x={active.t} y={active.value} r={7} fill="none" stroke="#16a34a" strokeWidth={2} ifOverflow="extendDomain" />}
              </ComposedChart>
            </ResponsiveContainer>
          </div>
          <p className="muted small">
            Test-set {name} of each version when it was trained ({lowerIsBetter(primary) ? 'lower' : 'higher'} is better); the green ring marks the active version. Orange: the live {name} per{' '}
            {hoursText(performance?.windowHours ?? 24)} window, from labels that name the score they judge (<code>scoreId</code>).
          </p>
          {performanceError && <p className="error-text small">Live metrics could not be loaded: {performanceError.message}</p>}
          {performance && rows.length > 0 && (
            <table className="table compact" data-testid="live-metrics">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Test {name}</th>
                  <th scope="col">Live {name}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((v) => {
                  const l = perVersion.get(v.version);
                  return (
                    <tr key={v.version} data-testid="live-row">
                      <td>
                        <code>{v.version}</code>
                        {v.version === activeVersion && <span className="muted small"> active</span>}
                      </td>
                      <td>{metric(v.metrics[primary])}</td>
                      <td data-testid="live-value">
                        {l ? (
                          <>
                            {metric(l.value)} <span className="muted small">({l.count} labels)</span>
                          </>
                        ) : (
                          <span className="muted">no labelled scores yet</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </Card>
  );
}
