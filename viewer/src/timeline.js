// timeline.js - live heap over time (uPlot), and beside it the process's
// resident set size where the trace has it: the peak marked, the program's
// marks as labelled lines; drag to zoom, double-click to see it all again.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, replace } from './dom.js';
import * as format from './format.js';

let plot = null;

// Mark labels stack in at most this many rows over the chart; a label with
// no room left is not drawn (the list under the chart names every mark).
const LABEL_ROWS = 3;

// Draws the marks (dashed lines, labels at the top, staggered so that
// nearby ones do not overlap) and the peak (a dot and its size) over the
// curve; text goes through fillText, never markup.
function drawOverlay(u, marks, peak) {
  const { ctx, bbox } = u;
  const [low, high] = [u.scales.x.min, u.scales.x.max];
  const pixel = devicePixelRatio;
  ctx.save();
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.font = `${11 * pixel}px sans-serif`;
  ctx.setLineDash([4 * pixel, 4 * pixel]);
  ctx.strokeStyle = '#6a5acd';
  ctx.fillStyle = '#483d8b';
  const rowEnds = new Array(LABEL_ROWS).fill(-Infinity);
  const rows = []; // each drawn mark's label row, -1 when it had no room: on the chart, for reading
  for (const [seconds, label] of marks) {
    if (seconds < low || seconds > high) continue;
    const x = u.valToPos(seconds, 'x', true);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    const text = label.length > 40 ? `${label.slice(0, 39)}…` : label;
    const left = x + 3 * pixel;
    const row = rowEnds.findIndex((end) => end <= left);
    rows.push(row);
    if (row < 0) continue;
    rowEnds[row] = left + ctx.measureText(text).width + 6 * pixel;
    ctx.fillText(text, left, bbox.top + 12 * pixel * (row + 1));
  }
  if (peak && peak.seconds >= low && peak.seconds <= high) {
    const x = u.valToPos(peak.seconds, 'x', true);
    const y = u.valToPos(peak.bytes, 'y', true);
    ctx.setLineDash([]);
    ctx.fillStyle = '#b22222';
    ctx.beginPath();
    ctx.arc(x, y, 4 * pixel, 0, 2 * Math.PI);
    ctx.fill();
    const text = `peak ${format.bytes(peak.bytes)}`;
    const width = ctx.measureText(text).width;
    const left = x + width + 8 * pixel > bbox.left + bbox.width ? x - width - 6 * pixel : x + 6 * pixel;
    ctx.fillText(text, left, Math.max(y - 6 * pixel, bbox.top + 12 * pixel * (LABEL_ROWS + 1)));
  }
  ctx.restore();
  u.root.dataset.markRows = rows.join(',');
}

// The unit the time axis counts in, chosen from the run's length so that a
// run of a few milliseconds is not a flat line on a 0-0.01 s axis.
function timeUnit(spanSeconds) {
  if (spanSeconds >= 1) return { name: 'seconds', symbol: 's', scale: 1 };
  if (spanSeconds >= 1e-3) return { name: 'milliseconds', symbol: 'ms', scale: 1e3 };
  return { name: 'microseconds', symbol: 'µs', scale: 1e6 };
}

// The curve in seconds from the first sample (or mark), with the marks and
// the peak on the same axis.  Each sample is a point, the highest heap of
// its interval drawn at its time and joined to the next by a line: a step
// held from the interval's start would show a peak before it happened.  A
// sample dated before the peak that holds the peak's heap (a trace that
// dated a sample by its interval's first event) is moved to the peak, and
// the peak is a point of the curve, so the curve passes through it.  Each
// point carries its RSS reading, null where none was read (and in traces
// written before memtrack read it, which have no rss_bytes).
function series(process) {
  const rss = process.timeline.rss_bytes || [];
  const points = process.timeline.time_ns.map((ns, i) => [ns, process.timeline.heap_bytes[i], rss[i] ?? null]);
  const peak = process.peak_ns === null ? null : { ns: process.peak_ns, bytes: process.summary.peak_bytes };
  if (peak) {
    for (const point of points) if (point[0] < peak.ns && point[1] >= peak.bytes) point[0] = peak.ns;
    if (!points.some(([ns, bytes]) => ns === peak.ns && bytes === peak.bytes)) points.push([peak.ns, peak.bytes, null]);
    points.sort((left, right) => left[0] - right[0]);
  }
  const starts = [points[0][0], process.marks.length ? process.marks[0][0] : undefined].filter((t) => t !== undefined);
  const origin = Math.min(...starts);
  const seconds = (ns) => (ns - origin) / 1e9;
  const x = points.map(([ns]) => seconds(ns));
  const marks = process.marks.map(([ns, label]) => [seconds(ns), label]);
  const end = Math.max(x[x.length - 1], ...marks.map(([time]) => time));
  return {
    x,
    y: points.map(([, bytes]) => bytes),
    rss: points.some(([, , resident]) => resident !== null) ? points.map(([, , resident]) => resident) : null,
    end,
    unit: timeUnit(end),
    marks,
    peak: peak === null ? null : { seconds: seconds(peak.ns), bytes: peak.bytes },
  };
}

