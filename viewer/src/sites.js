// sites.js - the allocation sites as a table: sortable by any column,
// filtered by name, file or module, shown a page at a time so a hundred
// thousand sites cost no more than two hundred.  A row opens its backtrace.
import { h, replace } from './dom.js';
import * as format from './format.js';
import { backtrace } from './backtrace.js';

const PAGE = 200;

// [key, heading, how to read it from a row, formatter, numeric].
const COLUMNS = [
  ['function', 'function', (row) => row.function, String, false],
  ['location', 'file:line', (row) => row.location, String, false],
  ['module', 'module', (row) => row.module, String, false],
  ['allocations', 'allocations', (row) => row.site[1], format.count, true],
  ['bytes', 'bytes', (row) => row.site[2], format.bytes, true],
  ['temporary', 'temporaries', (row) => row.site[3], format.count, true],
  ['peak', 'peak', (row) => row.site[4], format.bytes, true],
  ['leaked', 'leaked', (row) => row.site[5], format.bytes, true],
];

// One row per site, named after its innermost frame (the allocation's caller).
function siteRows(process, frames) {
  return process.sites.map((site) => {
    const top = site[0] && site[0].length ? site[0][0] : null;
    const row = { site, function: top === null ? '(no stack)' : frames.name(top),
      location: top === null ? '' : frames.location(top), module: top === null ? '' : frames.modulePath(top) };
    row.search = `${row.function}\n${row.location}\n${row.module}`.toLowerCase();
    return row;
  });
}

// Fills CONTAINER with PROCESS's sites table.
export function renderSites(container, process, frames) {
  const all = siteRows(process, frames);
  const state = { column: 4, descending: true, filter: '', shown: PAGE, rows: all };
  const body = h('tbody');
  const status = h('p', { class: 'table-status' });
  const more = h('button', { type: 'button', class: 'more', onclick: () => { state.shown += PAGE; draw(); } }, 'show more');
  const headings = COLUMNS.map(([key, label, , , numeric], index) => h('th', { 'data-column': key, class: numeric ? 'number' : '' },
    h('button', { type: 'button', onclick: () => sortBy(index) }, label)));
  const filter = h('input', { type: 'search', placeholder: 'filter by function, file or module', 'aria-label': 'filter sites',
    oninput: () => { state.filter = filter.value.toLowerCase(); refilter(); } });

  // Orders the filtered rows by the chosen column; ties keep trace order.
  function sort() {
    const [, , value, , numeric] = COLUMNS[state.column];
    const sign = state.descending ? -1 : 1;
    const compare = numeric ? (a, b) => value(a) - value(b) : (a, b) => value(a).localeCompare(value(b));
    state.rows.sort((a, b) => sign * compare(a, b));
  }
  // Sorts by column INDEX: numbers largest first, text A to Z; again to reverse.
  function sortBy(index) {
    state.descending = state.column === index ? !state.descending : COLUMNS[index][4];
    state.column = index;
    state.shown = PAGE;
    sort();
    draw();
  }
  // Keeps the rows matching the filter, in the current order.
  function refilter() {
    state.rows = state.filter ? all.filter((row) => row.search.includes(state.filter)) : all.slice();
    state.shown = PAGE;
    sort();
    draw();
  }
  // A row, and on click its backtrace in a row of its own below it.
  function tableRow(row) {
    const tr = h('tr', { class: 'site', tabindex: 0 }, COLUMNS.map(([, , value, show, numeric]) =>
      h('td', { class: numeric ? 'number' : '', title: numeric ? format.count(value(row)) : null }, show(value(row)))));
    const toggle = () => {
      if (tr.nextSibling && tr.nextSibling.classList.contains('site-stack')) tr.nextSibling.remove();
      else tr.after(h('tr', { class: 'site-stack' }, h('td', { colspan: COLUMNS.length }, backtrace(row.site[0], frames))));
    };
    tr.addEventListener('click', toggle);
    tr.addEventListener('keydown', (event) => { if (event.key === 'Enter') toggle(); });
    return tr;
  }
  // Shows the first state.shown rows and says how many there are.
  function draw() {
    headings.forEach((th, index) => th.setAttribute('aria-sort', index !== state.column ? 'none'
      : state.descending ? 'descending' : 'ascending'));
    const visible = state.rows.slice(0, state.shown);
    replace(body, visible.map(tableRow));
    const matching = state.filter ? ` of ${format.count(state.rows.length)} matching` : '';
    status.textContent = `Showing ${format.count(visible.length)}${matching} of ${format.count(all.length)} sites.`;
    more.hidden = visible.length >= state.rows.length;
  }

  replace(container, h('h2', {}, 'Allocation sites'),
    h('div', { class: 'controls' }, filter),
    h('p', { class: 'hint' }, 'Click a heading to sort, a row for its backtrace.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'sites' }, h('thead', {}, h('tr', {}, headings)), body)),
    status, more);
  sort();
  draw();
}
