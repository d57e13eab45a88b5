// chart.test.mjs - the page's reading aids, in Chromium: the heap chart of a
// run of a millisecond (its own time unit, the peak where it happened, a
// legend, nearby marks' labels apart), the resident memory curve beside the
// heap (and the heap alone for a trace without RSS readings), the flame graph's default metric and
// its word for a metric with nothing to show, and the process the page
// opens on when the started program execs and forks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { check, compile, launchBrowser, openPage, setting, sqlite, trace, view, scratchDirectory } from './harness.mjs';

const directory = scratchDirectory('chart');
let browser;
let shortTrace;

before(async () => {
  const program = compile('short_program.c', join(directory, 'short_program'));
  shortTrace = trace(program, join(directory, 'short.db'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

// The page's embedded data.
function pageData(pagePath) {
  const html = readFileSync(pagePath, 'utf8');
  const json = /<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/.exec(html)[1];
  return JSON.parse(json.replace(/\\u003c/g, '<'));
}

// Opens the page of TRACEPATH, written as NAME.html.
async function open(tracePath, name) {
  const pagePath = view(tracePath, join(directory, `${name}.html`));
  const { page, problems } = await openPage(browser.context, pagePath);
  assert.deepEqual(problems, []);
  return { page, pagePath };
}

test('a short run gets a time axis of its own length and unit', async () => {
  const { page, pagePath } = await open(shortTrace, 'short');
  const process = pageData(pagePath).processes[0];
  const times = process.timeline.time_ns;
  const span = (times[times.length - 1] - times[0]) / 1e9;
  const unit = span >= 1 ? 'seconds' : span >= 1e-3 ? 'milliseconds' : 'microseconds';
  assert.match(await page.textContent('#timeline .hint'), new RegExp(`time in ${unit}\\.`));
  await page.close();
});

test('the heap curve reaches the peak at its time, never before', async () => {
  const { page, pagePath } = await open(shortTrace, 'short-peak');
  const process = pageData(pagePath).processes[0];
  const { time_ns: times, heap_bytes: heap } = process.timeline;
  const atPeak = times.findIndex((ns) => ns === process.peak_ns);
  assert.ok(atPeak >= 0, 'a sample is dated when the heap peaked');
  assert.equal(heap[atPeak], process.summary.peak_bytes);
  times.forEach((ns, i) => assert.ok(ns >= process.peak_ns || heap[i] < process.summary.peak_bytes,
    `no sample before the peak holds it (sample ${i})`));
  await page.close();
  // A trace that dated each sample by its interval's first record: the page still draws the peak at its time.
  const old = join(directory, 'old-dating.db');
  check('cp', [shortTrace, old]);
  sqlite(old, `UPDATE timeline SET time_ns = (SELECT peak_ns FROM processes WHERE id = 1) - 1000000
      WHERE process_id = 1 AND heap_bytes = (SELECT peak_bytes FROM processes WHERE id = 1);
    INSERT INTO timeline (process_id, time_ns, heap_bytes) SELECT id, peak_ns - 3000000, 1000 FROM processes WHERE id = 1;`);
  const reopened = await open(old, 'old-dating');
  const legend = await reopened.page.textContent('#timeline ul.legend');
  const dated = pageData(join(directory, 'old-dating.html')).processes[0];
  const origin = Math.min(...dated.timeline.time_ns);
  const [, amount, symbol] = /peak: 192\.0 KiB at ([\d.]+) (s|ms|µs)/.exec(legend) || [];
  const drawnAt = Number(amount) * { s: 1e9, ms: 1e6, µs: 1e3 }[symbol];
  assert.ok(Math.abs(drawnAt - (process.peak_ns - origin)) <= 1e3, `${legend}: drawn at the peak's time, not 1 ms before`);
  await reopened.page.close();
});

test('the legend under the chart names the heap curve, the resident memory, the peak and the marks', async () => {
  const marked = join(directory, 'marked.db');
  check('cp', [shortTrace, marked]);
  sqlite(marked, 'UPDATE timeline SET rss_bytes = heap_bytes + 1048576'); /* whether the run was read or not */
  // Two marks a microsecond apart in a run of 5 ms, with long labels: their labels must not overlap.
  sqlite(marked, `INSERT INTO marks (process_id, time_ns, label)
    SELECT process_id, min(time_ns), 'first phase begins here' FROM timeline GROUP BY process_id
    UNION ALL SELECT process_id, min(time_ns) + 1000, 'second phase begins here' FROM timeline GROUP BY process_id
    UNION ALL SELECT process_id, min(time_ns) + 5000000, 'done' FROM timeline GROUP BY process_id`);
  const { page } = await open(marked, 'marked');
  const items = await page.$$eval('#timeline ul.legend li', (elements) => elements.map((element) => element.textContent));
  assert.equal(items.length, 4, JSON.stringify(items));
  assert.match(items[0], /live heap/);
  assert.match(items[1], /resident memory \(RSS\) of the whole process/);
  assert.match(items[2], /peak: 192\.0 KiB/);
  assert.match(items[3], /3 marks/);
  const rows = await page.$eval('#timeline .uplot', (element) => element.dataset.markRows);
  const [first, second] = rows.split(',').map(Number);
  assert.ok(first >= 0 && second >= 0 && first !== second, `nearby labels stand in different rows: ${rows}`);
  await page.close();
});

test('the flame graph opens on leaked bytes when the process leaked, else on bytes allocated', async () => {
  const leaky = trace(compile('leaky_program.c', join(directory, 'leaky_program')), join(directory, 'leaky.db'));
  const leakyPage = (await open(leaky, 'leaky')).page;
  assert.equal(await leakyPage.$eval('#flame select.metric', (select) => select.selectedOptions[0].textContent), 'leaked bytes');
  await leakyPage.close();
  const { page } = await open(shortTrace, 'short-metric');
  assert.equal(await page.$eval('#flame select.metric', (select) => select.selectedOptions[0].textContent), 'bytes allocated');
  await page.close();
});

test('leaked bytes of a process that leaked nothing says so instead of drawing an empty bar', async () => {
  const { page } = await open(shortTrace, 'short-leaks');
  assert.equal(await page.isVisible('#flame .flame-nothing'), false);
  await page.selectOption('#flame select.metric', { label: 'leaked bytes' });
  await page.waitForSelector('#flame .flame-nothing', { state: 'visible' });
  assert.match(await page.textContent('#flame .flame-nothing'), /No leaks/);
  assert.equal(await page.isVisible('#flame .flame'), false);
  await page.selectOption('#flame select.metric', { label: 'bytes allocated' });
  await page.waitForSelector('#flame .flame-nothing', { state: 'hidden' });
  await page.close();
});

test('the page opens on the started program as it ended: its last exec, not a child that allocated more', async () => {
  const program = join(directory, 'short_program');
  const tracePath = join(directory, 'exec.db');
  check(setting('MEMTRACK'), ['run', '-f', '-o', tracePath, '--', program, 'exec'], { cwd: directory });
  const { page, pagePath } = await open(tracePath, 'exec');
  const processes = pageData(pagePath).processes;
  assert.equal(processes.length, 3, 'the first image, the final image, the child');
  const child = processes.findIndex((process) => process.pid !== processes[0].pid);
  assert.ok(processes[child].summary.allocations > processes[1].summary.allocations, 'the child allocated more');
  const header = await page.textContent('#header');
  assert.match(header, new RegExp(`pid ${processes[0].pid} `));
  assert.match(await page.textContent('#header h1'), /short_program final/);
  await page.close();
});

// The number of bytes in "…: heap 1,234 bytes, resident 5,678 bytes" after WORD, or null.
function bytesAfter(text, word) {
  const found = new RegExp(`${word} ([\\d,]+) byte`).exec(text);
  return found ? Number(found[1].replace(/,/g, '')) : null;
}

test('memory the program touched without malloc draws a resident curve above the heap', async () => {
  const program = compile('rss_program.c', join(directory, 'rss_program'));
  const tracePath = trace(program, join(directory, 'rss.db'));
  const { page, pagePath } = await open(tracePath, 'rss');
  const { time_ns: times, heap_bytes: heap, rss_bytes: rss } = pageData(pagePath).processes[0].timeline;
  const highest = rss.reduce((best, bytes, i) => (bytes !== null && (best < 0 || bytes > rss[best]) ? i : best), -1);
  assert.ok(highest >= 0 && rss[highest] >= 64 << 20, `the 64 MiB written are resident: ${JSON.stringify(rss)}`);
  assert.ok(rss[highest] > Math.max(...heap), 'the resident curve stands above the heap curve');
  const legend = await page.textContent('#timeline ul.legend');
  assert.match(legend, /resident memory \(RSS\)/);
  assert.match(await page.textContent('#timeline .hint'), /Live heap and resident bytes/);
  // Hovering the reading's time reads both curves there.
  const over = await page.$eval('#timeline .u-over', (element) => {
    const box = element.getBoundingClientRect();
    return { left: box.left, top: box.top, width: box.width, height: box.height };
  });
  const origin = Math.min(...times);
  const span = Math.max(...times) - origin;
  await page.mouse.move(over.left + over.width * ((times[highest] - origin) / span), over.top + over.height / 2);
  const reading = await page.textContent('#timeline .reading');
  const [heapRead, residentRead] = [bytesAfter(reading, 'heap'), bytesAfter(reading, 'resident')];
  assert.ok(heapRead !== null && residentRead !== null && residentRead > heapRead, reading);
  await page.close();
  // A trace without readings (written before memtrack read RSS): the heap alone.
  const old = join(directory, 'no-rss.db');
  check('cp', [tracePath, old]);
  sqlite(old, 'UPDATE timeline SET rss_bytes = NULL');
  const reopened = await open(old, 'no-rss');
  assert.doesNotMatch(await reopened.page.textContent('#timeline ul.legend'), /resident/);
  assert.match(await reopened.page.textContent('#timeline .hint'), /^Live heap bytes/);
  await reopened.page.close();
});

test('samples merged for a long run keep each stretch\'s highest heap at its time and its highest RSS', async () => {
  const merged = join(directory, 'merged.db');
  check('cp', [shortTrace, merged]);
  // 12,000 samples 1 µs apart merge three by three into 4,000 stretches: in each, the heap peaks on the
  // second sample and the RSS on the third.
  sqlite(merged, `DELETE FROM timeline WHERE process_id = 1;
    WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 11999)
    INSERT INTO timeline (process_id, time_ns, heap_bytes, rss_bytes)
      SELECT 1, 1000000000 + n * 1000, CASE n % 3 WHEN 1 THEN 5000 ELSE 1000 END,
             CASE n % 3 WHEN 2 THEN 9000 ELSE 100 END FROM i;`);
  const pagePath = view(merged, join(directory, 'merged.html'));
  const { time_ns: times, heap_bytes: heap, rss_bytes: rss } = pageData(pagePath).processes[0].timeline;
  assert.equal(times.length, 4000);
  times.forEach((ns, i) => {
    assert.equal(ns, 1000000000 + (3 * i + 1) * 1000, `stretch ${i} is dated at its highest heap`);
    assert.equal(heap[i], 5000);
    assert.equal(rss[i], 9000);
  });
});
