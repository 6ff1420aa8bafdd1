// Loaded into a test daemon with NODE_OPTIONS=--require (Node runs --require modules in worker
// threads too, --import ones not): in the web API's thread only, it watches the file named by
// $KTIMER_TEST_WEB_FAULT and does what a test writes there, for real, to that thread alone:
//   "block MS"  holds the thread's event loop for MS ms (a request handler gone into a loop);
//   "crash"     throws an uncaught exception, which ends the thread.
// It writes FILE.taken just before, so the test knows when it happened.
/* global process, setInterval */
'use strict';
const { isMainThread, workerData } = process.getBuiltinModule('node:worker_threads');
const { readFileSync, rmSync, writeFileSync } = process.getBuiltinModule('node:fs');

const file = process.env.KTIMER_TEST_WEB_FAULT;
if (!isMainThread && file && workerData && workerData.config) {
  setInterval(() => {
    let order;
    try {
      order = readFileSync(file, 'utf8').trim().split(' ');
      rmSync(file);
    } catch {
      return;
    }
    writeFileSync(`${file}.taken`, order.join(' '));
    if (order[0] === 'crash') throw new Error('injected crash');
    const end = Date.now() + Number(order[1]);
    while (Date.now() < end);
  }, 50).unref();
}
