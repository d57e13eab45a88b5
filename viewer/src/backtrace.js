// backtrace.js - a stack as a numbered list of frames, innermost first, the
// way memcheck prints one: address, function, source file:line, module.
import { h } from './dom.js';

// The list for stack NODE of the stack tree, or a note when there is none.
export function backtrace(node, stacks, frames) {
  const list = stacks.frames(node);
  if (!list) return h('p', { class: 'no-stack' }, 'no stack recorded');
  if (!list.length) return h('p', { class: 'no-stack' }, 'empty stack');
  return h('ol', { class: 'backtrace', start: 0 }, list.map((frame) => h('li', {},
    h('span', { class: 'address' }, frames.address(frame)), ' ',
    h('span', { class: 'function' }, frames.name(frame)), ' ',
    h('span', { class: 'location' }, frames.location(frame)),
    frames.table[frame][1] ? h('span', { class: 'module' }, ` (${frames.module(frame)})`) : null)));
}
