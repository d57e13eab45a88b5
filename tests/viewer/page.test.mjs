// page.test.mjs - `memtrack view` on a traced program with a known leak, a
// double free and a child process, checked in Chromium: the page loads
// cleanly and offline, and each view shows and does what docs/viewer.md says.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compile, launchBrowser, memtrack, openPage, scratchDirectory, screenshotViews, sqlite, trace } from './harness.mjs';

const directory = scratchDirectory('page');
let browser;
let page;
let problems;

before(async () => {
  const program = compile('leaky_program.c', join(directory, 'leaky_program'));
  const tracePath = trace(program, join(directory, 'leaky.db'));
  // The program sets no marks, so the test adds two where its heap was sampled.
  sqlite(tracePath, `INSERT INTO marks (process_id, time_ns, label)
    SELECT process_id, min(time_ns), 'phase: start' FROM timeline GROUP BY process_id
    UNION ALL SELECT process_id, max(time_ns), 'phase: end' FROM timeline GROUP BY process_id`);
  const result = memtrack(['view', tracePath]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${join(directory, 'leaky.html')}\n`, 'the page goes next to the trace and its path is printed');
  browser = await launchBrowser();
  ({ page, problems } = await openPage(browser.context, join(directory, 'leaky.html')));
});

after(async () => {
  if (page) await screenshotViews(page, 'leaky');
  if (browser) await browser.close();
});

// The texts of the elements SELECTOR matches.
const texts = (selector) => page.$$eval(selector, (elements) => elements.map((element) => element.textContent));

test('the page is one file that loads with no console error and no network request', async () => {
  assert.ok(existsSync(join(directory, 'leaky.html')));
  assert.deepEqual(problems, []);
  const html = readFileSync(join(directory, 'leaky.html'), 'utf8');
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'nothing is loaded from elsewhere');
});

test('the header shows the program, how it ended, leaks by kind and errors by kind', async () => {
  const header = await page.textContent('#header');
  assert.match(header, /leaky_program/);
  assert.match(header, /exit 0/);
  assert.match(header, /definitely lost: 39\.1 KiB in 1 block/);
  assert.match(header, /double free: 1/);
  assert.match(header, /peak heap/i);
});

test('the process picker lists both processes and switches to the child', async () => {
  const options = await texts('#process-picker option');
  assert.equal(options.length, 2);
  const before = await page.textContent('#header .trace-path');
  const other = await page.$eval('#process-picker', (select) => (select.selectedIndex === 0 ? 1 : 0));
  await page.selectOption('#process-picker', String(other));
  await page.waitForFunction((old) => document.querySelector('#header .trace-path').textContent !== old, before);
  assert.match(await page.textContent('#sites'), /child_work/, 'the child allocated in child_work()');
  await page.selectOption('#process-picker', String(1 - other));
  await page.waitForSelector('#flame svg g.frame');
  assert.match(await page.textContent('#sites'), /leak_report_buffer/);
});

test('the leak list names the leaking function, with its backtrace and source lines', async () => {
  const summaries = await texts('.leaks-section details.leak summary');
  const leak = summaries.findIndex((text) => text.includes('leak_report_buffer'));
  assert.ok(leak >= 0, `leak_report_buffer in ${JSON.stringify(summaries)}`);
  assert.match(summaries[leak], /40,000 bytes in 1 block/);
  const details = page.locator('.leaks-section details.leak').nth(leak);
  await details.locator('summary').click();
  const trace = await details.locator('ol.backtrace').textContent();
  assert.match(trace, /leak_report_buffer.*leaky_program\.c:\d+/);
  assert.match(trace, /main.*leaky_program\.c:\d+/);
});

test('the error list shows the double free with where it was freed, allocated and first freed', async () => {
  const error = page.locator('.errors-section details.error').first();
  assert.match(await error.locator('summary').textContent(), /double free: free\(\) of 0x[0-9a-f]+ \(block of 6 bytes/);
  await error.locator('summary').click();
  // The body is built by the details' toggle event, a task after the click.
  await error.locator('ol.backtrace').nth(2).waitFor();
  assert.deepEqual(await error.locator('h4').allTextContents(), ['freed at', 'block allocated at', 'first freed at']);
  const traces = await error.locator('ol.backtrace').allTextContents();
  assert.equal(traces.length, 3);
  for (const backtrace of traces) assert.match(backtrace, /free_twice.*leaky_program\.c:\d+/);
});

// Width of the flame graph frame named NAME (0 when not drawn).
const frameWidth = (name) => page.$eval(`#flame g.frame[name="${name}"] rect`, (rect) => Number(rect.getAttribute('width'))).catch(() => 0);
const graphWidth = () => page.$eval('#flame svg', (svg) => Number(svg.getAttribute('width')));
// Waits (20 s at most) for frame NAME to be WIDTH wide, give or take a pixel.
async function widthBecomes(name, width, what) {
  const seen = await page
    .waitForFunction(
      ([name, width]) => {
        const rect = document.querySelector(`#flame g.frame[name="${name}"] rect`);
        return rect && Math.abs(Number(rect.getAttribute('width')) - width) < 1;
      },
      [name, width],
      { timeout: 20000 },
    )
    .then(() => true, () => false);
  assert.ok(seen, `${what}: ${name} is ${await frameWidth(name)} wide, not ${width}`);
}

// What READ gives once the graph's transition is over: the same value twice,
// 200 ms apart (a fixed wait of 600-800 ms was too short on a loaded machine).
async function settled(read) {
  let last = await read();
  for (let tries = 0; tries < 100; tries++) {
    await page.waitForTimeout(200);
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return last;
}

test('the flame graph shows the leaking function under leaked bytes, with exact figures on hover', async () => {
  await page.selectOption('#flame select.metric', { label: 'leaked bytes' });
  await page.waitForFunction(() => document.querySelector('#flame g.frame[name="leak_report_buffer"]'));
  await settled(() => frameWidth('leak_report_buffer')); // labels appear once the transition ends
  const label = page.locator('#flame g.frame[name="leak_report_buffer"] .d3-flame-graph-label');
  await label.waitFor({ state: 'visible', timeout: 20000 });
  assert.equal(await label.textContent(), 'leak_report_buffer');
  await page.hover('#flame g.frame[name="leak_report_buffer"] rect');
  const tip = await page.textContent('.flame-tip');
  assert.match(tip, /leak_report_buffer/);
  assert.match(tip, /leaked bytes40,000 bytes/);
  assert.match(tip, /leaky_program\.c:\d+/);
});

test('clicking a flame graph frame zooms into it, and reset zoom undoes it', async () => {
  await page.selectOption('#flame select.metric', { label: 'allocations' });
  const before = await settled(() => frameWidth('leak_report_buffer'));
  const full = await graphWidth();
  assert.ok(before > 0 && before < full / 2, `leak_report_buffer is narrow before (${before} of ${full})`);
  await page.click('#flame g.frame[name="leak_report_buffer"]');
  await widthBecomes('leak_report_buffer', full, 'the clicked frame spans the graph');
  await page.click('#flame button:has-text("reset zoom")');
  await widthBecomes('leak_report_buffer', before, 'reset zoom gives back its width');
});

test('searching highlights the matching frames', async () => {
  await page.fill('#flame input[type=search]', 'small_names');
  const fill = await page.$eval('#flame g.frame[name="make_small_names"] rect', (rect) => rect.getAttribute('fill'));
  assert.equal(fill.toLowerCase(), '#e600e6');
  assert.match(await page.textContent('#flame .flame-details'), /^1 frames match: 50 of \d+/);
  await page.fill('#flame input[type=search]', '');
});

// The function column and the allocations column of the sites table.
const siteColumn = (index) => page.$$eval(`#sites tbody tr.site td:nth-child(${index})`, (cells) => cells.map((cell) => cell.textContent));
const counts = async () => (await siteColumn(4)).map((text) => Number(text.replace(/,/g, '')));

test('sorting the sites table reorders it', async () => {
  const byBytes = await siteColumn(1);
  assert.equal(byBytes[0], 'leak_report_buffer', 'largest bytes first by default');
  await page.click('#sites th button:has-text("allocations")');
  const byAllocations = await siteColumn(1);
  assert.equal(byAllocations[0], 'make_small_names');
  assert.notDeepEqual(byAllocations, byBytes);
  const descending = await counts();
  assert.deepEqual(descending, [...descending].sort((a, b) => b - a));
  await page.click('#sites th button:has-text("allocations")');
  const ascending = await counts();
  assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
  assert.equal(await page.getAttribute('#sites th:nth-child(4)', 'aria-sort'), 'ascending');
});

test('filtering the sites table keeps matching rows, and a row opens its backtrace', async () => {
  await page.fill('#sites input[type=search]', 'SMALL_NAMES');
  assert.deepEqual(await siteColumn(1), ['make_small_names']);
  assert.match(await page.textContent('#sites .table-status'), /Showing 1 of 1 matching of \d+ sites/);
  await page.click('#sites tbody tr.site');
  assert.match(await page.textContent('#sites tr.site-stack'), /make_small_names.*leaky_program\.c:\d+/);
  await page.fill('#sites input[type=search]', '');
});

test('the heap timeline is drawn, with the peak and the marks', async () => {
  assert.ok(await page.$('#timeline canvas'));
  const samples = await page.$eval('#memtrack-data', (script) => JSON.parse(script.textContent).processes
    .reduce((most, process) => (process.summary.allocations > most.summary.allocations ? process : most)).timeline.time_ns.length);
  assert.ok(samples >= 20, `one sample per 10 ms step of grow_and_shrink() at least (${samples})`);
  assert.deepEqual(await texts('#timeline .mark-label'), ['phase: start', 'phase: end']);
});

test('dragging across the heap timeline zooms in; double-clicking zooms out', async () => {
  const chart = page.locator('#timeline .u-over');
  await chart.scrollIntoViewIfNeeded();
  const box = await chart.boundingBox();
  // The chart as drawn, with the mouse away so no cursor is drawn over it.
  const picture = async () => {
    await page.mouse.move(0, 0);
    return page.locator('#timeline canvas').screenshot();
  };
  const whole = await picture();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  assert.notDeepEqual(await picture(), whole, 'the chart shows less time after the drag');
  await chart.dblclick();
  assert.deepEqual(await picture(), whole, 'double-click shows it all again');
  assert.deepEqual(problems, [], 'no console error after using every view');
});
