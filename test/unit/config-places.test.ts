// Which conf.ini ktimer uses, and where its logs and pidfile go by default (find-config.ts,
// places.ts): every case on an injected host, so root's and a user's are tested on any machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findConfig, isInstalledPackage } from '../../src/config/find-config.js';
import { buildConfig } from '../../src/config/load-config.js';
import { type Host, statePlaces } from '../../src/config/places.js';

const user: Host = { uid: 1000, env: {}, home: '/home/ann', hasRunDir: true };
const root: Host = { uid: 0, env: {}, home: '/root', hasRunDir: true };
const INSTALLED = '/usr/lib/node_modules/ktimer';
const CHECKOUT = '/home/ann/src/ktimer';

test('--config, then $KTIMER_CONFIG, whoever runs ktimer from wherever', () => {
  const env = { ...user, env: { KTIMER_CONFIG: 'rel/k.ini' } };
  assert.deepEqual(findConfig('/a/conf.ini', env, INSTALLED), {
    path: '/a/conf.ini',
    source: 'option',
    why: 'given with --config',
  });
  const found = findConfig(undefined, env, INSTALLED);
  assert.equal(found.source, 'env');
  assert.equal(found.path, `${process.cwd()}/rel/k.ini`);
  assert.equal(findConfig('', env, CHECKOUT).source, 'env');
});

test('a checkout uses its own conf.ini, for root and users alike', () => {
  for (const host of [user, root]) {
    const found = findConfig(undefined, host, CHECKOUT);
    assert.equal(found.path, `${CHECKOUT}/conf.ini`);
    assert.equal(found.source, 'checkout');
    assert.match(found.why, /the checkout's own: ktimer runs from \/home\/ann\/src\/ktimer/);
  }
  assert.equal(isInstalledPackage(CHECKOUT), false);
  assert.equal(isInstalledPackage(INSTALLED), true);
});

test('an installed ktimer: /etc/ktimer for root, the XDG config dir for a user', () => {
  assert.deepEqual(
    { ...findConfig(undefined, root, INSTALLED), why: '' },
    { path: '/etc/ktimer/conf.ini', source: 'system', why: '' },
  );
  assert.equal(findConfig(undefined, user, INSTALLED).path, '/home/ann/.config/ktimer/conf.ini');
  const xdg = { ...user, env: { XDG_CONFIG_HOME: '/cfg' } };
  assert.equal(findConfig(undefined, xdg, INSTALLED).path, '/cfg/ktimer/conf.ini');
  assert.equal(findConfig(undefined, xdg, INSTALLED).source, 'user');
});

test('logs and pidfile: /var/log and /run for /etc/ktimer, XDG state for a user, else beside conf.ini', () => {
  assert.deepEqual(statePlaces('/etc/ktimer/conf.ini', root), {
    pidfile: '/run/ktimer/ktimer.pid',
    logDir: '/var/log/ktimer',
  });
  assert.equal(
    statePlaces('/etc/ktimer/conf.ini', { ...root, hasRunDir: false }).pidfile,
    '/var/lib/ktimer/ktimer.pid',
  );
  assert.deepEqual(statePlaces('/home/ann/.config/ktimer/conf.ini', user), {
    pidfile: '/home/ann/.local/state/ktimer/run/ktimer.pid',
    logDir: '/home/ann/.local/state/ktimer/log',
  });
  const xdg = { ...user, env: { XDG_CONFIG_HOME: '/cfg', XDG_STATE_HOME: '/state' } };
  assert.deepEqual(statePlaces('/cfg/ktimer/conf.ini', xdg), {
    pidfile: '/state/ktimer/run/ktimer.pid',
    logDir: '/state/ktimer/log',
  });
  // Any other file keeps them beside it (a checkout's, a --config of one's own), as before.
  assert.deepEqual(statePlaces('/home/ann/.config/ktimer/other.d/conf.ini', user), {
    pidfile: 'runtime/ktimer.pid',
    logDir: 'log',
  });
});

test('the places are defaults: a conf.ini that sets pidfile or log.dir keeps its own', () => {
  const places = statePlaces('/etc/ktimer/conf.ini', root);
  const dflt = buildConfig('', '/etc/ktimer/conf.ini', places);
  assert.equal(dflt.pidfile, '/run/ktimer/ktimer.pid');
  assert.equal(dflt.log.runed.path, '/var/log/ktimer/runed.log');
  const own = buildConfig('[default]\npidfile = p/k.pid\n[log]\nlog.dir = l', '/etc/ktimer/conf.ini', places);
  assert.equal(own.pidfile, '/etc/ktimer/p/k.pid');
  assert.equal(own.log.dir, '/etc/ktimer/l');
});
