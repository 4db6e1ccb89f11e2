import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settingsWithConfigFile } from '../../src/config/config-file.js';
import { RefitError } from '../../src/errors.js';

describe('settings in the config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'refit-settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => writeFileSync(join(dir, 'refit.config.yaml'), text);

  it('gives what neither the environment nor a flag gives: Redis, the event stream, the log level', () => {
    write('settings:\n  redisUrl: redis://127.0.0.1:6390\n  eventsStream: team:events\n  logLevel: warn\n  port: 9001\nmodels: []\n');
    const s = settingsWithConfigFile({}, {}, dir);
    expect(s).toMatchObject({ redisUrl: 'redis://127.0.0.1:6390', eventsStream: 'team:events', logLevel: 'warn', port: 9001 });
  });

  it('loses to the environment, which loses to a flag', () => {
    write('settings:\n  port: 9001\n  logLevel: warn\n');
    const s = settingsWithConfigFile({ REFIT_PORT: '9002', REFIT_LOG_LEVEL: 'debug' }, { port: 9003 }, dir);
    expect(s.port).toBe(9003);
    expect(s.logLevel).toBe('debug');
  });

  it('names an unknown setting and a bad value by their path in the file', () => {
    write('settings:\n  redisURL: redis://x\n');
    const unknown = (() => {
      try {
        settingsWithConfigFile({}, {}, dir);
      } catch (err) {
        return err as RefitError;
      }
    })();
    expect(unknown).toBeInstanceOf(RefitError);
    expect(unknown!.errors).toEqual([{ path: '/settings/redisURL', message: expect.stringMatching(/^unknown setting; known: .*redisUrl/) }]);
    write('settings:\n  port: -4\n');
    expect(() => settingsWithConfigFile({}, {}, dir)).toThrow(/config file .* is invalid/);
    try {
      settingsWithConfigFile({}, {}, dir);
    } catch (err) {
      expect((err as RefitError).errors.map((p) => p.path)).toEqual(['/settings/port']);
    }
  });

  it('is not needed: no file, or a file without settings, keeps the environment\'s settings', () => {
    expect(settingsWithConfigFile({ REFIT_PORT: '9005' }, {}, dir).port).toBe(9005);
    write('models: []\n');
    expect(settingsWithConfigFile({ REFIT_PORT: '9005' }, {}, dir).port).toBe(9005);
  });
});
