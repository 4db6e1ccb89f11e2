import { type Command, InvalidArgumentError } from 'commander';
import type { DeliveryWire } from '../../contract/index.js';
import { type ClientFlags, addClientOptions, printJson, withClient } from '../command-kit.js';
import { NONE, duration, fields, table, when } from '../format.js';
import type { CliIo } from '../io.js';

const list = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

function status(value: string): 'pending' | 'delivered' | 'dead' {
  if (value === 'pending' || value === 'delivered' || value === 'dead') return value;
  throw new InvalidArgumentError("must be 'pending', 'delivered' or 'dead'");
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return n;
}

/** The last attempt of a delivery for people: `500 receiver error`, `timed out after 10000 ms`. */
function lastAttempt(d: DeliveryWire): string {
  const a = d.history.at(-1);
  if (!a) return NONE;
  const text = a.excerpt.replace(/\s+/g, ' ').slice(0, 60);
  return a.statusCode === null ? text : `${a.statusCode} ${text}`.trim();
}

/** Register `webhooks` with its subcommands: list, add, update, remove, test, deliveries, redeliver. */
export function registerWebhooksCommand(program: Command, io: CliIo): void {
  const hooks = program.command('webhooks').description('webhooks that receive events, signed (Standard Webhooks): list, add, update, remove, test, deliveries, redeliver');

  addClientOptions(hooks.command('list', { isDefault: true }).description('list the webhooks')).action(async (flags: ClientFlags) =>
    withClient(io, flags, async (client) => {
      const items = await client.listWebhooks();
      if (flags.json) return printJson(io, items);
      if (items.length === 0) return void io.stdout('No webhooks. Add one with: refit webhooks add URL --events model.retrained,model.rollback\n');
      io.stdout(table(['ID', 'URL', 'EVENTS', 'ENABLED', 'DESCRIPTION'], items.map((w) => [w.id, w.url, w.events.join(','), w.enabled ? 'yes' : 'no', w.description ?? NONE])));
    }),
  );

  addClientOptions(
    hooks
      .command('add <url>')
      .description('register a webhook; prints its signing secret, which is shown only this once')
      .requiredOption('--events <types>', 'comma-separated event types, prefixes with .* (model.*) or * for all', list)
      .option('--description <text>', 'what it is for'),
  ).action(async (url: string, flags: ClientFlags & { events: string[]; description?: string }) =>
    withClient(io, flags, async (client) => {
      const w = await client.createWebhook({ url, events: flags.events, ...(flags.description !== undefined ? { description: flags.description } : {}) });
      if (flags.json) return printJson(io, w);
      io.stdout(fields([['Webhook', w.id], ['URL', w.url], ['Events', w.events.join(',')], ['Secret', w.secret]]));
      io.stdout('Keep the secret: it is not shown again. Receivers verify each request with it (webhook-signature header).\n');
    }),
  );

  addClientOptions(
    hooks
      .command('update <id>')
      .description("change a webhook's URL, events, description, or switch it off and on")
      .option('--url <url>', 'new URL')
      .option('--events <types>', 'new comma-separated event types', list)
      .option('--description <text>', 'new description')
      .option('--enable', 'deliver to it again')
      .option('--disable', 'stop delivering to it (events wait until it is enabled)'),
  ).action(async (id: string, flags: ClientFlags & { url?: string; events?: string[]; description?: string; enable?: boolean; disable?: boolean }) =>
    withClient(io, flags, async (client) => {
      const patch = {
        ...(flags.url !== undefined ? { url: flags.url } : {}),
        ...(flags.events !== undefined ? { events: flags.events } : {}),
        ...(flags.description !== undefined ? { description: flags.description } : {}),
        ...(flags.enable ? { enabled: true } : flags.disable ? { enabled: false } : {}),
      };
      const w = await client.updateWebhook(id, patch);
      if (flags.json) return printJson(io, w);
      io.stdout(fields([['Webhook', w.id], ['URL', w.url], ['Events', w.events.join(',')], ['Enabled', w.enabled ? 'yes' : 'no']]));
    }),
  );

  addClientOptions(hooks.command('remove <id>').description('remove a webhook and its deliveries')).action(async (id: string, flags: ClientFlags) =>
    withClient(io, flags, async (client) => {
      await client.deleteWebhook(id);
      if (flags.json) return printJson(io, { removed: id });
      io.stdout(`Webhook ${id} removed.\n`);
    }),
  );

  addClientOptions(hooks.command('test <id>').description('send a signed test event now and show the answer')).action(async (id: string, flags: ClientFlags) =>
    withClient(io, flags, async (client) => {
      const r = await client.testWebhook(id);
      if (flags.json) return printJson(io, r);
      io.stdout(fields([['Result', r.ok ? 'delivered' : 'failed'], ['Status', r.statusCode === null ? NONE : String(r.statusCode)], ['Took', duration(r.durationMs)], ['Answer', r.excerpt || NONE]]));
      return r.ok ? 0 : 1;
    }),
  );

  addClientOptions(
    hooks
      .command('deliveries <id>')
      .description("a webhook's deliveries, newest first, with their last attempt")
      .option('--status <status>', 'only pending, delivered or dead ones', status)
      .option('--limit <n>', 'how many (default 20)', positiveInt, 20),
  ).action(async (id: string, flags: ClientFlags & { status?: 'pending' | 'delivered' | 'dead'; limit: number }) =>
    withClient(io, flags, async (client) => {
      const items = await client.webhookDeliveries(id, { ...(flags.status ? { status: flags.status } : {}), limit: flags.limit });
      if (flags.json) return printJson(io, items);
      if (items.length === 0) return void io.stdout('No deliveries yet.\n');
      io.stdout(table(['ID', 'EVENT', 'MODEL', 'STATUS', 'ATTEMPTS', 'LAST TRY', 'LAST ANSWER'], items.map((d) => [String(d.id), d.eventType, d.modelId ?? NONE, d.status, String(d.attempts), when(d.history.at(-1)?.at), lastAttempt(d)])));
    }),
  );

  addClientOptions(hooks.command('redeliver <id> [deliveryId]').description('queue one delivery, or every dead letter of the webhook, again')).action(async (id: string, deliveryId: string | undefined, flags: ClientFlags) =>
    withClient(io, flags, async (client) => {
      const queued = await client.redeliverWebhook(id, deliveryId === undefined ? undefined : positiveInt(deliveryId));
      if (flags.json) return printJson(io, { queued });
      io.stdout(`${queued} ${queued === 1 ? 'delivery' : 'deliveries'} queued again.\n`);
    }),
  );
}
