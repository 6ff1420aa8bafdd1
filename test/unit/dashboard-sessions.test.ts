// The dashboard's sessions: idle expiry, logout, the cap, CSRF compares and cookie reading.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieValue, csrfMatches, SESSION_IDLE_MS, Sessions } from '../../src/web/ui/sessions.js';

test('a session lives while used, ends after SESSION_IDLE_MS unused, and at logout', () => {
  let now = 1_000_000;
  const sessions = new Sessions(() => now);
  const { token, session } = sessions.open();
  assert.equal(sessions.find(token), session);
  now += SESSION_IDLE_MS - 1;
  assert.equal(sessions.find(token), session, 'used just in time: it goes on');
  now += SESSION_IDLE_MS - 1;
  assert.ok(sessions.holds(token));
  now += 2;
  assert.equal(sessions.holds(token), false);
  assert.equal(sessions.find(token), null);
  const other = sessions.open();
  sessions.end(other.token);
  assert.equal(sessions.find(other.token), null);
  assert.equal(sessions.find(undefined), null);
  assert.equal(sessions.find(''), null);
});

test('tokens are random and unlike their CSRF tokens; at most 1,000 sessions, the oldest going first', () => {
  const sessions = new Sessions();
  const first = sessions.open();
  const second = sessions.open();
  assert.notEqual(first.token, second.token);
  assert.notEqual(first.token, first.session.csrf);
  assert.match(first.token, /^[\w-]{43}$/);
  for (let i = 0; i < 999; i++) sessions.open();
  assert.equal(sessions.find(first.token), null);
  assert.ok(sessions.find(second.token));
});

test('the CSRF header must equal the token exactly', () => {
  const { session } = new Sessions().open();
  assert.ok(csrfMatches(session, session.csrf));
  assert.equal(csrfMatches(session, undefined), false);
  assert.equal(csrfMatches(session, ''), false);
  assert.equal(csrfMatches(session, `${session.csrf}x`), false);
  const flipped = session.csrf.slice(0, -1) + (session.csrf.endsWith('A') ? 'B' : 'A');
  assert.equal(csrfMatches(session, flipped), false);
});

test('cookieValue finds its cookie among others', () => {
  assert.equal(cookieValue('a=1; ktimer_session_9558=abc; b=2', 'ktimer_session_9558'), 'abc');
  assert.equal(cookieValue('ktimer_session_9559=abc', 'ktimer_session_9558'), undefined);
  assert.equal(cookieValue(undefined, 'x'), undefined);
});
