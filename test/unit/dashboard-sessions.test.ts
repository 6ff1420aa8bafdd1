// The dashboard's sessions, their pure parts: tokens and the ids they are kept under, the mark of
// the password a session logged in with, cookie reading. The sessions themselves, in Redis:
// test/integration/ui-sessions.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { cookieValue, newToken, passwdMark, sessionId } from '../../src/web/dashboard/sessions.js';

test('tokens are 32 random bytes in base64url; a session is kept under the sha256 digest of its token', () => {
  const a = newToken();
  const b = newToken();
  assert.notEqual(a, b);
  assert.match(a, /^[\w-]{43}$/);
  assert.equal(sessionId(a), createHash('sha256').update(a).digest('base64url'));
  assert.notEqual(sessionId(a), a);
  assert.doesNotMatch(sessionId(a), new RegExp(a));
});

test("a session's password mark is an HMAC keyed by its token: one password, two tokens, two marks", () => {
  const [a, b] = [newToken(), newToken()];
  assert.equal(passwdMark(a, 'pw'), createHmac('sha256', a).update('pw').digest('base64url'));
  assert.notEqual(passwdMark(a, 'pw'), passwdMark(b, 'pw'));
  assert.notEqual(passwdMark(a, 'pw'), passwdMark(a, 'pw2'));
  assert.notEqual(passwdMark(a, 'pw'), createHash('sha256').update('pw').digest('base64url'));
});

test('cookieValue finds its cookie among others', () => {
  assert.equal(cookieValue('a=1; ktimer_browser=abc; b=2', 'ktimer_browser'), 'abc');
  assert.equal(cookieValue('ktimer_session_other=abc', 'ktimer_browser'), undefined);
  assert.equal(cookieValue(undefined, 'x'), undefined);
});
