// dom.js - building elements.  Text from a trace only ever becomes text
// nodes (never markup), so a name like "<script>" shows as itself.

// Creates a TAG element with ATTRIBUTES (on* keys become listeners, `class`
// the class name) and CHILDREN (strings become text nodes; null is skipped).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

// Appends CHILDREN (nested arrays allowed) to ELEMENT as nodes or text.
export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Empties ELEMENT and fills it with CHILDREN.
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}
