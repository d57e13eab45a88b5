// performance.test.mjs - a trace with 100,000 allocation sites and a long
// heap timeline (a million samples, about 2 h 47 min at 10 ms) must make a
// page that opens quickly.  Times depend on the machine, so they are printed
// (and recorded in docs/viewer.md), not asserted; what is asserted is that the
// page shows it, folded, down-sampled and capped as documented, in at most
// 5 MiB.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compile, launchBrowser, openPage, scratchDirectory, screenshotViews, sqlite, trace, view } from './harness.mjs';

const SITES = 100000;
const TIMELINE_ROWS = 1000000;
// The heap of timeline row I (arbitrary, but not monotonic).
const heapAt = (i) => ((i * 7919) % 1000003) * 64 + i;
const directory = scratchDirectory('performance');
let browser;
let opened;
let largestHeap = 0;
let pageBytes = 0;
const seconds = (milliseconds) => `${(milliseconds / 1000).toFixed(2)} s`;

before(async () => {
  const program = compile('many_sites.c', join(directory, 'many_sites'));
  let started = Date.now();
  const tracePath = trace(program, join(directory, 'many.db'));
  const traced = Date.now() - started;
  sqlite(tracePath, `DELETE FROM timeline;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${TIMELINE_ROWS})
    INSERT INTO timeline (process_id, time_ns, heap_bytes)
    SELECT (SELECT min(id) FROM processes), 1000000000 + i * 10000000, (i * 7919) % 1000003 * 64 + i FROM n;`);
  for (let i = 0; i < TIMELINE_ROWS; i++) largestHeap = Math.max(largestHeap, heapAt(i));
  started = Date.now();
  const pagePath = view(tracePath, join(directory, 'many.html'));
  const viewed = Date.now() - started;
  pageBytes = statSync(pagePath).size;
  browser = await launchBrowser();
  opened = await openPage(browser.context, pagePath, { waitFor: '#sites tbody tr.site' });
  console.log(`viewer.performance: ${SITES} sites, ${TIMELINE_ROWS} timeline rows: memtrack run ${seconds(traced)}, `
    + `memtrack view ${seconds(viewed)}, page ${(statSync(pagePath).size / 1048576).toFixed(1)} MiB, `
    + `opened in Chromium (all views drawn) in ${seconds(opened.loadMilliseconds)}`);
});

after(async () => {
  if (opened) await screenshotViews(opened.page, 'performance');
  if (browser) await browser.close();
});

test('the largest sites are in the table, a page at a time, and the page says so', async () => {
  assert.match(await opened.page.textContent('#sites .table-status'),
    /^Showing 200 of [\d,]+ sites \(the page holds the largest [\d,]+ of 100,000\)\.$/);
  assert.equal(await opened.page.$$eval('#sites tbody tr.site', (rows) => rows.length), 200);
  assert.match(await opened.page.textContent('#header .folded-note'), /^This page holds part of a big trace: [\d,]+ of 100,000 allocation sites/);
  assert.ok(pageBytes <= 5 * 1048576, `the page is ${pageBytes} bytes`);
});

test('the flame graph is capped, its smallest frames merged into a visible "other"', async () => {
  const frames = await opened.page.$$eval('#flame g.frame', (elements) => elements.map((element) => element.getAttribute('name')));
  // At most 1,000 frames kept, and one "other" under each of them.
  assert.ok(frames.length > 100 && frames.length <= 2 * 1000, `${frames.length} frames drawn`);
  assert.ok(frames.some((name) => /^other \(\d+ smaller frames?\)$/.test(name)), 'an "other" frame is drawn');
});

test('the timeline is down-sampled to at most 4,000 points and keeps the peak', async () => {
  const data = await opened.page.$eval('#memtrack-data', (script) => JSON.parse(script.textContent).processes[0]);
  assert.ok(data.timeline.time_ns.length <= 4001, `${data.timeline.time_ns.length} samples`);
  assert.equal(Math.max(...data.timeline.heap_bytes), largestHeap, 'the largest sample survives down-sampling');
  assert.ok(await opened.page.$('#timeline canvas'));
  assert.deepEqual(opened.problems, []);
});
