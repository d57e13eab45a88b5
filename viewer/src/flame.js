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
const SMALLEST_SHARE = 1 / 1000;
// At most this many frames are kept, each with at most one "other" below it.
const MAX_FRAMES = 2000;

// A map from (merged node, name id) to merged node, open-addressed in typed
// arrays sized for the most nodes there can be: this runs once per node of
// the stack tree, and a Map of number keys or growing arrays are several
// times slower.
class ChildIndex {
  constructor(capacity) {
    let size = 1024;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.parents = new Int32Array(size).fill(-1);
    this.names = new Int32Array(size);
    this.children = new Int32Array(size);
  }

  // The slot holding (PARENT, NAME), or the empty slot where it belongs.
  slot(parent, name) {
    let slot = (Math.imul(parent, 0x9e3779b1) ^ Math.imul(name + 1, 0x85ebca77)) & this.mask;
    while (this.parents[slot] >= 0 && (this.parents[slot] !== parent || this.names[slot] !== name)) slot = (slot + 1) & this.mask;
    return slot;
  }
}

// The flame graph's tree: the stack tree with the callees of equal name
// merged, outermost frame at the root.  Node 0 is the whole process; node N
// has parent[N] < N, a representative frame, and in totals[N * M + m] (M
// metrics side by side, for locality) the sum of metric m over the sites at
// or below it.
function buildTree(process, stacks, frames) {
  const capacity = stacks.parent.length;
  const parent = new Int32Array(capacity);
  const frame = new Int32Array(capacity);
  const mergedOf = new Int32Array(capacity).fill(-1); // stack tree node -> merged node
  const index = new ChildIndex(capacity);
  const path = [];
  parent[0] = frame[0] = -1;
  mergedOf[0] = 0;
  let count = 1;
  // The merged node of stack tree node STACKNODE, made with its ancestors as needed.
  const resolve = (stackNode) => {
    path.length = 0;
    for (let at = stackNode; mergedOf[at] < 0; at = stacks.parent[at]) path.push(at);
    let merged = mergedOf[path.length ? stacks.parent[path[path.length - 1]] : stackNode];
    for (let i = path.length - 1; i >= 0; i--) {
      const stackFrame = stacks.frame[path[i]];
      const name = frames.nameIds[stackFrame];
      const slot = index.slot(merged, name);
      if (index.parents[slot] < 0) {
        index.parents[slot] = merged;
        index.names[slot] = name;
        index.children[slot] = count;
        parent[count] = merged;
        frame[count++] = stackFrame;
      }
      merged = mergedOf[path[i]] = index.children[slot];
    }
    return merged;
  };
  const sites = process.sites;
  const siteNodes = Int32Array.from(sites, (site) => (site[0] === null ? 0 : resolve(site[0])));
  const M = METRICS.length;
  const totals = new Float64Array(count * M);
  for (let i = 0; i < sites.length; i++) {
    for (let m = 0; m < M; m++) totals[siteNodes[i] * M + m] += sites[i][METRICS[m][2]];
  }
  for (let node = count - 1; node > 0; node--) {
    for (let m = 0; m < M; m++) totals[parent[node] * M + m] += totals[node * M + m];
  }
  // Children lists, as one array sliced by offsets.
  const offsets = new Int32Array(count + 1);
  for (let node = 1; node < count; node++) offsets[parent[node] + 1]++;
  for (let node = 0; node < count; node++) offsets[node + 1] += offsets[node];
  const children = new Int32Array(Math.max(count - 1, 0));
  const fill = offsets.slice(0, count);
  for (let node = 1; node < count; node++) children[fill[parent[node]]++] = node;
  return { count, frame, totals, offsets, children };
}

// The value below which frames are merged for metric M: those smaller than
// SMALLEST_SHARE of the whole, and beyond MAX_FRAMES the smallest (frames of
// equal value are kept or merged together).  A child never outweighs its
// parent, so every frame kept by a threshold has its parent kept too.
function threshold(tree, m) {
  const M = METRICS.length;
  const floor = Math.max(tree.totals[m] * SMALLEST_SHARE, Number.MIN_VALUE);
  const kept = [];
  for (let at = M + m; at < tree.totals.length; at += M) if (tree.totals[at] >= floor) kept.push(tree.totals[at]);
  if (kept.length <= MAX_FRAMES) return floor;
  kept.sort((a, b) => b - a);
  const firstLeftOut = kept[MAX_FRAMES];
  for (let i = MAX_FRAMES - 1; i >= 0; i--) if (kept[i] > firstLeftOut) return kept[i];
  return Infinity;
}

// Converts node NODE of the tree for metric M into d3-flame-graph's {name,
// value, children}, largest child first, the small ones merged into "other".
function flameData(tree, node, m, limit, names) {
  const M = METRICS.length;
  const value = (n) => tree.totals[n * M + m];
  const children = [];
  const other = { name: '', value: 0, frame: null, merged: 0, values: METRICS.map(() => 0) };
  for (let i = tree.offsets[node]; i < tree.offsets[node + 1]; i++) {
    const child = tree.children[i];
    if (value(child) <= 0) continue;
    if (value(child) >= limit) {
      children.push(flameData(tree, child, m, limit, names));
    } else {
      other.value += value(child);
      other.merged += 1;
      for (let metric = 0; metric < M; metric++) other.values[metric] += tree.totals[child * M + metric];
    }
  }
  children.sort((a, b) => b.value - a.value);
  if (other.merged) {
    other.name = `other (${other.merged} smaller ${other.merged === 1 ? 'frame' : 'frames'})`;
    other.other = true;
    children.push(other);
  }
  const frame = node === 0 ? null : tree.frame[node];
  return { name: names(node, frame), value: value(node), frame, values: Array.from(tree.totals.subarray(node * M, node * M + M)), children };
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
export function renderFlameGraph(container, process, stacks, frames) {
  if (chart) chart.destroy();
  chart = null;
  const heading = h('h2', {}, 'Allocation stacks');
  if (!process.sites.length) {
    replace(container, heading, h('p', { class: 'empty' }, 'This process allocated nothing.'));
    return;
  }
  const program = (process.argv[0] || process.executable || 'program').split('/').pop();
  const tree = buildTree(process, stacks, frames);
  const names = (node, frame) => (node === 0 ? `${program} (all)` : frames.name(frame));
  const data = () => flameData(tree, 0, metric, threshold(tree, metric), names);
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
  select(graph).datum(data()).call(chart);
}
