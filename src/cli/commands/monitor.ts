import { InvalidArgumentError, type Command } from 'commander';
import type { FeatureDriftWire } from '../../contract/index.js';
import { parseWindowHours } from '../../monitor/performance.js';
import { type ClientFlags, addClientOptions, integerOption, printJson, withClient } from '../command-kit.js';
import { NONE, fields, num, plural, table, when } from '../format.js';
import type { CliIo } from '../io.js';

/** `24h`, `7d` → hours. */
function windowOption(value: string): number {
  const hours = parseWindowHours(value);
  if (hours === null) throw new InvalidArgumentError('a window looks like 1h, 24h or 7d, from 1h to 366d.');
  return hours;
}

function driftRow(f: FeatureDriftWire): string[] {
  return [f.name, f.kind, f.test, num(f.statistic), num(f.pValue), num(f.distance), num(f.threshold), plural(f.currentRows, 'row'), f.drifted ? 'yes' : 'no'];
}

/** Register `drift` and `performance`. */
export function registerMonitorCommands(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('drift')
      .argument('<model>', 'model id')
      .description("compare the active version's recent scored inputs (and its scores) with its training sample, feature by feature"),
  ).action(async (modelId: string, flags: ClientFlags) =>
    withClient(io, flags, async (client) => {
      const d = await client.drift(modelId);
      if (flags.json) return printJson(io, d);
      const head: [string, string][] = [
        ['Model', d.modelId],
        ['Version', d.version ?? NONE],
        ['Computed', when(d.computedAt)],
        ['Rows', `${plural(d.referenceRows, 'reference row')}, ${plural(d.currentRows, 'current score')}`],
      ];
      if (d.status !== 'ok') {
        head.push(['Drift', `not computed: ${d.reason}`]);
        io.stdout(fields(head));
        return;
      }
      head.push([
        'Drifted',
        `${d.drifted ? 'yes' : 'no'}: ${d.driftedFeatures.length} of ${d.features.length} features (${Math.round(d.driftedShare * 100)}%; the model counts as drifted from ${Math.round(d.featureShare * 100)}%)`,
      ]);
      io.stdout(fields(head) + '\n');
      const rows = d.features.map(driftRow);
      if (d.score) rows.push(driftRow({ ...d.score, name: '(score)' }));
      io.stdout(table(['FEATURE', 'KIND', 'TEST', 'STATISTIC', 'P-VALUE', 'DISTANCE', 'THRESHOLD', 'CURRENT', 'DRIFTED'], rows));
    }),
  );

  addClientOptions(
    program
      .command('performance')
      .argument('<model>', 'model id')
      .description('live metrics per version per window, from labels that refer to scores, against each version’s baseline')
      .option('--window <length>', 'length of one window: 1h, 24h, 7d', windowOption, 24)
      .option('--windows <n>', 'how many windows, ending now (1-366)', integerOption(1, 366), 7),
  ).action(async (modelId: string, flags: ClientFlags & { window: number; windows: number }) =>
    withClient(io, flags, async (client) => {
      const p = await client.performance(modelId, flags.window, flags.windows);
      if (flags.json) return printJson(io, p);
      const metric = p.primaryMetric;
      io.stdout(
        fields([
          ['Model', p.modelId],
          ['Active version', p.activeVersion ?? NONE],
          ['Primary metric', metric],
          ['Window', `${p.windowHours} h`],
        ]) + '\n',
      );
      const labelled = p.windows.filter((w) => w.count > 0);
      if (labelled.length === 0) {
        io.stdout(`No labelled outcomes in the last ${flags.windows} windows: labels that carry a scoreId join the score they refer to.\n`);
        return;
      }
      io.stdout(
        table(
          ['WINDOW START', 'VERSION', 'OUTCOMES', `LIVE ${metric.toUpperCase()}`, 'BASELINE', 'ACCEPT RATE'],
          labelled.map((w) => [
            when(w.start),
            w.version ?? '(default score)',
            String(w.count),
            num(w.metrics[metric as keyof typeof w.metrics] as number | undefined),
            num(w.version ? p.baselines[w.version]?.[metric] : undefined),
            num(w.acceptRate),
          ]),
        ),
      );
    }),
  );
}
