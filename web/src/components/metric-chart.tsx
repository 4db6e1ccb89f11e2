import { CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { lowerIsBetter, type Performance, type Version } from '../api.js';
import { clockTime, dateTime, metric, metricName, plural, shortDateTime } from '../format.js';
import { hoursText, type LiveMetric, liveByVersion } from '../monitoring.js';
import { liveVerdict, type VerdictLimits } from '../verdict.js';
import { Card, Empty, VerdictBadge } from './common.js';

/** A version's test metric, at the time it was trained. */
interface TestPoint {
  t: number;
  value: number;
  version: string;
  status: Version['status'];
  active: boolean;
  colour: string;
}

/** One live window of one version: its metric over the labels of scores it made in the window. */
interface LivePoint {
  t: number;
  value: number;
  version: string;
  count: number;
  start: string;
  end: string;
}

/** Test points of versions without a live series; live series get the colours below, the active version's first. */
const TEST_COLOUR = '#2563eb';
const LIVE_COLOURS = ['#ea580c', '#9333ea', '#0d9488', '#ca8a04'];

/** Colour per version: those with a live series share it between their test point and their live line. */
function coloursOf(liveVersions: string[]): Map<string, string> {
  return new Map(liveVersions.map((v, i) => [v, LIVE_COLOURS[i]]));
}

/** The tooltip: which version, which kind of value, over how many labels, when. */
function ChartTooltip({ active, payload, name }: { active?: boolean; payload?: { payload?: TestPoint | LivePoint }[]; name: string }) {
  const p = active ? payload?.[0]?.payload : undefined;
  if (!p) return null;
  return (
    <div className="chart-tooltip">
      {'count' in p ? (
        <>
          <strong>
            live {name} {metric(p.value)}
          </strong>
          <div>version {p.version}</div>
          <div className="muted">
            {plural(p.count, 'label')}, {dateTime(p.start)} – {dateTime(p.end)}
          </div>
        </>
      ) : (
        <>
          <strong>
            test {name} {metric(p.value)}
          </strong>
          <div>
            version {p.version} ({p.active ? 'active' : p.status})
          </div>
          <div className="muted">trained {dateTime(p.t)}</div>
        </>
      )}
    </div>
  );
}

/** A test point: a filled circle in its version's colour, ringed green for the active version. */
function TestDot(props: { cx?: number; cy?: number; payload?: TestPoint }) {
  const { cx, cy, payload } = props;
  if (cx === undefined || cy === undefined || !payload) return <g />;
  return (
    <g className="test-point" data-version={payload.version}>
      {payload.active && <circle cx={cx} cy={cy} r={8} fill="none" stroke="#16a34a" strokeWidth={2} />}
      <circle className="recharts-scatter-symbol-shape" cx={cx} cy={cy} r={5} fill={payload.colour} stroke="#fff" strokeWidth={1} />
    </g>
  );
}

/**
 * The primary metric of every version: a point at the time it was trained, at its value on its
 * own test rows (test rows differ between versions, so the points are not joined), and beside it
 * its live value per window, from labels that refer to its scores, as a line of its own.
 */
export function MetricChart({
  versions,
  primary,
  activeVersion,
  performance,
  performanceError,
  limits,
}: {
  versions: Version[];
  primary: string;
  activeVersion: string | null;
  performance: Performance | undefined;
  performanceError: Error | null;
  /** The live-metric trigger's limits, for the verdict column; null while the configuration loads. */
  limits: VerdictLimits | null;
}) {
  const perVersion = performance ? liveByVersion(performance) : new Map<string, LiveMetric>();
  // The active version first, then the newest: a handful of live lines stay readable.
  const newestFirst = new Map(versions.map((v, i) => [v.version, i]));
  const rank = (v: string) => (v === activeVersion ? -1 : (newestFirst.get(v) ?? versions.length));
  const liveVersions = [...perVersion.keys()].sort((a, b) => rank(a) - rank(b)).slice(0, LIVE_COLOURS.length);
  const colours = coloursOf(liveVersions);

  const testPoints: TestPoint[] = versions
    .filter((v) => typeof v.metrics[primary] === 'number' && Number.isFinite(v.metrics[primary]))
    .map((v) => ({ t: new Date(v.createdAt).getTime(), value: v.metrics[primary], version: v.version, status: v.status, active: v.version === activeVersion, colour: colours.get(v.version) ?? TEST_COLOUR }))
    .sort((a, b) => a.t - b.t);
  const liveSeries = liveVersions.map((version) => ({
    version,
    colour: colours.get(version) as string,
    points: (performance?.windows ?? [])
      .filter((w) => w.version === version && w.count > 0 && typeof w.metrics[primary] === 'number' && Number.isFinite(w.metrics[primary]))
      .map((w): LivePoint => ({ t: new Date(w.end).getTime(), value: w.metrics[primary], version, count: w.count, start: w.start, end: w.end }))
      .sort((a, b) => a.t - b.t),
  }));

  const times = [...testPoints.map((p) => p.t), ...liveSeries.flatMap((s) => s.points.map((p) => p.t))];
  const lo = times.length > 0 ? Math.min(...times) : 0;
  const hi = times.length > 0 ? Math.max(...times) : 0;
  const span = hi - lo;
  const pad = Math.max(span * 0.05, 60_000);
  const sameDay = span < 86_400_000;
  const name = metricName(primary);
  const windowText = hoursText(performance?.windowHours ?? 24);
  const tableRows = versions.filter((v) => perVersion.has(v.version) || v.version === activeVersion);
  return (
    <Card title={`${name} per version`} testId="metric-chart">
      {testPoints.length === 0 ? (
        <Empty>No versions yet: the chart fills in as retrains register versions.</Empty>
      ) : (
        <>
          <div className="chart" role="img" aria-label={`${name} of ${plural(testPoints.length, 'version')} on their test rows at training time, and live per window for ${plural(liveSeries.length, 'version')}`}>
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart margin={{ top: 12, right: 20, bottom: 22, left: 14 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
                <XAxis
                  dataKey="t"
                  type="number"
                  scale="time"
                  domain={[lo - pad, hi + pad]}
                  tickFormatter={(t: number) => (sameDay ? clockTime(t) : shortDateTime(t))}
                  tick={{ fontSize: 12 }}
                  minTickGap={28}
                  allowDuplicatedCategory={false}
                  label={{ value: sameDay ? `Time (${dateTime(lo).split(',')[0]})` : 'Date and time', position: 'insideBottom', offset: -14, fontSize: 12, fill: '#4b5563' }}
                />
                <YAxis
                  dataKey="value"
                  type="number"
                  domain={['auto', 'auto']}
                  tickFormatter={(v: number) => v.toFixed(3)}
                  tick={{ fontSize: 12 }}
                  width={56}
                  label={{ value: `${name} (${lowerIsBetter(primary) ? 'lower' : 'higher'} is better)`, angle: -90, position: 'insideLeft', offset: -6, style: { textAnchor: 'middle' }, fontSize: 12, fill: '#4b5563' }}
                />
                <Tooltip content={<ChartTooltip name={name} />} isAnimationActive={false} />
                <Legend verticalAlign="top" wrapperStyle={{ fontSize: 12, paddingBottom: 4 }} itemSorter={null} />
                <Scatter name={`test ${name} (at training)`} data={testPoints} dataKey="value" fill={TEST_COLOUR} shape={<TestDot />} isAnimationActive={false} legendType="circle" />
                {liveSeries.map((s) => (
                  <Line
                    key={s.version}
                    data={s.points}
                    dataKey="value"
                    name={`live · ${s.version}`}
                    type="linear"
                    stroke={s.colour}
                    strokeWidth={2}
                    dot={{ r: 3.5, fill: s.colour, stroke: s.colour }}
                    activeDot={{ r: 5 }}
                    isAnimationActive={false}
                    legendType="line"
                  />
                ))}
              </ComposedChart>
            </ResponsiveContainer>
          </div>
          <p className="muted small" data-testid="chart-caption">
            Each dot is a version's {name} on its own test rows, placed when it was trained (test rows differ between versions, so the dots are not joined); the green ring marks the
            active version. Each line is one version's live {name} per {windowText} window, placed at the window's end, from labels that name the score they judge (<code>scoreId</code>); a
            version with live numbers has its dot in its line's colour.
          </p>
          {performanceError && <p className="error-text small">Live metrics could not be loaded: {performanceError.message}</p>}
          {performance && tableRows.length > 0 && (
            <table className="table compact stack" data-testid="live-metrics">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Test {name}</th>
                  <th scope="col">Live {name} (latest window)</th>
                  <th scope="col">Verdict</th>
                </tr>
              </thead>
              <tbody>
                {tableRows.map((v) => {
                  const l = perVersion.get(v.version);
                  const verdict = l && limits ? liveVerdict(primary, l.latest.metrics[primary], v.metrics[primary], l.latest.count, limits) : null;
                  return (
                    <tr key={v.version} data-testid="live-row">
                      <td data-label="Version">
                        <span>
                          <code>{v.version}</code>
                          {v.version === activeVersion && <span className="muted small"> active</span>}
                        </span>
                      </td>
                      <td data-label={`Test ${name}`}>{metric(v.metrics[primary])}</td>
                      <td data-label={`Live ${name}`} data-testid="live-value">
                        {l ? (
                          <span>
                            {metric(l.latest.metrics[primary])} <span className="muted small">({plural(l.latest.count, 'label')})</span>
                          </span>
                        ) : (
                          <span className="muted">no labelled scores yet</span>
                        )}
                      </td>
                      <td data-label="Verdict" data-testid="live-verdict">{verdict ? <VerdictBadge verdict={verdict} testId={v.version === activeVersion ? 'active-verdict' : undefined} /> : <span className="muted">—</span>}</td>
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
