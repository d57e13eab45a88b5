// flame.js - the allocation stacks as an icicle graph (d3-flame-graph): the
// whole program on top, callees below.  One tree holds every metric; the
// graph shows one at a time.  Frames too small to see are merged into one
// "other" frame per parent, and the number of frames is capped, so a trace
// with a hundred thousand sites still draws at once.
import flamegraph from 'd3-flame-graph';
import { select } from 'd3-selection';
import { h, replace } from './dom.js';
import * as format from './format.js';

// [key, label, column of the site row, formatter]; sites are
// [stack, allocations, bytes, temporary, peak_bytes, leaked_bytes].
export const METRICS = [
  ['allocations', 'allocations', 1, format.count],
  ['bytes', 'bytes allocated', 2, format.bytes],
  ['leaked', 'leaked bytes', 5, format.bytes],
  ['temporary', 'temporaries', 3, format.count],
  ['peak', 'bytes at peak', 4, format.bytes],
];
const EXACT = { allocations: format.count, bytes: format.exactBytes, leaked: format.exactBytes,
  temporary: format.count, peak: format.exactBytes };

// A frame narrower than this share of the whole is merged into "other".
const SMALLEST_SHARE = 1 / 2000;
// At most about this many frames are drawn.
const MAX_FRAMES = 6000;

// Merges the sites' stacks, outermost frame first, into a tree of
// {name, frame, values: one per metric, children: Map by name}.
function buildTree(process, frames, rootName) {
  const node = (name, frame) => ({ name, frame, values: METRICS.map(() => 0), children: new Map() });
  const root = node(rootName, null);
  for (const site of process.sites) {
    const stack = site[0] || [];
    let at = root;
    const add = (target) => METRICS.forEach(([, , column], m) => { target.values[m] += site[column]; });
    add(at);
    for (let i = stack.length - 1; i >= 0; i--) {
      const name = frames.name(stack[i]);
      let child = at.children.get(name);
      if (!child) at.children.set(name, (child = node(name, stack[i])));
      add(child);
      at = child;
    }
  }
  return root;
}

// The value below which frames are merged for metric M: small ones, and
// beyond MAX_FRAMES the smallest.  A child never outweighs its parent, so
// every frame kept by a threshold has its parent kept too.
function threshold(root, m) {
  const floor = Math.max(root.values[m] * SMALLEST_SHARE, Number.MIN_VALUE);
  const kept = [];
  const visit = (node) => {
    for (const child of node.children.values()) {
      if (child.values[m] >= floor) {
        kept.push(child.values[m]);
        visit(child);
      }
    }
  };
  visit(root);
  if (kept.length <= MAX_FRAMES) return floor;
  kept.sort((a, b) => b - a);
  return kept[MAX_FRAMES - 1];
}

// Converts the tree for metric M into d3-flame-graph's {name, value,
// children}, largest child first, the small ones merged into "other".
function flameData(node, m, limit) {
  const children = [];
  const other = { name: '', value: 0, other: 0, values: METRICS.map(() => 0) };
  for (const child of node.children.values()) {
    if (child.values[m] <= 0) continue;
    if (child.values[m] >= limit) {
      children.push(flameData(child, m, limit));
    } else {
      other.value += child.values[m];
      other.other += 1;
      child.values.forEach((value, i) => { other.values[i] += value; });
    }
  }
  children.sort((a, b) => b.value - a.value);
  if (other.other) {
    other.name = `other (${other.other} smaller ${other.other === 1 ? 'frame' : 'frames'})`;
    children.push(other);
  }
  return { name: node.name, value: node.values[m], frame: node.frame, values: node.values, children };
}

// A tooltip for d3-flame-graph: every figure of the frame under the mouse,
// exact, written as text.
function makeTooltip(frames, currentMetric) {
  let box = null;
  const tip = () => {
    box = h('div', { class: 'flame-tip', hidden: true });
    document.body.append(box);
  };
  tip.show = (event, d) => {
    const root = d.ancestors().pop();
    const m = currentMetric();
    const where = d.data.frame === null || d.data.frame === undefined ? null
      : h('div', { class: 'where' }, [frames.location(d.data.frame), frames.module(d.data.frame)].filter(Boolean).join(' · '));
    replace(box, h('div', { class: 'name' }, d.data.name), where,
      h('table', {}, METRICS.map(([key, label], i) => h('tr', { class: i === m ? 'current' : '' },
        h('th', {}, label), h('td', {}, EXACT[key](d.data.values[i])),
        h('td', {}, i === m ? format.percent(d.data.values[i], root.data.values[i]) : '')))));
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

// Fills CONTAINER with the flame graph of PROCESS's allocation stacks.
export function renderFlameGraph(container, process, frames) {
  if (chart) chart.destroy();
  chart = null;
  const heading = h('h2', {}, 'Allocation stacks');
  if (!process.sites.length) {
    replace(container, heading, h('p', { class: 'empty' }, 'This process allocated nothing.'));
    return;
  }
  const program = (process.argv[0] || process.executable || 'program').split('/').pop();
  const tree = buildTree(process, frames, `${program} (all)`);
  let metric = 1;
  const graph = h('div', { class: 'flame' });
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
  const show = () => {
    chart.update(flameData(tree, metric, threshold(tree, metric)));
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
    graph, details);
  const name = (d) => d.data.name;
  chart = flamegraph()
    .width(Math.max(graph.clientWidth, 300))
    .cellHeight(18)
    .inverted(true)
    .transitionDuration(250)
    .minFrameSize(1)
    .resetHeightOnZoom(true)
    .tooltip(makeTooltip(frames, () => metric))
    .setColorMapper((d, color) => (d.data.other && !d.highlight ? '#c9c9c9' : color))
    .setLabelHandler((d) => `${name(d)}: ${EXACT[METRICS[metric][0]](d.data.value)}`)
    .setSearchMatch((d, term) => name(d).toLowerCase().includes(term.toLowerCase()))
    .setSearchHandler((results, sum, total) => {
      searchText = `${results.length} frames match: ${METRICS[metric][3](sum)} of ${METRICS[metric][3](total)}`
        + ` (${format.percent(sum, total)})`;
      details.textContent = searchText;
    })
    .setDetailsHandler((text) => { details.textContent = text || searchText; });
  select(graph).datum(flameData(tree, metric, threshold(tree, metric))).call(chart);
}
