// data.js - the trace data embedded in the page (layout: docs/viewer.md) and
// the vocabulary used to show it.
import { count } from './format.js';

// Reads the JSON that `memtrack view` put in the page.  It is parsed, never
// evaluated, so whatever a trace holds stays data.
export function loadData() {
  const data = JSON.parse(document.getElementById('memtrack-data').textContent);
  if (data.format !== 'memtrack-view' || data.version !== 1) {
    throw new Error(`this page holds data this viewer cannot read (${data.format} version ${data.version})`);
  }
  return data;
}

export const LEAK_KINDS = [
  ['definite', 'definitely lost'],
  ['indirect', 'indirectly lost'],
  ['possible', 'possibly lost'],
  ['reachable', 'still reachable'],
  ['unclassified', 'not classified'],
];

export const ERROR_TYPES = [
  ['double_free', 'double free'],
  ['invalid_free', 'invalid free'],
  ['mismatched_free', 'mismatched free'],
];

const SIGNALS = ['', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM'];

// The last path component: modules are shown by file name.
function basename(path) {
  return path ? path.slice(path.lastIndexOf('/') + 1) : '';
}

// The frame table: each frame is [function, file, line, module, address].
// Names, locations and their ranks are worked out once per frame, not per use.
export class Frames {
  constructor(table) {
    this.table = table;
    this.names = table.map(([fn, , , module, address]) => fn || (module ? `${address} (${basename(module)})` : address));
    this.locations = table.map(([, file, line, module]) => (file ? (line === null ? file : `${file}:${line}`) : basename(module)));
    const ids = new Map();
    this.nameIds = Int32Array.from(this.names, (name) => {
      if (!ids.has(name)) ids.set(name, ids.size);
      return ids.get(name);
    });
    this.nameCount = ids.size;
  }

  // What to call frame I: its function, else its address in its module.
  name(i) {
    return this.names[i];
  }

  // Where frame I is: file:line when known, else its module's file name.
  location(i) {
    return this.locations[i];
  }

  module(i) {
    return basename(this.table[i][3]);
  }

  modulePath(i) {
    return this.table[i][3] || '';
  }

  address(i) {
    return this.table[i][4];
  }
}

// The stack tree: node 0 is the empty stack, node N > 0 is frame frame[N]
// called from node parent[N] (parents have lower ids than their children).
// ENCODED holds, for node 1, 2, ... in turn, "back,frame," (back = N - parent).
export class Stacks {
  constructor(encoded) {
    let commas = 0;
    for (let i = 0; i < encoded.length; i++) if (encoded.charCodeAt(i) === 44) commas++;
    const count = commas / 2 + 1;
    this.parent = new Int32Array(count);
    this.frame = new Int32Array(count);
    this.parent[0] = -1;
    this.frame[0] = -1;
    let node = 1;
    let number = 0;
    let isFrame = false;
    for (let i = 0; i < encoded.length; i++) {
      const c = encoded.charCodeAt(i);
      if (c !== 44) {
        number = number * 10 + (c - 48);
      } else if (isFrame) {
        this.frame[node++] = number;
        number = 0;
        isFrame = false;
      } else {
        this.parent[node] = node - number;
        number = 0;
        isFrame = true;
      }
    }
    // The children of node N are childList[childStart[N] .. childStart[N + 1]).
    this.childStart = new Int32Array(count + 1);
    for (let child = 1; child < count; child++) this.childStart[this.parent[child] + 1]++;
    for (let n = 0; n < count; n++) this.childStart[n + 1] += this.childStart[n];
    this.childList = new Int32Array(Math.max(count - 1, 0));
    const next = this.childStart.slice(0, count);
    for (let child = 1; child < count; child++) this.childList[next[this.parent[child]]++] = child;
  }

  // The frames of stack NODE, innermost first; null when there is no stack.
  frames(node) {
    if (node === null) return null;
    const list = [];
    for (let at = node; at > 0; at = this.parent[at]) list.push(this.frame[at]);
    return list;
  }

  // The innermost frame of stack NODE (the allocation's caller), or null.
  top(node) {
    return node === null || node === 0 ? null : this.frame[node];
  }
}

// How PROCESS ended, in words: "exit 0", "killed by SIGSEGV (11)"...
export function endedHow(process) {
  switch (process.end_reason) {
    case 'exit':
      return `exit ${process.exit_code ?? '?'}`;
    case '_exit':
      return `_exit(${process.exit_code ?? '?'})`;
    case 'signal':
      return `killed by ${SIGNALS[process.exit_signal] || 'signal'} (${process.exit_signal ?? '?'})`;
    case 'exec':
      return 'replaced by exec';
    case 'vanished':
      return 'vanished (no exit seen)';
    default:
      return 'still running when the trace ended';
  }
}

// "pid 42: ./prog arg": how a process is named in pickers and headings.
export function processTitle(process) {
  const command = process.argv.length ? process.argv.join(' ') : process.executable || '?';
  return `pid ${process.pid}: ${command}`;
}

// Leaked bytes and blocks per kind: {definite: {bytes, blocks, groups}, ...},
// of every group, also those a folded page left out.
export function leaksByKind(process) {
  return Object.fromEntries(LEAK_KINDS.map(([kind]) => {
    const [bytes, blocks, groups] = process.leak_totals[kind];
    return [kind, { bytes, blocks, groups }];
  }));
}

// What a folded page left out of PROCESS, in words, or null when the page
// holds everything (memtrack view --full, or nothing to leave out).
export function foldedNote(process) {
  const folded = process.folded;
  if (!folded) return null;
  const parts = [];
  if (process.sites.length < process.site_total) {
    parts.push(`${count(process.sites.length)} of ${count(process.site_total)} allocation sites`
      + ` (the ${count(folded.sites_per_figure)} largest by each figure)`);
  }
  for (const [kind, label] of LEAK_KINDS) {
    const kept = process.leaks.filter((leak) => leak[0] === kind).length;
    const groups = process.leak_totals[kind][2];
    if (kept < groups) parts.push(`${count(kept)} of ${count(groups)} ${label} records (the largest)`);
  }
  if (folded.frames > 0) {
    parts.push(`a flame graph with ${count(folded.frames)} frames under ${folded.share * 100}% of every figure`
      + ' folded into "other" frames');
  }
  if (!parts.length) return null;
  return `This page holds part of a big trace: ${parts.join('; ')}. Totals count everything;`
    + ' memtrack view --full keeps every record.';
}

// Number of errors per type: {double_free: 1, ...}.
export function errorsByType(process) {
  const totals = Object.fromEntries(ERROR_TYPES.map(([type]) => [type, 0]));
  for (const error of process.errors) totals[error.type] += 1;
  return totals;
}