// What the chart draws, said under it.
function legend(data) {
  const item = (className, text) => h('li', {}, h('span', { class: `swatch ${className}` }), text);
  return h('ul', { class: 'legend' },
    item('heap', 'live heap: the highest in each 10 ms'),
    data.rss ? item('rss', 'resident memory (RSS) of the whole process, memtrack\'s own tables included: '
      + 'the highest read in each 10 ms') : null,
    data.peak ? item('peak', `peak: ${format.bytes(data.peak.bytes)} at ${atTime(data.peak.seconds, data.unit)}`) : null,
    data.marks.length ? item('mark', `${format.count(data.marks.length)} ${data.marks.length === 1 ? 'mark' : 'marks'} set by the program`) : null);
}

// SECONDS in UNIT, for reading: "12.5 ms".
function atTime(seconds, unit) {
  return `${+(seconds * unit.scale).toFixed(3)} ${unit.symbol}`;
}

// The marks as text under the chart, for reading and searching.
function markList(process, marks, unit) {
  if (!marks.length) return null;
  const dropped = process.marks_dropped ? ` (${format.count(process.marks_dropped)} more not shown)` : '';
  return h('details', { class: 'marks' }, h('summary', {}, `${marks.length} marks${dropped}`),
    h('ol', {}, marks.map(([seconds, label]) => h('li', {}, `${atTime(seconds, unit)}: `, h('span', { class: 'mark-label' }, label)))));
}

// uPlot's columns: the times, the heap, the RSS when there is one, each
// ending in a point without values at the run's end when a mark lies after
// the last sample.
function columns(data) {
  const extended = data.end > data.x[data.x.length - 1];
  const column = (values) => [...values, ...(extended ? [null] : [])];
  return [[...data.x, ...(extended ? [data.end] : [])], column(data.y), ...(data.rss ? [column(data.rss)] : [])];
}

// Fills CONTAINER with process PROCESS's heap chart.
export function renderTimeline(container, process) {
  if (plot) plot.destroy();
  plot = null;
  const chart = h('div', { class: 'chart' });
  const heading = h('h2', {}, 'Heap over time');
  if (!process.timeline.time_ns.length) {
    replace(container, heading, h('p', { class: 'empty' }, 'This trace has no heap samples for this process.'));
    return;
  }
  const data = series(process);
  const reading = h('p', { class: 'reading' }, '\u00a0');
  const measured = data.rss ? 'Live heap and resident bytes' : 'Live heap bytes';
  replace(container, heading, h('p', { class: 'hint' }, `${measured}, time in ${data.unit.name}. Drag across the chart to zoom in; double-click to zoom out.`),
    chart, reading, legend(data), markList(process, data.marks, data.unit));
  // A run too short to span a tick still gets an axis of its own length.
  const least = 1e-6;
  plot = new uPlot({
    width: Math.max(chart.clientWidth, 300),
    height: 240,
    legend: { show: false },
    scales: {
      x: { time: false, range: (u, min, max) => (max - min >= least ? [min, max] : [min, min + least]) },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { label: data.unit.name, values: (u, ticks) => ticks.map((t) => `${+(t * data.unit.scale).toFixed(6)}`) },
      { size: 80, values: (u, ticks) => ticks.map((t) => format.bytes(t)) },
    ],
    series: [
      {},
      { label: 'live heap', stroke: '#c0392b', width: 1.5, fill: 'rgba(192, 57, 43, 0.12)',
        points: { show: data.x.length <= 60, size: 5 } },
      ...(data.rss ? [{ label: 'resident', stroke: '#1f6fb2', width: 1.5, spanGaps: true,
        points: { show: data.x.length <= 60, size: 4 } }] : []),
    ],
    cursor: { drag: { x: true, y: false } },
    hooks: {
      draw: [(u) => drawOverlay(u, data.marks, data.peak)],
      setCursor: [(u) => {
        const index = u.cursor.idx;
        const resident = data.rss && data.rss[index] !== null ? `, resident ${format.exactBytes(data.rss[index])}` : '';
        reading.textContent = index === null || index === undefined || index >= data.x.length ? '\u00a0'
          : `${atTime(data.x[index], data.unit)}: heap ${format.exactBytes(data.y[index])}${resident}`;
      }],
    },
  }, columns(data), chart);
}

// Keeps the chart as wide as the page.
window.addEventListener('resize', () => {
  if (plot) plot.setSize({ width: Math.max(plot.root.parentElement.clientWidth, 300), height: 240 });
});
