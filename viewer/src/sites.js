// sites.js - the allocation sites as a table: sortable by any column,
// filtered by name, file or module, shown a page at a time so a hundred
// thousand sites cost no more than two hundred.  A row opens its backtrace.
// A site is named after its innermost frame (the allocation's caller), so
// text columns sort and filter by frame, worked out once per frame.
import { h, replace } from './dom.js';
import * as format from './format.js';
import { backtrace } from './backtrace.js';

const PAGE = 200;

// [heading, text of frame F or value of site S, formatter, numeric]; sites are
// [stack, allocations, bytes, temporary, peak_bytes, leaked_bytes].
const COLUMNS = [
  ['function', (frames, f) => frames.name(f), String, false],
  ['file:line', (frames, f) => frames.location(f), String, false],
  ['module', (frames, f) => frames.modulePath(f), String, false],
  ['allocations', (site) => site[1], format.count, true],
  ['bytes', (site) => site[2], format.bytes, true],
  ['temporaries', (site) => site[3], format.count, true],
  ['peak', (site) => site[4], format.bytes, true],
  ['leaked', (site) => site[5], format.bytes, true],
];

// Each frame's place in alphabetical order of TEXT(frame); -1 (first) for none.
function frameRanks(frames, text) {
  const order = frames.table.map((_, f) => f).sort((a, b) => text(frames, a).localeCompare(text(frames, b)));
  const ranks = new Int32Array(frames.table.length);
  order.forEach((f, rank) => { ranks[f] = rank; });
  return ranks;
}

// Fills CONTAINER with PROCESS's sites table.
export function renderSites(container, process, stacks, frames) {
  const sites = process.sites;
  const tops = Int32Array.from(sites, (site) => { const top = stacks.top(site[0]); return top === null ? -1 : top; });
  const ranks = new Map();
  const state = { column: 4, descending: true, filter: '', shown: PAGE, rows: sites.map((_, i) => i) };
  const body = h('tbody');
  const status = h('p', { class: 'table-status' });
  const more = h('button', { type: 'button', class: 'more', onclick: () => { state.shown += PAGE; draw(); } }, 'show more');
  const headings = COLUMNS.map(([label, , , numeric], index) => h('th', { class: numeric ? 'number' : '' },
    h('button', { type: 'button', onclick: () => sortBy(index) }, label)));
  const filter = h('input', { type: 'search', placeholder: 'filter by function, file or module', 'aria-label': 'filter sites',
    oninput: () => { state.filter = filter.value.toLowerCase(); refilter(); } });

  // The text of column INDEX for row I ('' when the site has no frame).
  const text = (index, i) => (tops[i] < 0 ? (index === 0 ? '(no stack)' : '') : COLUMNS[index][1](frames, tops[i]));
  // What column INDEX sorts row I by: the value, or the frame's rank.
  function sortKey(index) {
    const [, value, , numeric] = COLUMNS[index];
    if (numeric) return (i) => value(sites[i]);
    if (!ranks.has(index)) ranks.set(index, frameRanks(frames, value));
    const rank = ranks.get(index);
    return (i) => (tops[i] < 0 ? -1 : rank[tops[i]]);
  }
  // Orders the filtered rows by the chosen column; ties keep trace order.
  function sort() {
    const key = sortKey(state.column);
    const sign = state.descending ? -1 : 1;
    state.rows.sort((a, b) => sign * (key(a) - key(b)) || a - b);
  }
  // Sorts by column INDEX: numbers largest first, text A to Z; again to reverse.
  function sortBy(index) {
    state.descending = state.column === index ? !state.descending : COLUMNS[index][3];
    state.column = index;
    state.shown = PAGE;
    sort();
    draw();
  }
  // Keeps the rows whose frame's name, file or module holds the filter text.
  function refilter() {
    const rows = sites.map((_, i) => i);
    if (state.filter) {
      const matches = frames.table.map((_, f) => [0, 1, 2].some((column) => COLUMNS[column][1](frames, f).toLowerCase().includes(state.filter)));
      state.rows = rows.filter((i) => (tops[i] < 0 ? '(no stack)'.includes(state.filter) : matches[tops[i]]));
    } else {
      state.rows = rows;
    }
    state.shown = PAGE;
    sort();
    draw();
  }
  // Row I, and on click its backtrace in a row of its own below it.
  function tableRow(i) {
    const tr = h('tr', { class: 'site', tabindex: 0 }, COLUMNS.map(([, value, show, numeric], index) => (numeric
      ? h('td', { class: 'number', title: format.count(value(sites[i])) }, show(value(sites[i])))
      : h('td', {}, text(index, i)))));
    const toggle = () => {
      if (tr.nextSibling && tr.nextSibling.classList.contains('site-stack')) tr.nextSibling.remove();
      else tr.after(h('tr', { class: 'site-stack' }, h('td', { colspan: COLUMNS.length }, backtrace(sites[i][0], stacks, frames))));
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
    const held = sites.length < process.site_total
      ? ` (the page holds the largest ${format.count(sites.length)} of ${format.count(process.site_total)})` : '';
    status.textContent = `Showing ${format.count(visible.length)}${matching} of ${format.count(sites.length)} sites${held}.`;
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
