import { CartesianGrid, Legend, Line, LineChart, ReferenceDot, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { lowerIsBetter, type Performance, type Version } from '../api.js';
import { metric, metricName } from '../format.js';
import { hoursText, type LiveMetric, liveByVersion } from '../monitoring.js';
import { Card, Empty } from './common.js';

/** One moment on the time axis: a version's test metric, and/or live values per version (`live:<version>`). */
type Row = { t: number; test?: number; testVersion?: string; testStatus?: Version['status'] } & Record<string, number | string | undefined>;

/** Live series get these colours, the active version's first. */
const LIVE_COLOURS = ['#ea580c', '#9333ea', '#0d9488', '#ca8a04'];

/**
 * The primary metric of every version: on its test rows when it was trained (the blue line), and
 * live per window from labels that refer to its scores (one dashed line per version).
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
  const rows = new Map<number, Row>();
  const rowAt = (t: number): Row => {
    let row = rows.get(t);
    if (!row) rows.set(t, (row = { t }));
    return row;
  };
  const tested = versions.filter((v) => typeof v.metrics[primary] === 'number');
  for (const v of tested) {
    let t = new Date(v.createdAt).getTime();
    while (rows.get(t)?.test !== undefined) t++;
    Object.assign(rowAt(t), { test: v.metrics[primary], testVersion: v.version, testStatus: v.status });
  }
  const perVersion = performance ? liveByVersion(performance) : new Map<string, LiveMetric>();
  // The active version first, then the newest: a handful of live lines stay readable.
  const newestFirst = new Map(versions.map((v, i) => [v.version, i]));
  const rank = (v: string) => (v === activeVersion ? -1 : (newestFirst.get(v) ?? versions.length));
  const liveVersions = [...perVersion.keys()].sort((a, b) => rank(a) - rank(b)).slice(0, LIVE_COLOURS.length);
  for (const w of performance?.windows ?? []) {
    const value = w.metrics[primary];
    if (w.count <= 0 || typeof value !== 'number' || !Number.isFinite(value) || !liveVersions.includes(w.version)) continue;
    Object.assign(rowAt(new Date(w.end).getTime()), { [`live:${w.version}`]: value, [`count:${w.version}`]: w.count });
  }
  const data = [...rows.values()].sort((a, b) => a.t - b.t);
  const activeRow = data.find((r) => r.testVersion === activeVersion && r.test !== undefined);
  const lo = data.length > 0 ? data[0].t : 0;
  const hi = data.length > 0 ? data[data.length - 1].t : 0;
  const span = hi - lo;
  const pad = Math.max(span * 0.05, 60_000);
  const sameDay = span < 86_400_000;
  const tick = (t: number) =>
    new Date(t).toLocaleString(undefined, sameDay ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const name = metricName(primary);
  const tableRows = versions.filter((v) => perVersion.has(v.version) || v.version === activeVersion);
  return (
    <Card title={`${name} per version`} testId="metric-chart">
      {data.length === 0 ? (
        <Empty>No versions yet: the chart fills in as retrains register versions.</Empty>
      ) : (
        <>
          <div className="chart" role="img" aria-label={`${name} of ${tested.length} version(s) on their test rows, and live for ${liveVersions.length} version(s)`}>
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={data} margin={{ top: 12, right: 20, bottom: 4, left: 4 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
                <XAxis dataKey="t" type="number" scale="time" domain={[lo - pad, hi + pad]} tickFormatter={tick} tick={{ fontSize: 12 }} minTickGap={24} />
                <YAxis domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(3)} tick={{ fontSize: 12 }} width={56} />
                <Tooltip
                  labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
                  formatter={(value, _name, item) => {
                    const row = item.payload as Row;
                    const key = String(item.dataKey);
                    if (key === 'test') return [metric(Number(value)), `test ${name} · ${row.testVersion} (${row.testStatus})`];
                    const version = key.slice('live:'.length);
                    return [metric(Number(value)), `live ${name} · ${version} (${row[`count:${version}`]} labels)`];
                  }}
                />
                <Legend wrapperStyle={{ fontSize: 12 }} itemSorter={null} />
                <Line type="monotone" dataKey="test" name={`test ${name}`} stroke="#2563eb" strokeWidth={2} dot={{ r: 4 }} connectNulls isAnimationActive={false} />
                {liveVersions.map((v, i) => (
                  <Line
                    key={v}
                    type="monotone"
                    dataKey={`live:${v}`}
                    name={`live · ${v}`}
                    stroke={LIVE_COLOURS[i]}
                    strokeWidth={2}
                    strokeDasharray="5 4"
                    dot={{ r: 4, fill: LIVE_COLOURS[i], stroke: LIVE_COLOURS[i] }}
                    connectNulls
                    isAnimationActive={false}
                  />
                ))}
                {activeRow && <ReferenceDot x={activeRow.t} y={activeRow.test} r={7} fill="none" stroke="#16a34a" strokeWidth={2} ifOverflow="extendDomain" />}
              </LineChart>
            </ResponsiveContainer>
          </div>
          <p className="muted small">
            Test-set {name} of each version when it was trained ({lowerIsBetter(primary) ? 'lower' : 'higher'} is better); the green ring marks the active version. Dashed: the live {name} of a version per{' '}
            {hoursText(performance?.windowHours ?? 24)} window, from labels that name the score they judge (<code>scoreId</code>).
          </p>
          {performanceError && <p className="error-text small">Live metrics could not be loaded: {performanceError.message}</p>}
          {performance && tableRows.length > 0 && (
            <table className="table compact" data-testid="live-metrics">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Test {name}</th>
                  <th scope="col">Live {name} (latest window)</th>
                </tr>
              </thead>
              <tbody>
                {tableRows.map((v) => {
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
                            {metric(l.latest.metrics[primary])} <span className="muted small">({l.latest.count} labels)</span>
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
