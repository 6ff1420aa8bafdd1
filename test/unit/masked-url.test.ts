// webac.log's URL: the password masked in every spelling the parser reads, known parameters as sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maskedUrl } from '../../src/web/masked-url.js';

test('the password is masked whatever its spelling', () => {
  assert.equal(maskedUrl('/?action=count&passwd=s3cret'), '/?action=count&passwd=***');
  assert.equal(maskedUrl('/?pass%77d=s3cret'), '/?passwd=***');
  assert.equal(maskedUrl('/?%70%61%73%73%77%64=s3cret&kid=%FF'), '/?passwd=***&kid=%FF');
  assert.equal(maskedUrl('/?action=count;passwd=s3cret'), '/?action=***');
  assert.equal(maskedUrl('/?action=count%3Bpass%77d%3Ds3cret'), '/?action=***');
  assert.equal(maskedUrl('/?PassWD=s3cret'), '/?PassWD=***');
  assert.equal(maskedUrl('/?passwd=ab%26cd'), '/?passwd=***', 'an escaped & is part of the value');
});

test('known parameters read as sent; unknown ones keep their name only', () => {
  assert.equal(maskedUrl('/?action=add&command=echo%20hi&time=5'), '/?action=add&command=echo%20hi&time=5');
  assert.equal(maskedUrl('/?colour=red'), '/?colour=***');
  assert.equal(maskedUrl('/admin'), '/admin');
  assert.equal(maskedUrl(undefined), '');
  assert.ok(maskedUrl(`/?kid=${'a'.repeat(5000)}`).length <= 2000);
});
