// harness.mjs - what the viewer tests share: building a trace from a test
// program with `memtrack run`, running `memtrack view`, and opening the page
// in Debian's Chromium through playwright-core, watching for console errors
// and network requests.  Paths come from ctest (tests/viewer/CMakeLists.txt).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Reads a variable ctest sets; a test run by hand without it says which.
export function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the viewer tests with ctest (tests/viewer/CMakeLists.txt sets it)`);
  return value;
}

export const CHROMIUM = '/usr/bin/chromium';
export const SOURCES = setting('MT_TEST_SOURCES');
export const ARTIFACTS = setting('MT_ARTIFACTS');

// A fresh directory for one test file's files, removed at exit.
export function scratchDirectory(prefix) {
  const directory = mkdtempSync(join(tmpdir(), `memtrack-viewer-${prefix}-`));
  process.on('exit', () => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

// Runs a command; returns {status, stdout, stderr}.  Fails on a command that
// could not start at all.
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (result.error) throw new Error(`cannot run ${command}: ${result.error.message}`);
  return result;
}

// Runs a command that must succeed; returns its standard output.
export function check(command, args, options = {}) {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

export const memtrack = (args, options) => run(setting('MEMTRACK'), args, options);

// Compiles test program SOURCE (in tests/viewer) with debug information.
export function compile(source, output) {
  check(setting('MT_CC'), ['-g', '-O0', '-fno-omit-frame-pointer', '-o', output, join(SOURCES, source)]);
  return output;
}

// Traces PROGRAM into TRACE with `memtrack run`; returns the trace's path.
export function trace(program, tracePath) {
  check(setting('MEMTRACK'), ['run', '-f', '-o', tracePath, '--', program], { cwd: dirname(tracePath) });
  return tracePath;
}

// Runs SQL on the trace at DB with the sqlite3 shell (tests craft traces with it).
export function sqlite(db, sql) {
  return check(setting('MT_SQLITE3'), [db, sql]);
}

// Writes the page for TRACE to PAGE; returns the path memtrack printed.
export function view(tracePath, pagePath) {
  return check(setting('MEMTRACK'), ['view', '-o', pagePath, tracePath]).trim();
}

// Starts Chromium headless with a fresh profile, nothing in the background.
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is needed for the viewer's browser tests and ${CHROMIUM} is missing: apt-get install chromium`);
  }
  const { chromium } = createRequire(join(setting('MT_VIEWER_NODE_MODULES'), 'noop.js'))('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'memtrack-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// Opens PAGEPATH in a new tab of CONTEXT.  `problems` collects console
// errors, uncaught exceptions and any request leaving the file (the page
// must need no network).
export async function openPage(context, pagePath, { waitFor = '#flame svg g.frame' } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('request', (request) => {
    if (!/^(file|data|blob):/.test(request.url())) problems.push(`network request: ${request.url()}`);
  });
  await page.goto(`file://${pagePath}`, { waitUntil: 'load' });
  if (waitFor) await page.waitForSelector(waitFor, { timeout: 60000 });
  // From the start of navigation until the frame after the views were drawn.
  const loadMilliseconds = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now()))));
  return { page, problems, loadMilliseconds };
}

// Where a test stores a screenshot or page for people to look at.
export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

// Saves a screenshot of the whole page and of each of its views.
export async function screenshotViews(page, prefix) {
  await page.screenshot({ path: artifact(`${prefix}-page.png`), fullPage: true });
  for (const view of ['header', 'timeline', 'flame', 'sites', 'problems']) {
    const element = await page.$(`#${view}`);
    if (element) await element.screenshot({ path: artifact(`${prefix}-${view}.png`) });
  }
}
