// hostile.test.mjs - a trace whose names try to run script in the page: the
// page must show every one of them as text.  The trace is a real one with
// its frames, argv, marks and modules rewritten through SQL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compile, launchBrowser, openPage, scratchDirectory, screenshotViews, sqlite, trace, view } from './harness.mjs';

const SCRIPT = '<script>window.__owned = "script"</script>';
const CLOSER = '</script><script>window.__owned = "closer"</script>';
const IMAGE = '<img src=x onerror="window.__owned = \'image\'">';
const COMMENT = '<!--<script>';
const TEMPLATE = 'std::vector<std::pair<int, char const*>, std::allocator<std::pair<int, char const*> > >::push_back';
// Each name, as it must appear in the page's text.
const NAMES = { function: `${SCRIPT}leak_report_buffer`, module: `${CLOSER}.so`, argument: CLOSER, mark: IMAGE,
  file: `${COMMENT}/x.c`, template: TEMPLATE };
const quote = (text) => `'${text.replace(/'/g, "''")}'`;

const directory = scratchDirectory('hostile');
let browser;
let page;
let problems;
let html;

before(async () => {
  const tracePath = trace(compile('leaky_program.c', join(directory, 'leaky_program')), join(directory, 'hostile.db'));
  sqlite(tracePath, `
    INSERT INTO objects (path) VALUES (${quote(NAMES.module)});
    UPDATE frames SET object_id = last_insert_rowid() WHERE function = 'leak_report_buffer';
    UPDATE frames SET function = ${quote(NAMES.function)} WHERE function = 'leak_report_buffer';
    UPDATE frames SET function = ${quote(NAMES.template)} WHERE function = 'make_small_names';
    UPDATE frames SET file = ${quote(NAMES.file)} WHERE function = 'free_twice';
    UPDATE processes SET argv = json_array(json_extract(argv, '$[0]'), ${quote(NAMES.argument)});
    INSERT INTO marks (process_id, time_ns, label) SELECT process_id, min(time_ns), ${quote(NAMES.mark)} FROM timeline GROUP BY process_id;`);
  const pagePath = view(tracePath, join(directory, 'hostile.html'));
  html = readFileSync(pagePath, 'utf8');
  browser = await launchBrowser();
  ({ page, problems } = await openPage(browser.context, pagePath));
});

after(async () => {
  if (page) await screenshotViews(page, 'hostile');
  if (browser) await browser.close();
});

test('no name from the trace reaches the page as markup', () => {
  assert.equal((html.match(/<script/gi) || []).length, 2, 'only the data and the viewer');
  assert.equal((html.match(/<\/script/gi) || []).length, 2);
  assert.ok(!html.includes('<!--<script>'), 'no comment opener in the data');
  assert.ok(html.includes('\\u003cscript>window.__owned'), 'names are escaped in the embedded JSON');
});

test('the page runs none of it and logs no error', async () => {
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  assert.equal(await page.$$eval('img', (images) => images.length), 0);
  assert.equal(await page.$$eval('script', (scripts) => scripts.length), 2);
  assert.deepEqual(problems, []);
});

test('the names are shown as text everywhere they appear', async () => {
  assert.match(await page.textContent('#header'), new RegExp(CLOSER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const leak = page.locator('.leaks-section details.leak', { hasText: 'leak_report_buffer' }).first();
  assert.ok((await leak.locator('summary').textContent()).includes(NAMES.function));
  await leak.locator('summary').click();
  assert.ok((await leak.locator('ol.backtrace').textContent()).includes(NAMES.function));
  // the graph opens on leaked bytes; make_small_names frees all it allocates
  await page.selectOption('#flame select.metric', { label: 'bytes allocated' });
  await page.waitForFunction((name) => [...document.querySelectorAll('#flame g.frame')]
    .some((frame) => frame.getAttribute('name') === name), NAMES.template);
  const names = await page.$$eval('#flame g.frame', (frames) => frames.map((frame) => frame.getAttribute('name')));
  assert.ok(names.includes(NAMES.function), 'the flame graph names the frame as it is');
  assert.ok(names.includes(NAMES.template));
  const functions = await page.$$eval('#sites tbody td:first-child', (cells) => cells.map((cell) => cell.textContent));
  assert.ok(functions.includes(NAMES.template), 'C++ template names keep their angle brackets');
  const modules = await page.$$eval('#sites tbody td:nth-child(3)', (cells) => cells.map((cell) => cell.textContent));
  assert.ok(modules.includes(NAMES.module));
  assert.deepEqual(await page.$$eval('#timeline .mark-label', (labels) => labels.map((label) => label.textContent)), [NAMES.mark]);
  const error = page.locator('.errors-section details.error').first();
  await error.locator('summary').click();
  assert.ok((await error.locator('ol.backtrace').first().textContent()).includes(NAMES.file));
  await page.hover(`#flame g.frame[name="${NAMES.template.replace(/"/g, '\\"')}"] rect`);
  assert.ok((await page.textContent('.flame-tip')).includes(NAMES.template));
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  assert.deepEqual(problems, []);
});
