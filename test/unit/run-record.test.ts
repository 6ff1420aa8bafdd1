// A run record as Redis keeps it (include/run-record.lua): a row of values in RECORD_FIELDS'
// order, or an object (a claim's reply, a task's last run, a record ktimer 2.0 stored); read
// back with the fields a row leaves out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAttemptId } from '../../src/runs/ids.js';
import { RECORD_FIELDS, RECORD_FIELDS_4_0 } from '../../src/runs/record.js';
import { decodeRunRecord } from '../../src/store/run-record.js';

test('a row with every field reads back as the record, kid and ok from fire_id and result', () => {
  const row: unknown[] = RECORD_FIELDS.map((f) => `v-${f}`);
  row[0] = 'nightly:3';
  [row[1], row[2]] = [2, 1];
  row[8] = 'failed';
  const rec = decodeRunRecord('test', JSON.stringify(row)) as unknown as Record<string, unknown>;
  assert.deepEqual([rec.type, rec.kind], ['cron', 'url'], 'type and kind by their codes');
  assert.equal(rec.kid, 'nightly');
  assert.equal(rec.ok, false);
  assert.equal(rec.retry_at, 'v-retry_at', 'the last field');
  assert.equal(rec.http_status, 'v-http_status');
  assert.deepEqual(Object.keys(rec).sort(), [...RECORD_FIELDS, 'kid', 'ok'].sort());
});

test('a row: null where a field is absent, the trailing ones left off, the usual trigger and attempt restored', () => {
  const rec = decodeRunRecord(
    'test',
    JSON.stringify(['a:b:7', 0, 1, 10, null, 12, null, null, 'ok', null, null, null, null, 200]),
  );
  assert.deepEqual(rec, {
    fire_id: 'a:b:7',
    kid: 'a:b',
    type: 'timer',
    kind: 'url',
    due: 10,
    finished: 12,
    result: 'ok',
    ok: true,
    http_status: 200,
    trigger: 'schedule',
    attempt: 1,
  });
});

test('a row as ktimer 4.0.0 and 3.0 stored it: type and kind by name, http_status, output, host, pid', () => {
  const rec = decodeRunRecord(
    'test',
    JSON.stringify(['a:b:7', 'timer', 'url', 10, null, 12, null, null, 'ok', null, 200, [3, 0], 'h', 9]),
  );
  assert.deepEqual(
    [rec.type, rec.kind, rec.http_status, rec.output_bytes, rec.host, rec.pid],
    ['timer', 'url', 200, [3, 0], 'h', 9],
  );
});

test('both forms of a row have the fields Lua reads without decoding where they were, and the same fields', () => {
  for (const f of ['fire_id', 'finished'] as const)
    assert.equal(RECORD_FIELDS_4_0.indexOf(f), RECORD_FIELDS.indexOf(f), f);
  assert.deepEqual([...RECORD_FIELDS_4_0].sort(), [...RECORD_FIELDS].sort());
});

test('a row with a type or kind code this version does not know is refused', () => {
  for (const codes of [
    [3, 0],
    [0, 2],
    [-1, 0],
  ])
    assert.throws(
      () => decodeRunRecord('history', JSON.stringify(['k:1', ...codes, 1, null, 2, null, null, 'ok'])),
      /history/,
    );
});

test('an object, as ktimer 2.0 stored a record, still reads', () => {
  const rec = decodeRunRecord(
    'test',
    JSON.stringify({
      fire_id: 'k:2',
      type: 'ticker',
      kind: 'shell',
      due: 1,
      finished: 2,
      result: 'lost',
      host: 'h',
    }),
  );
  assert.deepEqual([rec.kid, rec.ok, rec.trigger, rec.attempt, rec.host], ['k', false, 'schedule', 1, 'h']);
});

test('a row without a run id or a known result is refused, naming where it came from', () => {
  for (const bad of [['nokid', 'timer'], ['k:1', 't', 'shell', 1, null, 2, null, null, 'maybe'], []])
    assert.throws(() => decodeRunRecord('history', JSON.stringify(bad)), /history/);
});

test("the next attempt's fire id: the first attempt's id and the attempt", () => {
  assert.equal(nextAttemptId({ fire_id: 'nightly:3', attempt: 1 }), 'nightly:3.2');
  assert.equal(nextAttemptId({ fire_id: 'nightly:3.2', attempt: 2 }), 'nightly:3.3');
  assert.equal(nextAttemptId({ fire_id: 'a:b:12.9', attempt: 9 }), 'a:b:12.10');
});
