// A run record as Redis keeps it (include/run-record.lua): a row of values in RECORD_FIELDS'
// order (a history's record, a runs stream entry, a task's last run), or an object (a claim's
// reply, a record ktimer 2.0 stored, a summary of 4.2 and before); read back with the fields a
// row leaves out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAttemptId } from '../../src/runs/ids.js';
import { MISSED_FIELDS, RECORD_FIELDS, RECORD_FIELDS_4_0, SUMMARY_FIELDS } from '../../src/runs/record.js';
import { decodeLastRun, decodeRunRecord, decodeRunsEntry, summaryOf } from '../../src/store/run-record.js';

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

/**
 * A runs stream entry as ktimer 4.2 wrote a summary (as its last run's JSON holds it): one field per
 * summary field, empty where none, started in ms; a missed run's own fields after them.
 */
const entry42 = (v: Record<string, string | number>): string[] =>
  [...SUMMARY_FIELDS, ...MISSED_FIELDS.filter((f) => f in v && v.result === 'missed')].flatMap((f) =>
    f === 'started'
      ? ['started_ms', v.started === undefined ? '' : String(Math.round(Number(v.started) * 1000))]
      : [f, String(v[f] ?? '')],
  );

test('a runs stream entry holds the record row, read as the summary 4.2 entries and last runs read as', () => {
  // Each row, and the same run's summary as 4.2 kept it (its last run's JSON; its entry: entry42).
  const cases: [unknown[], Record<string, string | number>][] = [
    [
      ['a:b:7', 1, 0, 10.5, 11.001, 11.2, 501.2, 199, 'ok', 0, 'h', 9, [3, 0]],
      {
        fire_id: 'a:b:7',
        result: 'ok',
        started: 11.001,
        duration_ms: 199,
        lateness_ms: 501.2,
        exit_code: 0,
        host: 'h',
      },
    ],
    [
      [
        'k:3.2',
        2,
        1,
        10,
        12,
        13,
        2000,
        1000,
        'failed',
        null,
        'h2',
        3,
        null,
        503,
        'HTTP 503',
        null,
        null,
        'retry',
        2,
        20,
      ],
      {
        fire_id: 'k:3.2',
        result: 'failed',
        started: 12,
        duration_ms: 1000,
        lateness_ms: 2000,
        http_status: 503,
        host: 'h2',
        trigger: 'retry',
        attempt: 2,
      },
    ],
    [
      [
        'k:missed-10',
        1,
        0,
        10,
        null,
        40,
        null,
        null,
        'missed',
        null,
        'h',
        1,
        ...Array<null>(8).fill(null),
        3,
        30,
      ],
      { fire_id: 'k:missed-10', result: 'missed', host: 'h', due: 10, missed: 3, last_due: 30 },
    ],
  ];
  for (const [row, last] of cases) {
    const json = JSON.stringify(row);
    const now = decodeRunsEntry('runs', ['row', json]);
    // The same fields in the same order (`ktimer runs --json` prints them as read).
    assert.equal(JSON.stringify(now), JSON.stringify(decodeRunsEntry('runs', entry42(last))), json);
    assert.deepEqual(decodeLastRun('last', json), now, 'a last run: the row');
    assert.deepEqual(decodeLastRun('last', JSON.stringify(last)), now, "a last run as 4.2's JSON summary");
    assert.deepEqual(
      decodeRunsEntry('runs', ['s', JSON.stringify(last)]),
      now,
      "an entry of 1.2, its JSON under 's'",
    );
    assert.deepEqual(summaryOf('runs', decodeRunRecord('runs', json)), now);
    assert.equal((now as Record<string, unknown>).output_bytes, undefined, 'no field a summary never had');
  }
  assert.throws(() => decodeRunsEntry('runs stream', ['row', '["nokid"]']), /runs stream/);
});
