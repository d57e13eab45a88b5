// cli.test.mjs - `memtrack view` on the command line: where the page goes,
// --open, and a clear message and documented exit status for every mistake
// (2: bad usage or unusable trace; 1: the page could not be written or opened).
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';
import { compile, memtrack, scratchDirectory, sqlite, trace } from './harness.mjs';

const directory = scratchDirectory('cli');
let tracePath;

before(() => {
  tracePath = trace(compile('leaky_program.c', join(directory, 'leaky_program')), join(directory, 'leaky.db'));
});

// Runs memtrack view with ARGS; checks its exit status and that stderr
// matches MESSAGE.
function fails(args, status, message, options) {
  const result = memtrack(['view', ...args], options);
  assert.equal(result.status, status, `exit status of memtrack view ${args.join(' ')}: ${result.stderr}`);
  assert.match(result.stderr, message);
  return result;
}

test('-o names the page; its path is printed', () => {
  const page = join(directory, 'named.html');
  const result = memtrack(['view', '-o', page, tracePath]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${page}\n`);
  assert.match(readFileSync(page, 'utf8'), /^<!doctype html>/);
});

test('every page carries THIRD-PARTY whole: the notices and licenses of the packages bundled in it', () => {
  const page = join(directory, 'credits.html');
  assert.equal(memtrack(['view', '-o', page, tracePath]).status, 0);
  const html = readFileSync(page, 'utf8');
  const credits = /<details id="credits"><summary>Credits and licenses<\/summary><pre>([^]*?)<\/pre><\/details>/.exec(html);
  assert.ok(credits, 'the page has no credits');
  const text = credits[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const thirdParty = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'THIRD-PARTY');
  assert.equal(text, readFileSync(thirdParty, 'utf8'));
});

test('without -o the page replaces the trace\'s extension, or is added to a name without one', () => {
  const bare = join(directory, 'bare');
  copyFileSync(tracePath, bare);
  assert.equal(memtrack(['view', bare]).stdout, `${bare}.html\n`);
  assert.ok(existsSync(`${bare}.html`));
  const dotted = join(directory, 'dir.v2');
  mkdirSync(dotted, { recursive: true });
  copyFileSync(tracePath, join(dotted, 'trace'));
  assert.equal(memtrack(['view', join(dotted, 'trace')]).stdout, `${join(dotted, 'trace')}.html\n`, 'a dot in a directory name is not an extension');
});

test('help is printed on request', () => {
  const result = memtrack(['view', '--help']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /^Usage: memtrack view \[-o FILE\.html\] \[--open\] \[--show-below-main\] \[--full\] TRACE/);
});

test('bad usage exits 2 and says what is wrong', () => {
  fails([], 2, /memtrack view: no trace given\nUsage: memtrack view/);
  fails(['--frobnicate', tracePath], 2, /unknown option '--frobnicate'/);
  fails([tracePath, tracePath], 2, /unexpected argument/);
  fails([tracePath, '-o'], 2, /-o needs a file name/);
  fails([tracePath, '--output='], 2, /--output needs a file name/);
  fails([tracePath, '--output'], 2, /--output needs a file name/);
});

test('--output names the page as -o does, as memtrack run\'s does the trace', () => {
  for (const argv of [['--output', join(directory, 'long.html')], [`--output=${join(directory, 'long=.html')}`]]) {
    const result = memtrack(['view', ...argv, tracePath]);
    assert.equal(result.status, 0, result.stderr);
    const page = result.stdout.trim();
    assert.ok(existsSync(page), `${page} was not written`);
  }
});

test('--full is read like every other option, after the trace too', () => {
  const page = join(directory, 'full.html');
  const result = memtrack(['view', tracePath, '--full', '-o', page]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${page}\n`);
  fails([tracePath, '--fuller'], 2, /^memtrack view: unknown option '--fuller'\nUsage: memtrack view/);
});

test('a trace that cannot be used exits 2 and says which file and why', () => {
  fails([join(directory, 'missing.db')], 2, /memtrack view: .*missing\.db: cannot open: No such file or directory/);
  const text = join(directory, 'notes.txt');
  writeFileSync(text, 'not a trace at all, just some words long enough to be a file\n'.repeat(20));
  fails([text], 2, /notes\.txt: not a memtrack trace/);
  const damaged = join(directory, 'damaged.db');
  copyFileSync(tracePath, damaged);
  sqlite(damaged, "UPDATE timeline SET time_ns = 'soon' WHERE time_ns = (SELECT max(time_ns) FROM timeline)");
  fails([damaged], 2, /damaged\.db: damaged: timeline: time_ns, heap_bytes or rss_bytes is not an integer/);
  assert.ok(!existsSync(join(directory, 'damaged.html')), 'no page for an unusable trace');
});

test('a page that would overwrite its trace is refused', () => {
  const html = join(directory, 'trace.html');
  copyFileSync(tracePath, html);
  fails([html], 2, /the page would overwrite the trace .*trace\.html; name it with -o/);
  assert.equal(readFileSync(html).subarray(0, 15).toString(), 'SQLite format 3');
});

test('a page that cannot be written exits 1', () => {
  fails(['-o', join(directory, 'no', 'such', 'dir', 'page.html'), tracePath], 1, /cannot write .*page\.html: No such file or directory/);
});

test('--open hands the written page to xdg-open, and says so when that fails', () => {
  const bin = join(directory, 'bin');
  mkdirSync(bin, { recursive: true });
  const opener = join(bin, 'xdg-open');
  writeFileSync(opener, `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(directory, 'opened')}"\n`);
  chmodSync(opener, 0o755);
  const page = join(directory, 'opened.html');
  const result = memtrack(['view', '--open', '-o', page, tracePath], { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(readFileSync(join(directory, 'opened'), 'utf8'), `${page}\n`);
  writeFileSync(opener, '#!/bin/sh\nexit 3\n');
  fails(['--open', '-o', page, tracePath], 1, /xdg-open could not open .*opened\.html/, { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } });
  const empty = join(directory, 'empty-bin');
  mkdirSync(empty, { recursive: true });
  fails(['--open', '-o', page, tracePath], 1, /cannot run xdg-open: No such file or directory \(it comes with the xdg-utils package\)/,
    { env: { ...process.env, PATH: empty } });
  assert.ok(existsSync(page), 'the page is written even when it cannot be opened');
});
