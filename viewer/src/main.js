// main.js - the viewer: reads the data `memtrack view` embedded in the page
// and lays out the header, heap timeline, flame graph, sites table, leaks and
// errors of one process at a time.
import './style.css';
import { h, replace } from './dom.js';
import { Frames, Stacks, loadData } from './data.js';
import { renderHeader } from './header.js';
import { renderTimeline } from './timeline.js';
import { renderFlameGraph } from './flame.js';
import { renderSites } from './sites.js';
import { renderProblems } from './problems.js';

// Shows process INDEX in every section.
function showProcess(data, trace, sections, index) {
  const process = data.processes[index];
  renderHeader(sections.header, data, index, (chosen) => showProcess(data, trace, sections, chosen));
  renderTimeline(sections.timeline, process);
  renderFlameGraph(sections.flame, process, trace.stacks, trace.frames);
  renderSites(sections.sites, process, trace.stacks, trace.frames);
  renderProblems(sections.problems, process, trace.stacks, trace.frames);
}

// Builds the page; a page that cannot be shown says why instead of staying blank.
function start() {
  const app = document.getElementById('app');
  try {
    const data = loadData();
    if (!data.processes.length) {
      replace(app, h('h1', {}, 'memtrack'), h('p', {}, `The trace ${data.trace} holds no process.`));
      return;
    }
    const sections = Object.fromEntries(['header', 'timeline', 'flame', 'sites', 'problems']
      .map((name) => [name, h('section', { id: name })]));
    replace(app, Object.values(sections));
    const trace = { stacks: new Stacks(data.stacks), frames: new Frames(data.frames) };
    // The process with the most allocations is the one worth seeing first.
    let first = 0;
    data.processes.forEach((process, index) => {
      if (process.summary.allocations > data.processes[first].summary.allocations) first = index;
    });
    showProcess(data, trace, sections, first);
  } catch (error) {
    replace(app, h('h1', {}, 'memtrack'), h('p', { class: 'failure' }, `This page cannot show its trace: ${error.message}`));
    throw error;
  }
}

start();
