// flame.js - the allocation stacks as an icicle graph (d3-flame-graph): the
// whole program on top, callees below, one metric at a time (flame_tree.js
// says which frames are drawn); click to zoom, search to highlight, hover for
// every figure of a frame.
import flamegraph from 'd3-flame-graph';
import { select } from 'd3-selection';
import { h, replace } from './dom.js';
import * as format from './format.js';
import { flameData, foldedNodes, stackTotals, sumOver } from './flame_tree.js';

// [key, label, column of the site row, formatter]; sites are
// [stack, allocations, bytes, temporary, peak_bytes, leaked_bytes].
const METRICS = [
  ['allocations', 'allocations', 1, format.count],
  ['bytes', 'bytes allocated', 2, format.bytes],
  ['leaked', 'leaked bytes', 5, format.bytes],
  ['temporary', 'temporaries', 3, format.count],
  ['peak', 'bytes at peak', 4, format.bytes],
];
// What a metric with nothing to show says instead of an empty bar.
const NOTHING = { allocations: 'No allocations.', bytes: 'No bytes allocated.',
  leaked: 'No leaks: every block was freed before the process ended.', temporary: 'No temporary allocations.',
  peak: 'Nothing was live at the peak.' };
const EXACT = { allocations: format.count, bytes: format.exactBytes, leaked: format.exactBytes,
  temporary: format.count, peak: format.exactBytes };

// A tooltip for d3-flame-graph: every figure of the frame under the mouse,
// exact, written as text.  TOTALS(m) gives the stack tree sums of metric m.
function makeTooltip(frames, currentMetric, totals) {
  let box = null;
  const tip = () => {
    box = h('div', { class: 'flame-tip', hidden: true });
    document.body.append(box);
  };
  tip.show = (event, d) => {
    const m = currentMetric();
    const values = METRICS.map((_, i) => sumOver(totals(i), d.data.members));
    const where = d.data.frame === null ? null
      : h('div', { class: 'where' }, [frames.location(d.data.frame), frames.module(d.data.frame)].filter(Boolean).join(' · '));
    replace(box, h('div', { class: 'name' }, d.data.name), where,
      h('table', {}, METRICS.map(([key, label], i) => h('tr', { class: i === m ? 'current' : '' },
        h('th', {}, label), h('td', {}, EXACT[key](values[i])),
        h('td', {}, i === m ? format.percent(values[i], totals(i)[0]) : '')))));
    box.hidden = false;
    const left = Math.min(event.pageX + 12, window.scrollX + window.innerWidth - box.offsetWidth - 8);
    const top = event.pageY + 16 + box.offsetHeight > window.scrollY + window.innerHeight
      ? event.pageY - box.offsetHeight - 8 : event.pageY + 16;
    box.style.left = `${Math.max(left, 0)}px`;
    box.style.top = `${top}px`;
    return tip;
  };
  tip.hide = () => {
    if (box) box.hidden = true;
    return tip;
  };
  tip.destroy = () => box && box.remove();
  return tip;
}

let chart = null;

// The metric the graph opens on: leaked bytes when the process leaked (a
// leak drawn by bytes allocated is a sliver beside the buffers freed long
// before), else bytes allocated.
function defaultMetric(process) {
  return process.summary.leaked_bytes > 0 ? 2 : 1;
}

// Fills CONTAINER with the flame graph of PROCESS's allocation stacks.
export function renderFlameGraph(container, process, stacks, frames) {
  if (chart) chart.destroy();
  chart = null;
  const heading = h('h2', {}, 'Allocation stacks');
  const rows = process.flame || process.sites; // a folded page's flame rows sum up as its sites would
  if (!rows.length) {
    replace(container, heading, h('p', { class: 'empty' }, 'This process allocated nothing.'));
    return;
  }
  const program = (process.argv[0] || process.executable || 'program').split('/').pop();
  // Each metric's sums are worked out when first needed: the one shown, or all for a tooltip.
  const sums = [];
  const totals = (m) => sums[m] || (sums[m] = stackTotals(rows, stacks, METRICS[m][2]));
  const folded = foldedNodes(process);
  const data = () => flameData(stacks, frames, totals(metric), `${program} (all)`, folded);
  let metric = defaultMetric(process);
  const graph = h('div', { class: 'flame' });
  const nothing = h('p', { class: 'empty flame-nothing', hidden: true });
  const details = h('div', { class: 'flame-details' });
  let searchText = '';
  const search = h('input', { type: 'search', placeholder: 'highlight frames by name', 'aria-label': 'search frames',
    oninput: () => {
      if (search.value) {
        chart.search(search.value);
      } else {
        searchText = details.textContent = '';
        chart.clear();
      }
    } });
  // A metric whose total is 0 draws no bar at all: it says so instead.
  const showNothing = () => {
    const none = totals(metric)[0] === 0;
    nothing.textContent = none ? NOTHING[METRICS[metric][0]] : '';
    nothing.hidden = !none;
    graph.hidden = none;
  };
  const show = () => {
    showNothing();
    chart.update(data());
    if (search.value) chart.search(search.value);
  };
  const picker = h('select', { class: 'metric', 'aria-label': 'what the widths show', onchange: (event) => {
    metric = Number(event.target.value);
    show();
  } }, METRICS.map(([, label], i) => h('option', { value: i, selected: i === metric }, label)));
  replace(container, heading,
    h('div', { class: 'controls' }, h('label', {}, 'width shows ', picker), search,
      h('button', { type: 'button', onclick: () => chart.resetZoom() }, 'reset zoom')),
    h('p', { class: 'hint' }, 'Click a frame to zoom into it; hover for exact figures.'),
    nothing, graph, details);
  const name = (d) => d.data.name;
  chart = flamegraph()
    .width(Math.max(graph.clientWidth, 300))
    .cellHeight(18)
    .inverted(true)
    .transitionDuration(250)
    .minFrameSize(1)
    .resetHeightOnZoom(true)
    .tooltip(makeTooltip(frames, () => metric, totals))
    .setColorMapper((d, color) => (d.data.other && !d.highlight ? '#c9c9c9' : color))
    .setLabelHandler((d) => `${name(d)}: ${EXACT[METRICS[metric][0]](d.data.value)}`)
    .setSearchMatch((d, term) => name(d).toLowerCase().includes(term.toLowerCase()))
    .setSearchHandler((results, sum, total) => {
      searchText = `${results.length} frames match: ${METRICS[metric][3](sum)} of ${METRICS[metric][3](total)}`
        + ` (${format.percent(sum, total)})`;
      details.textContent = searchText;
    })
    .setDetailsHandler((text) => { details.textContent = text || searchText; });
  select(graph).datum(data()).call(chart);
  showNothing();
}
