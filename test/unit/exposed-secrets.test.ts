// The warning at start when a conf.ini holding a password may be read by others: every password
// it may hold counts, an alert URL's user:password@ too.
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { test } from 'node:test';
import { exposedSecretsWarning } from '../../src/config/exposed-secrets.js';
import { loadConfig } from '../../src/config/load-config.js';
import { writeTestConfig } from '../helpers/cli.js';

const readable = (extra: Parameters<typeof writeTestConfig>[0]['extra']) => {
  const file = writeTestConfig({ redisPort: 6379, extra: { web: ['web_passwd ='], ...extra } });
  chmodSync(file, 0o644);
  return exposedSecretsWarning(loadConfig(file));
};

test('no password in it: no warning, whatever its mode', () => {
  assert.equal(readable({ notify: ['on_failure = https://hooks.example.com/x'] }), null);
});

test("an alert URL's credentials are a password: warned of", () => {
  assert.match(
    readable({ notify: ['on_recovery = https://ops:s3cret@hooks.example.com/x'] }) ?? '',
    /holds a password and is readable by everyone \(mode 0644\)/,
  );
});
