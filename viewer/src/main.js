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

// The program the user started, as it ended: the first process, followed
// through its execs (an exec ends one image and starts the next under the
// same pid), not a child that happened to allocate more.
function startedProgram(processes) {
  let shown = 0;
  for (let index = 1; index < processes.length; index++) {
    if (processes[index].pid === processes[shown].pid && processes[shown].end_reason === 'exec') shown = index;
  }
  return shown;
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
    showProcess(data, trace, sections, startedProgram(data.processes));
  } catch (error) {
    replace(app, h('h1', {}, 'memtrack'), h('p', { class: 'failure' }, `This page cannot show its trace: ${error.message}`));
    throw error;
  }
}

start();
