import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { settingsWithConfigFile } from '../../config/config-file.js';
import { toApiKeyWire } from '../../contract/mappers.js';
import type { Scope } from '../../domain/auth.js';
import { SCOPES } from '../../domain/auth.js';
import { asClientErrors } from '../client-error.js';
import { printJson } from '../command-kit.js';
import { DIRECT_ACTOR, DirectClient } from '../direct-client.js';
import { table, when } from '../format.js';
import type { CliIo } from '../io.js';

/** Flags of every `keys` subcommand: they open the database directly, never a server. */
interface KeysFlags {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly json?: boolean;
}

function collectScope(value: string, previous: Scope[] = []): Scope[] {
  for (const v of value.split(',')) {
    const s = v.trim();
    if (!SCOPES.includes(s as Scope)) throw new InvalidArgumentError(`must be one of ${SCOPES.join(', ')}`);
    previous = [...previous, s as Scope];
  }
  return previous;
}

function isoDate(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be an ISO 8601 date or time, e.g. 2027-01-31 or 2027-01-31T12:00:00Z');
  return d;
}

function withStore(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory of the server (default: $REFIT_DATA_DIR or ./data)')
    .option('--database-url <url>', 'database of the server (default: SQLite in the data directory)')
    .option('--json', 'print machine-readable JSON');
}

/** Open the database the flags name; `create` may start a new SQLite file, so the first key can exist before the first start. */
async function open(io: CliIo, flags: KeysFlags, mustExist: boolean): Promise<DirectClient> {
  // The config file's settings too, so the CLI opens the database the server uses.
  const settings = settingsWithConfigFile(
    io.env,
    {
      ...(flags.dataDir !== undefined ? { dataDir: resolve(io.cwd, flags.dataDir) } : {}),
      ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
    },
    io.cwd,
  );
  return DirectClient.open(settings, { mustExist });
}

async function run(io: CliIo, flags: KeysFlags, mustExist: boolean, fn: (client: DirectClient) => Promise<void>): Promise<void> {
  const client = await asClientErrors(() => open(io, flags, mustExist));
  try {
    await asClientErrors(() => fn(client));
  } finally {
    await client.close();
  }
}

/** Register `keys create|list|revoke|expire`: API keys, managed on the database directly (no server, no key needed). */
export function registerKeysCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('API keys (on the database directly, so the first one can be made before any exists)');

  withStore(
    keys
      .command('create')
      .description('create a key and print it once: it is stored only as a hash')
      .requiredOption('--name <name>', 'who holds it, as the audit trail names them')
      .requiredOption('--scope <scope>', `what it may do: ${SCOPES.join(', ')} (repeat, or comma-separate)`, collectScope)
      .option('--expires <date>', 'when it stops working (ISO 8601; default never)', isoDate),
  ).action(async (flags: KeysFlags & { name: string; scope: Scope[]; expires?: Date }) =>
    run(io, flags, false, async (client) => {
      const { key, record } = await client.refit.createKey({ name: flags.name, scopes: flags.scope, ...(flags.expires ? { expiresAt: flags.expires.toISOString() } : {}) });
      await client.refit.audit({ actor: DIRECT_ACTOR, action: 'key.create', detail: { keyId: record.id, name: record.name, scopes: record.scopes } });
      if (flags.json) return printJson(io, { ...toApiKeyWire(record, client.refit.now()), key });
      io.stdout(`${key}\n`);
      io.stderr(`Key '${record.name}' (${record.scopes.join(', ')}) created in ${client.target}. It is shown this once: keep it now.\nSend it as authorization: Bearer <key>, or set REFIT_API_KEY for the CLI.\n`);
    }),
  );

  withStore(keys.command('list').description('list the keys with their scopes and state (never the keys themselves)')).action(async (flags: KeysFlags) =>
    run(io, flags, true, async (client) => {
      const now = client.refit.now();
      const items = (await client.refit.listKeys()).map((k) => toApiKeyWire(k, now));
      if (flags.json) return printJson(io, items);
      if (items.length === 0) return void io.stdout('No API keys yet: refit keys create --name ops --scope admin\n');
      io.stdout(table(['ID', 'NAME', 'SCOPES', 'STATE', 'CREATED', 'EXPIRES'], items.map((k) => [k.id, k.name, k.scopes.join(','), k.state, when(k.createdAt), k.expiresAt ? when(k.expiresAt) : 'never'])));
    }),
  );

  withStore(keys.command('revoke <key>').description('revoke a key (by id or name) now; it is refused from the next request')).action(async (idOrName: string, flags: KeysFlags) =>
    run(io, flags, true, async (client) => {
      const k = await client.refit.revokeKey(idOrName);
      await client.refit.audit({ actor: DIRECT_ACTOR, action: 'key.revoke', detail: { keyId: k.id, name: k.name } });
      if (flags.json) return printJson(io, toApiKeyWire(k, client.refit.now()));
      io.stdout(`Key '${k.name}' (${k.id}) revoked.\n`);
    }),
  );

  withStore(
    keys
      .command('expire <key>')
      .description('make a key (by id or name) expire now, or at --at')
      .option('--at <date>', 'when (ISO 8601; default now)', isoDate),
  ).action(async (idOrName: string, flags: KeysFlags & { at?: Date }) =>
    run(io, flags, true, async (client) => {
      const k = await client.refit.expireKey(idOrName, flags.at);
      await client.refit.audit({ actor: DIRECT_ACTOR, action: 'key.expire', detail: { keyId: k.id, name: k.name, expiresAt: k.expiresAt?.toISOString() ?? null } });
      if (flags.json) return printJson(io, toApiKeyWire(k, client.refit.now()));
      io.stdout(`Key '${k.name}' (${k.id}) expires ${when(k.expiresAt?.toISOString() ?? null)}.\n`);
    }),
  );
}
