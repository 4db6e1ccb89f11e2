import { CartesianGrid, Line, LineChart, ReferenceDot, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { lowerIsBetter, type Version } from '../api.js';
import { metric, metricName } from '../format.js';
import { Card, Empty } from './common.js';

interface Point {
  t: number;
  value: number;
  version: string;
  status: Version['status'];
}

/** The primary metric of every version on its test rows, over the time it was trained. */
export function MetricChart({ versions, primary, activeVersion }: { versions: Version[]; primary: string; activeVersion: string | null }) {
  const points: Point[] = versions
    .filter((v) => typeof v.metrics[primary] === 'number')
    .map((v) => ({ t: new Date(v.createdAt).getTime(), value: v.metrics[primary], version: v.version, status: v.status }))
    .sort((a, b) => a.t - b.t);
  const active = points.find((p) => p.version === activeVersion);
  const span = points.length > 1 ? points[points.length - 1].t - points[0].t : 0;
  const pad = Math.max(span * 0.05, 60_000);
  const sameDay = span < 86_400_000;
  const tick = (t: number) =>
    new Date(t).toLocaleString(undefined, sameDay ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return (
    <Card title={`${metricName(primary)} per version`} testId="metric-chart">
      {points.length === 0 ? (
        <Empty>No versions yet: the chart fills in as retrains register versions.</Empty>
      ) : (
        <>
          <div className="chart" role="img" aria-label={`${metricName(primary)} of ${points.length} version(s) on their test rows`}>
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 12, right: 20, bottom: 4, left: 4 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
                <XAxis dataKey="t" type="number" scale="time" domain={[points[0].t - pad, points[points.length - 1].t + pad]} tickFormatter={tick} tick={{ fontSize: 12 }} minTickGap={24} />
                <YAxis domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(3)} tick={{ fontSize: 12 }} width={56} reversed={false} />
                <Tooltip
                  labelFormatter={(t) => new Date(Number(t)).toLocaleString()}
                  formatter={(value, _name, item) => [metric(Number(value)), `${metricName(primary)} · ${(item.payload as Point).version} (${(item.payload as Point).status})`]}
                />
                <Line type="monotone" dataKey="value" name={`test ${metricName(primary)}`} stroke="#2563eb" strokeWidth={2} dot={{ r: 4 }} isAnimationActive={false} />
                {active && <ReferenceDot x={active.t} y={active.value} r={7} fill="none" stroke="#16a34a" strokeWidth={2} ifOverflow="extendDomain" />}
              </LineChart>
            </ResponsiveContainer>
          </div>
          <p className="muted small">
            Test-set {metricName(primary)} of each version ({lowerIsBetter(primary) ? 'lower' : 'higher'} is better); the green ring marks the active version. The live metric from
            production feedback is not available yet.
          </p>
        </>
      )}
    </Card>
  );
}
