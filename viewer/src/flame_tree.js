// flame_tree.js - what the flame graph draws.  Its frames are the stack
// tree's nodes with the callees of equal name merged (the same function
// called from two lines of its caller is one frame).  Only the largest frames
// are drawn: a frame smaller than SMALLEST_SHARE of the whole, or beyond the
// MAX_FRAMES largest, joins one "other" frame under its caller.  Merging is
// done only for the frames drawn, so a trace with a hundred thousand sites
// costs little more than one with a hundred.

const SMALLEST_SHARE = 1 / 1000;
const MAX_FRAMES = 1000;

// Sums row column COLUMN over the rows (sites, or a folded page's flame
// rows) at or below each node of the stack tree.  Parents have lower ids
// than their children, so one backward pass carries the sums up.
export function stackTotals(rows, stacks, column) {
  const totals = new Float64Array(stacks.parent.length);
  for (const row of rows) totals[row[0] === null ? 0 : row[0]] += row[column];
  for (let node = stacks.parent.length - 1; node > 0; node--) totals[stacks.parent[node]] += totals[node];
  return totals;
}

// The sum of TOTALS over MEMBERS (stack tree nodes, none below another).
export function sumOver(totals, members) {
  let sum = 0;
  for (const member of members) sum += totals[member];
  return sum;
}

// A priority queue of candidate frames, largest value first.
class LargestFirst {
  constructor() {
    this.items = [];
  }

  get size() {
    return this.items.length;
  }

  push(item) {
    const items = this.items;
    let at = items.push(item) - 1;
    while (at > 0 && items[(at - 1) >> 1].value < item.value) {
      items[at] = items[(at - 1) >> 1];
      at = (at - 1) >> 1;
    }
    items[at] = item;
  }

  pop() {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length) {
      let at = 0;
      for (;;) {
        let child = 2 * at + 1;
        if (child >= items.length) break;
        if (child + 1 < items.length && items[child + 1].value > items[child].value) child++;
        if (items[child].value <= last.value) break;
        items[at] = items[child];
        at = child;
      }
      items[at] = last;
    }
    return top;
  }
}

// The stack tree nodes that stand for frames `memtrack view` folded, with
// how many frames each stands for: the flame rows whose last column is not 0.
export function foldedNodes(process) {
  const folded = new Map();
  for (const row of process.flame || []) if (row[6] > 0) folded.set(row[0], row[6]);
  return folded;
}

// Returns d3-flame-graph's tree ({name, value, children}) for the metric
// whose sums are TOTALS; each node also has its frame and `members`, the
// stack tree nodes it stands for (its figures for other metrics are sums over
// them).  Frames are taken largest first, each when its caller is already
// taken, so the frames kept are exactly the largest ones.  FOLDED
// (foldedNodes) joins the "other" frame of their caller.
export function flameData(stacks, frames, totals, rootName, folded) {
  const limit = Math.max(totals[0] * SMALLEST_SHARE, Number.MIN_VALUE);
  const kept = [];
  const pending = new LargestFirst();
  const addToOther = (parent, members, count = 1) => {
    parent.rest = parent.rest || { count: 0, members: [] };
    parent.rest.count += count;
    for (const member of members) parent.rest.members.push(member);
  };
  // Queues the callees of NODE, grouped by name, or puts them in its "other".
  const expand = (node) => {
    const groups = new Map();
    for (const member of node.members) {
      for (let i = stacks.childStart[member]; i < stacks.childStart[member + 1]; i++) {
        const child = stacks.childList[i];
        if (totals[child] <= 0) continue;
        if (folded.has(child)) {
          addToOther(node, [child], folded.get(child));
          continue;
        }
        const name = frames.nameIds[stacks.frame[child]];
        let group = groups.get(name);
        if (!group) groups.set(name, (group = { parent: node, members: [], value: 0 }));
        group.members.push(child);
        group.value += totals[child];
      }
    }
    for (const group of groups.values()) {
      if (group.value >= limit) pending.push(group);
      else addToOther(node, group.members);
    }
  };
  const take = (parent, members, value, name, frame) => {
    const node = { name, frame, value, members, children: [] };
    if (parent) parent.children.push(node);
    kept.push(node);
    expand(node);
    return node;
  };
  const root = take(null, [0], totals[0], rootName, null);
  while (pending.size) {
    const group = pending.pop();
    const frame = stacks.frame[group.members[0]];
    if (kept.length < MAX_FRAMES) take(group.parent, group.members, group.value, frames.name(frame), frame);
    else addToOther(group.parent, group.members);
  }
  for (const node of kept) {
    node.children.sort((a, b) => b.value - a.value);
    if (node.rest) {
      const { count, members } = node.rest;
      node.children.push({ name: `other (${count} smaller ${count === 1 ? 'frame' : 'frames'})`, other: true,
        frame: null, value: sumOver(totals, members), members, children: [] });
    }
    delete node.rest;
  }
  return root;
}
