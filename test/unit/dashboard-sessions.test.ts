// The dashboard's sessions, their pure parts: tokens and the ids they are kept under, CSRF
// compares and cookie reading. The sessions themselves, in Redis: test/integration/ui-sessions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { cookieValue, csrfMatches, newToken, sessionId } from '../../src/web/dashboard/sessions.js';

test('tokens are 32 random bytes in base64url; a session is kept under the sha256 digest of its token', () => {
  const a = newToken();
  const b = newToken();
  assert.notEqual(a, b);
  assert.match(a, /^[\w-]{43}$/);
  assert.equal(sessionId(a), createHash('sha256').update(a).digest('base64url'));
  assert.notEqual(sessionId(a), a);
  assert.doesNotMatch(sessionId(a), new RegExp(a));
});

test('the CSRF header must equal the token exactly', () => {
  const session = { csrf: newToken() };
  assert.ok(csrfMatches(session, session.csrf));
  assert.equal(csrfMatches(session, undefined), false);
  assert.equal(csrfMatches(session, ''), false);
  assert.equal(csrfMatches(session, `${session.csrf}x`), false);
  const flipped = session.csrf.slice(0, -1) + (session.csrf.endsWith('A') ? 'B' : 'A');
  assert.equal(csrfMatches(session, flipped), false);
});

test('cookieValue finds its cookie among others', () => {
  assert.equal(cookieValue('a=1; ktimer_session_Ab3-x_9=abc; b=2', 'ktimer_session_Ab3-x_9'), 'abc');
  assert.equal(cookieValue('ktimer_session_other=abc', 'ktimer_session_Ab3-x_9'), undefined);
  assert.equal(cookieValue(undefined, 'x'), undefined);
});
