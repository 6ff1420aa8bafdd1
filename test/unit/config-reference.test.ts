// docs/configuration.md is generated from the one object of conf.ini keys (config-keys.ts): a
// change to a key and not to the page fails here. The page documents every key conf.ini takes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_KEYS } from '../../src/config/config-keys.js';
import { configReference } from '../../src/config/config-reference.js';
import { buildConfig } from '../../src/config/load-config.js';
import { ROOT } from '../helpers/cli.js';

test('docs/configuration.md is what `npm run docs:config` generates', () => {
  const page = readFileSync(`${ROOT}/docs/configuration.md`, 'utf8');
  assert.ok(
    page === configReference(),
    'docs/configuration.md is stale: run `npm run docs:config` and commit it',
  );
});

test('every key conf.ini takes is on the page with its default, and no other key is taken', () => {
  const page = configReference();
  for (const [section, { keys }] of Object.entries(CONFIG_KEYS)) {
    for (const [key, spec] of Object.entries(keys)) {
      const row = page.split('\n').find((l) => l.startsWith(`| \`${key}\``));
      assert.ok(row, `${section}.${key} has a row`);
      if (spec.placed === undefined)
        assert.ok(row.includes(spec.default === '' ? '(empty)' : `\`${spec.default}\``));
      // The key is read: set to its default, it loads.
      buildConfig(`[${section}]\n${key} = ${spec.default}`, '/x/conf.ini');
    }
  }
  assert.throws(() => buildConfig('[default]\nnot_a_key = 1', '/x/conf.ini'), /unknown key not_a_key/);
});
