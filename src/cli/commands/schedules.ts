import type { Command } from 'commander';
import type { ScheduleWire } from '../../contract/index.js';
import { type ClientFlags, addClientOptions, printJson, withClient } from '../command-kit.js';
import { NONE, table, when } from '../format.js';
import type { CliIo } from '../io.js';

/** When a schedule last ran, with the status of the retrain job it started, if any: `2026-11-23 06:00Z (completed)`. */
export function lastRun(s: ScheduleWire): string {
  if (!s.lastRunAt) return NONE;
  return s.lastJobStatus ? `${when(s.lastRunAt)} (${s.lastJobStatus})` : when(s.lastRunAt);
}

/** Register `schedules [--model M]`. */
export function registerSchedulesCommand(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('schedules')
      .description("list the schedules (each model's own retrain schedule and trigger checks, and extra retrain schedules) with their last and next run")
      .option('--model <model>', "only this model's schedules"),
  ).action(async (flags: ClientFlags & { model?: string }) =>
    withClient(io, flags, async (client) => {
      const schedules = await client.listSchedules(flags.model);
      if (flags.json) return printJson(io, schedules);
      if (schedules.length === 0) {
        io.stdout(flags.model === undefined ? 'No schedules: there are no models yet.\n' : `${flags.model} has no schedules.\n`);
        return;
      }
      io.stdout(
        table(
          ['ID', 'MODEL', 'KIND', 'SCHEDULE', 'ENABLED', 'LAST RUN', 'NEXT RUN'],
          schedules.map((s) => [s.id, s.modelId, s.kind, s.description, s.config.enabled ? 'yes' : 'no', lastRun(s), when(s.nextRunAt)]),
        ),
      );
    }),
  );
}
