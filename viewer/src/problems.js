// problems.js - what went wrong: leaked blocks grouped by kind (most serious
// first) and the bad deallocations, each with its full backtraces.
// Backtraces are built when opened, so thousands of groups stay cheap.
import { append, h, replace } from './dom.js';
import * as format from './format.js';
import { ERROR_TYPES, LEAK_KINDS, leaksByKind } from './data.js';
import { backtrace } from './backtrace.js';

const PAGE = 100;

// A list showing ITEMS a page at a time, each drawn by RENDER.
function pagedList(className, items, render) {
  const list = h('ul', { class: className });
  let shown = 0;
  const more = h('button', { type: 'button', class: 'more', onclick: () => showMore() });
  const showMore = () => {
    list.append(...items.slice(shown, shown + PAGE).map(render));
    shown = Math.min(shown + PAGE, items.length);
    more.hidden = shown >= items.length;
    more.textContent = `show more (${format.count(items.length - shown)} left)`;
  };
  showMore();
  return [list, more];
}

// A collapsible entry whose body (backtraces) is built on first opening.
function lazyDetails(className, summary, body) {
  const details = h('details', { class: className }, h('summary', {}, summary));
  details.addEventListener('toggle', () => {
    if (details.open && details.children.length === 1) append(details, [body()]);
  });
  return h('li', {}, details);
}

// "name (file:line)" of a stack's innermost frame: where it was allocated.
function where(stack, stacks, frames) {
  const top = stacks.top(stack);
  if (top === null) return 'an unknown place';
  const location = frames.location(top);
  return [h('span', { class: 'function' }, frames.name(top)), location ? ` (${location})` : ''];
}

const plural = (n, one, many) => `${format.count(n)} ${n === 1 ? one : many}`;

// The leaks section: one group of entries per leak kind that has any.
function leakSection(process, stacks, frames) {
  const totals = leaksByKind(process);
  const kinds = LEAK_KINDS.filter(([kind]) => totals[kind].groups > 0);
  const section = [h('h2', {}, 'Leaks')];
  if (!kinds.length) {
    section.push(h('p', { class: 'empty' }, process.leak_scan ? 'No block was left allocated.' : 'No block was left allocated (no leak scan ran).'));
    return section;
  }
  for (const [kind, label] of kinds) {
    const groups = process.leaks.filter((leak) => leak[0] === kind);
    const held = groups.length < totals[kind].groups ? ` (the page holds the largest ${format.count(groups.length)})` : '';
    section.push(h('h3', { class: `leak-${kind}` }, `${label}: ${format.exactBytes(totals[kind].bytes)} in `
      + `${plural(totals[kind].blocks, 'block', 'blocks')} from ${plural(totals[kind].groups, 'stack', 'stacks')}${held}`));
    section.push(...pagedList(`leaks leak-${kind}`, groups, ([, bytes, blocks, stack, heuristic]) => lazyDetails('leak',
      [`${format.exactBytes(bytes)} in ${plural(blocks, 'block', 'blocks')}`
        + `${heuristic ? ` (via heuristic ${heuristic})` : ''} allocated at `, where(stack, stacks, frames)],
      () => backtrace(stack, stacks, frames))));
  }
  return section;
}

// One line saying what an error was.
function errorTitle(error) {
  const label = ERROR_TYPES.find(([type]) => type === error.type)[1];
  const block = error.size === null ? '' : ` (block of ${format.exactBytes(error.size)}`
    + (error.offset ? `, ${format.count(error.offset)} bytes inside it` : '')
    + (error.alloc_function ? `, allocated by ${error.alloc_function}` : '') + ')';
  return `${label}: ${error.free_function}() of ${error.address}${block}`;
}

// The errors section: each error with where it happened, where the block came
// from and, for a double free, where it was first freed.
function errorSection(process, stacks, frames) {
  const section = [h('h2', {}, 'Errors')];
  if (!process.errors.length) {
    section.push(h('p', { class: 'empty' }, 'No double, invalid or mismatched free.'));
    return section;
  }
  section.push(...pagedList('errors', process.errors, (error) => lazyDetails(`error ${error.type}`, errorTitle(error), () => [
    h('h4', {}, 'freed at'), backtrace(error.stack, stacks, frames),
    error.alloc_stack !== null ? [h('h4', {}, 'block allocated at'), backtrace(error.alloc_stack, stacks, frames)] : null,
    error.first_free_stack !== null ? [h('h4', {}, 'first freed at'), backtrace(error.first_free_stack, stacks, frames)] : null,
  ].flat())));
  return section;
}

// Fills CONTAINER with PROCESS's leaks and errors.
export function renderProblems(container, process, stacks, frames) {
  replace(container, h('section', { class: 'leaks-section' }, leakSection(process, stacks, frames)),
    h('section', { class: 'errors-section' }, errorSection(process, stacks, frames)));
}
