import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Distribution, DriftResult, FeatureDrift } from '../api.js';
import { percent, statistic } from '../format.js';
import { driftedText, driftUnavailable, pValueText, statisticText, testName, thresholdText } from '../monitoring.js';
import { useConfig, useDrift } from '../queries.js';
import { Card, Empty, ErrorBox, Loading, When } from './common.js';

/**
 * Drift of the active version: its training data (the reference) against the most recent scores,
 * per feature the test that decided, its statistic and threshold, and both distributions.
 */
export function DriftCard({ modelId }: { modelId: string }) {
  const drift = useDrift(modelId);
  const config = useConfig(modelId);
  const d = drift.data;
  return (
    <Card
      title="Drift"
      testId="drift"
      className="drift-card"
      actions={
        d && (
          <span className="muted small card-actions">
            <span>
              computed <When at={d.computedAt} relative />
            </span>
            <button type="button" className="link-button" disabled={drift.isFetching} onClick={() => void drift.refetch()}>
              {drift.isFetching ? 'Checking…' : 'Check again'}
            </button>
          </span>
        )
      }
    >
      {drift.isPending && <Loading what="the drift report" />}
      {drift.isError && <ErrorBox what="the drift report" error={drift.error} retry={() => void drift.refetch()} />}
      {d && d.status !== 'ok' && (
        <Empty>
          <p data-testid="drift-unavailable">{driftUnavailable(d, config.data?.triggers.drift.minScores)}</p>
          {d.status === 'insufficient' && (
            <p className="muted small">
              Compared with {d.referenceRows} rows of its training data. The count grows with every score the model serves (<code>POST /api/v1/models/{modelId}/score</code>).
            </p>
          )}
        </Empty>
      )}
      {d && d.status === 'ok' && <DriftReport drift={d} />}
    </Card>
  );
}

function DriftReport({ drift }: { drift: DriftResult }) {
  const tested = drift.features.filter((f) => f.test !== 'none');
  const drifted = drift.driftedFeatures.length;
  const byName = new Map(drift.distributions.map((x) => [x.name, x]));
  const rows: { f: FeatureDrift; score: boolean }[] = [...drift.features.map((f) => ({ f, score: false })), ...(drift.score ? [{ f: drift.score, score: true }] : [])];
  return (
    <>
      <div className="verdict" data-testid="drift-verdict">
        {drift.drifted ? <span className="badge badge-bad">Drifted</span> : <span className="badge badge-good">Stable</span>}
        <span>
          {capitalised(driftedText(drifted, tested.length))} ({percent(drift.driftedShare)}); the model counts as drifted from {percent(drift.featureShare)}.
          {drift.score && <> Its scores {drift.score.drifted ? 'drifted too' : 'did not drift'}.</>}
        </span>
      </div>
      <p className="muted small">
        {drift.referenceRows} rows of the training data of <code>{drift.version}</code> against its {drift.currentRows} most recent scores. Text features are not compared. The test
        that decides is Kolmogorov–Smirnov or chi-square on small windows, the Wasserstein or Jensen–Shannon distance on large ones; PSI (ten reference-decile bins), the Wasserstein
        distance (numbers, in the feature's units) and the Jensen–Shannon distance (categories, base 2) are shown beside it.
      </p>
      <div className="scroll">
        <table className="table stack drift-table" data-testid="drift-table">
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Test</th>
              <th scope="col">Statistic</th>
              <th scope="col">p-value</th>
              <th scope="col" title="Population stability index over ten reference-decile bins (numbers)">PSI</th>
              <th scope="col" title="Wasserstein distance in the feature's units (numbers); the normalised one in the tooltip">Wasserstein</th>
              <th scope="col" title="Jensen–Shannon distance, base 2, between the category shares (categories)">Jensen–Shannon</th>
              <th scope="col">Threshold</th>
              <th scope="col">Drifted</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ f, score }) => (
              <tr key={(score ? 'score:' : '') + f.name} data-testid="drift-row" className={f.drifted ? 'drifted' : undefined}>
                <td data-label="Feature">
                  <span>
                    <strong>{score ? 'score' : f.name}</strong>
                    <span className="muted small"> {score ? '(model output, not counted)' : f.kind}</span>
                  </span>
                </td>
                <td data-label="Test">{testName(f.test)}</td>
                <td data-label="Statistic">{f.test === 'none' ? '—' : statisticText(f.statistic)}</td>
                <td data-label="p-value">{pValueText(f.pValue)}</td>
                <td data-label="PSI" data-testid="drift-psi">{statistic(f.psi)}</td>
                <td data-label="Wasserstein" data-testid="drift-wasserstein" title={f.kind === 'number' && f.distance !== undefined ? `normalised: ${statistic(f.distance)}` : undefined}>
                  {f.kind === 'number' ? statistic(f.wasserstein) : '—'}
                </td>
                <td data-label="Jensen–Shannon" data-testid="drift-js">{f.kind !== 'number' ? statistic(f.distance) : '—'}</td>
                <td data-label="Threshold">{thresholdText(f)}</td>
                <td data-label="Drifted" data-testid="drift-flag">
                  {f.drifted ? <span className="bad">yes</span> : <span className="muted">no</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="dist-grid">
        {rows.map(({ f, score }) => {
          const dist = byName.get(f.name);
          return dist ? <DistributionChart key={(score ? 'score:' : '') + f.name} dist={dist} title={score ? 'score' : f.name} drifted={f.drifted} /> : null;
        })}
      </div>
    </>
  );
}

/** Reference vs current shares per bucket (ten reference quantiles for numbers, one per level otherwise). */
function DistributionChart({ dist, title, drifted }: { dist: Distribution; title: string; drifted: boolean }) {
  const max = Math.max(0.1, ...dist.buckets.flatMap((b) => [b.reference, b.current]));
  const top = Math.min(1, Math.ceil(max * 10) / 10);
  const ticks = top >= 0.4 ? [0, top / 2, top] : [0, top];
  return (
    <figure className="dist" data-testid="drift-chart">
      <figcaption>
        <strong>{title}</strong> {drifted ? <span className="bad small">drifted</span> : <span className="muted small">stable</span>}
      </figcaption>
      <div className="dist-chart" role="img" aria-label={`${title}: share of rows per bucket, training data against recent scores`}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={dist.buckets} margin={{ top: 4, right: 4, bottom: 0, left: 0 }} barCategoryGap="15%">
            <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 10 }} interval="preserveStartEnd" minTickGap={4} />
            <YAxis tickFormatter={(v: number) => `${Math.round(v * 100)}%`} tick={{ fontSize: 10 }} width={40} domain={[0, top]} ticks={ticks} />
            <Tooltip formatter={(value, name) => [`${(Number(value) * 100).toFixed(1)}%`, name]} />
            <Legend wrapperStyle={{ fontSize: 11 }} iconSize={8} itemSorter={null} />
            <Bar dataKey="reference" name="training" fill="#94a3b8" isAnimationActive={false} />
            <Bar dataKey="current" name="recent" fill={drifted ? '#dc2626' : '#2563eb'} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
