// timeline.js - live heap over time (uPlot): the peak marked, the program's
// marks as labelled lines; drag to zoom, double-click to see it all again.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, replace } from './dom.js';
import * as format from './format.js';

let plot = null;

// Draws the marks (dashed lines, labels at the top) and the peak (a dot and
// its size) over the curve; text goes through fillText, never markup.
function drawOverlay(u, marks, peak) {
  const { ctx, bbox } = u;
  const [low, high] = [u.scales.x.min, u.scales.x.max];
  ctx.save();
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.strokeStyle = '#6a5acd';
  ctx.fillStyle = '#483d8b';
  for (const [seconds, label] of marks) {
    if (seconds < low || seconds > high) continue;
    const x = u.valToPos(seconds, 'x', true);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.fillText(label.length > 40 ? `${label.slice(0, 39)}…` : label, x + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio);
  }
  if (peak && peak.seconds >= low && peak.seconds <= high) {
    const x = u.valToPos(peak.seconds, 'x', true);
    const y = u.valToPos(peak.bytes, 'y', true);
    ctx.setLineDash([]);
    ctx.fillStyle = '#b22222';
    ctx.beginPath();
    ctx.arc(x, y, 4 * devicePixelRatio, 0, 2 * Math.PI);
    ctx.fill();
    const text = `peak ${format.bytes(peak.bytes)}`;
    const width = ctx.measureText(text).width;
    const left = x + width + 8 * devicePixelRatio > bbox.left + bbox.width ? x - width - 6 * devicePixelRatio : x + 6 * devicePixelRatio;
    ctx.fillText(text, left, Math.max(y - 6 * devicePixelRatio, bbox.top + 24 * devicePixelRatio));
  }
  ctx.restore();
}

// The curve in seconds from the first sample (or mark), with the marks and
// the peak on the same axis.  A sample holds the largest heap from its time
// until the next one, so the curve is drawn in steps and the last sample
// gets a step as long as the others (10 ms, the trace's interval, at least).
function series(process) {
  const times = process.timeline.time_ns;
  const starts = [times[0], process.marks.length ? process.marks[0][0] : undefined].filter((t) => t !== undefined);
  const origin = Math.min(...starts);
  const seconds = (ns) => (ns - origin) / 1e9;
  const x = times.map(seconds);
  const y = process.timeline.heap_bytes.slice();
  const step = Math.max(0.01, x.length > 1 ? (x[x.length - 1] - x[0]) / (x.length - 1) : 0);
  x.push(x[x.length - 1] + step);
  y.push(y[y.length - 1]);
  return {
    x,
    y,
    marks: process.marks.map(([ns, label]) => [seconds(ns), label]),
    peak: process.peak_ns === null ? null : { seconds: seconds(process.peak_ns), bytes: process.summary.peak_bytes },
  };
}

// The marks as text under the chart, for reading and searching.
function markList(process, marks) {
  if (!marks.length) return null;
  const dropped = process.marks_dropped ? ` (${format.count(process.marks_dropped)} more not shown)` : '';
  return h('details', { class: 'marks' }, h('summary', {}, `${marks.length} marks${dropped}`),
    h('ol', {}, marks.map(([seconds, label]) => h('li', {}, `${seconds.toFixed(3)} s: `, h('span', { class: 'mark-label' }, label)))));
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
  replace(container, heading, h('p', { class: 'hint' }, 'Live heap bytes. Drag across the chart to zoom in; double-click to zoom out.'),
    chart, markList(process, data.marks));
  plot = new uPlot({
    width: Math.max(chart.clientWidth, 300),
    height: 240,
    scales: {
      x: { time: false },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { label: 'seconds', values: (u, ticks) => ticks.map((t) => `${+t.toFixed(6)}`) },
      { size: 80, values: (u, ticks) => ticks.map((t) => format.bytes(t)) },
    ],
    series: [
      { label: 'time', value: (u, v) => (v === null ? '' : `${v.toFixed(3)} s`) },
      { label: 'live heap', stroke: '#c0392b', width: 1.5, fill: 'rgba(192, 57, 43, 0.12)',
        paths: uPlot.paths.stepped({ align: 1 }),
        value: (u, v) => (v === null ? '' : format.exactBytes(v)) },
    ],
    cursor: { drag: { x: true, y: false } },
    hooks: { draw: [(u) => drawOverlay(u, data.marks, data.peak)] },
  }, [data.x, data.y], chart);
}

// Keeps the chart as wide as the page.
window.addEventListener('resize', () => {
  if (plot) plot.setSize({ width: Math.max(plot.root.parentElement.clientWidth, 300), height: 240 });
});
