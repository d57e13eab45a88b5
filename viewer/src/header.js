// header.js - what ran and how it went: command, duration, exit status,
// allocation totals, leaks by kind and errors by kind; with a process picker
// and the process tree when the trace holds more than one process.
import { h, replace } from './dom.js';
import * as format from './format.js';
import { ERROR_TYPES, LEAK_KINDS, endedHow, errorsByType, foldedNote, leaksByKind, processTitle } from './data.js';

// One "label: value" entry of the facts list.
function fact(label, value, className) {
  return h('div', { class: `fact ${className || ''}` }, h('dt', {}, label), h('dd', {}, value));
}

// "definite 24 bytes in 1 block; ...", or "none".
function leakFacts(process) {
  const totals = leaksByKind(process);
  const shown = LEAK_KINDS.filter(([kind]) => totals[kind].blocks > 0);
  if (!shown.length) return process.leak_scan || process.leaks.length ? 'none' : 'none (no leak scan ran)';
  return h('ul', { class: 'inline' }, shown.map(([kind, label]) =>
    h('li', { class: `leak-${kind}` }, `${label}: ${format.bytes(totals[kind].bytes)} in ${format.count(totals[kind].blocks)} `
      + (totals[kind].blocks === 1 ? 'block' : 'blocks'))));
}

// "double free: 1; ...", or "none".
function errorFacts(process) {
  const totals = errorsByType(process);
  const shown = ERROR_TYPES.filter(([type]) => totals[type] > 0);
  if (!shown.length) return 'none';
  return h('ul', { class: 'inline' }, shown.map(([type, label]) => h('li', { class: 'error' }, `${label}: ${totals[type]}`)));
}

// The process tree: each process under the one that forked it (the latest
// earlier process with its parent's pid, since pids can be reused).
function processTree(processes, selected, onSelect) {
  const children = processes.map(() => []);
  const roots = [];
  processes.forEach((process, index) => {
    let parent = -1;
    for (let i = index - 1; i >= 0 && parent < 0; i--) if (processes[i].pid === process.parent_pid) parent = i;
    (parent >= 0 ? children[parent] : roots).push(index);
  });
  const branch = (indexes) => h('ul', { class: 'tree' }, indexes.map((index) => h('li', {},
    h('button', { type: 'button', class: index === selected ? 'selected' : '', onclick: () => onSelect(index) },
      processTitle(processes[index])),
    ` ${endedHow(processes[index])}`,
    children[index].length ? branch(children[index]) : null)));
  return branch(roots);
}

// The picker: a select for quick switching, and the tree for context.
function processPicker(processes, selected, onSelect) {
  const select = h('select', { id: 'process-picker', onchange: (event) => onSelect(Number(event.target.value)) },
    processes.map((process, index) => h('option', { value: index, selected: index === selected }, processTitle(process))));
  return h('section', { class: 'processes' },
    h('label', {}, `${processes.length} processes: `, select),
    h('details', {}, h('summary', {}, 'process tree'), processTree(processes, selected, onSelect)));
}

// Fills CONTAINER with the header of process SELECTED of DATA.
export function renderHeader(container, data, selected, onSelect) {
  const process = data.processes[selected];
  const summary = process.summary;
  const command = process.argv.length ? process.argv : [process.executable || '?'];
  document.title = `memtrack: ${command.join(' ')}`;
  const lasted = process.start_ns !== null && process.end_ns !== null ? format.duration(process.end_ns - process.start_ns) : 'unknown';
  replace(container,
    h('h1', {}, h('span', { class: 'program' }, command[0]), ' ', h('span', { class: 'arguments' }, command.slice(1).join(' '))),
    h('p', { class: 'trace-path' }, `pid ${process.pid} · trace ${data.trace}`),
    foldedNote(process) ? h('p', { class: 'folded-note' }, foldedNote(process)) : null,
    data.processes.length > 1 ? processPicker(data.processes, selected, onSelect) : null,
    h('dl', { class: 'facts' },
      fact('duration', lasted),
      fact('exit status', endedHow(process)),
      fact('allocations', `${format.count(summary.allocations)} (${format.bytes(summary.allocated_bytes)}), `
        + `${format.count(summary.frees)} frees, ${format.count(summary.temporary_allocations)} temporary`),
      fact('peak heap', format.bytes(summary.peak_bytes)),
      fact('leaks', leakFacts(process), 'leaks'),
      fact('errors', errorFacts(process), 'errors')));
}
