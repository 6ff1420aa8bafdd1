// The version is written in three places; they must agree: package.json (npm), src/version.ts
// (what `ktimer version` prints) and CHANGELOG.md (what changed in it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PUBDATE, VERSION } from '../../src/version.js';

const root = new URL('../../', import.meta.url);

test('package.json, src/version.ts and the newest CHANGELOG release agree on version and month', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version, 'src/version.ts VERSION is not package.json version');
  const changelog = readFileSync(new URL('CHANGELOG.md', root), 'utf8');
  const releases = [...changelog.matchAll(/^## \[(\d+\.\d+\.\d+)\] - (\d{4})-(\d{2})-\d{2}$/gm)];
  const newest = releases[0];
  assert.ok(newest, 'CHANGELOG.md has no "## [X.Y.Z] - YYYY-MM-DD" section');
  assert.equal(newest[1], VERSION, 'the newest CHANGELOG.md release is not the current version');
  assert.equal(`${newest[2]}.${Number(newest[3])}`, PUBDATE, 'PUBDATE is not the month of that release');
  assert.match(changelog, /^## \[Unreleased\]$/m, 'CHANGELOG.md keeps an Unreleased section on top');
});
