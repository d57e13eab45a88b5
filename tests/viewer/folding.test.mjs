// folding.test.mjs - the page of a big process keeps what a person can look
// at (docs/viewer.md, "Large traces"): the flame graph drawn from a folded
// page is the one drawn from every site, its smallest frames folded into
// "other"; the page says what it left out, and `memtrack view --full` keeps
// everything.  folding_program.c makes a process whose page is folded.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { check, compile, launchBrowser, openPage, scratchDirectory, setting, trace, view } from './harness.mjs';

const directory = scratchDirectory('folding');
const METRICS = ['allocations', 'bytes allocated', 'leaked bytes', 'temporaries', 'bytes at peak'];
let browser;
let folded;
let full;
let foldedPath;
let fullPath;

before(async () => {
  const program = compile('folding_program.c', join(directory, 'folding_program'));
  const tracePath = trace(program, join(directory, 'folding.db'));
  foldedPath = view(tracePath, join(directory, 'folded.html'));
  fullPath = check(setting('MEMTRACK'), ['view', '--full', '-o', join(directory, 'full.html'), tracePath]).trim();
  browser = await launchBrowser();
  folded = await openPage(browser.context, foldedPath);
  full = await openPage(browser.context, fullPath);
});

after(async () => {
  if (browser) await browser.close();
});

// The frames the flame graph draws for METRIC, as sorted "name value"
// strings.  "other (N smaller frames)" reads "other": N counts differently
// on a folded page (the frames folded for every figure).
async function drawnFrames(page, metric) {
  await page.selectOption('#flame select.metric', { label: metric });
  await page.waitForTimeout(600); // the graph's 250 ms transition removes the frames it left
  return page.$$eval('#flame g.frame', (elements) => elements
    .map((element) => `${element.__data__.data.name.replace(/^other \(\d+ smaller frames?\)$/, 'other')} `
      + `${element.__data__.data.value}`)
    .sort());
}

test('a folded page draws the same flame graph as the page of every site', async () => {
  for (const metric of METRICS) {
    assert.deepEqual(await drawnFrames(folded.page, metric), await drawnFrames(full.page, metric), metric);
  }
  const frames = await drawnFrames(folded.page, 'allocations');
  assert.ok(frames.includes('merged 1000'), 'the 1,000 tiny call sites of merged() make one frame');
  assert.ok(frames.some((frame) => frame.startsWith('other ')), 'the small functions are folded into "other"');
  assert.ok(!frames.some((frame) => frame.startsWith('small_')), 'no small function is drawn');
  const label = await folded.page.$$eval('#flame g.frame', (elements) => elements.map((element) => element.__data__.data.name)
    .find((name) => name.startsWith('other')));
  assert.equal(label, 'other (60 smaller frames)');
});

test('the folded page says what it left out, and holds the largest records', async () => {
  const note = await folded.page.textContent('#header .folded-note');
  assert.match(note, /^This page holds part of a big trace: [\d,]+ of 1,061 allocation sites \(the 500 largest by each figure\); /);
  assert.match(note, /a flame graph with 60 frames under 0\.1% of every figure folded into "other" frames/);
  assert.match(note, /memtrack view --full keeps every record\.$/);
  assert.match(await folded.page.textContent('#sites .table-status'),
    /^Showing 200 of [\d,]+ sites \(the page holds the largest [\d,]+ of 1,061\)\.$/);
  const data = await folded.page.$eval('#memtrack-data', (script) => JSON.parse(script.textContent).processes[0]);
  assert.equal(data.sites[0][1], 100000, 'the site of big() is kept');
  assert.ok(statSync(foldedPath).size < statSync(fullPath).size);
  assert.deepEqual(folded.problems, []);
});

test('memtrack view --full keeps every site and folds nothing', async () => {
  assert.equal(await full.page.$('#header .folded-note'), null);
  assert.match(await full.page.textContent('#sites .table-status'), /^Showing 200 of 1,061 sites\.$/);
  const data = await full.page.$eval('#memtrack-data', (script) => JSON.parse(script.textContent).processes[0]);
  assert.equal(data.sites.length, 1061);
  assert.equal(data.flame, null);
  assert.equal(data.folded, null);
  assert.deepEqual(full.problems, []);
});
