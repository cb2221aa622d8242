"use strict";
// Keyed rendering: a container's children are patched to match a list of items, one node per
// key. A node is created once, updated in place when its item's signature changes, and moved
// only when out of order (the fewest moves: nodes on the longest already-ordered run stay),
// so focus, typed text, selection and a pressed pointer survive every update.

GT.setText = function setText(node, text) {
  const s = text === undefined || text === null ? "" : String(text);
  if (node.textContent !== s) node.textContent = s;
};

GT.setClass = function setClass(node, cls) {
  if (node.className !== cls) node.className = cls;
};

// Indices (into seq) of a longest strictly increasing subsequence, ignoring entries < 0.
function longestRun(seq) {
  const tails = [];
  const prev = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i];
    if (v < 0) continue;
    let lo = 0, hi = tails.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (seq[tails[mid]] < v) lo = mid + 1; else hi = mid; }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const keep = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) keep.add(i);
  return keep;
}

// spec: key(item) -> string, create(item) -> Element, update(node, item),
//       sig(item) -> string (optional: update only when it changes).
// The container must hold only nodes rendered by this function.
GT.reconcile = function reconcile(container, items, spec) {
  const focused = document.activeElement;
  const hadFocus = focused && focused !== document.body && container.contains(focused) ? focused : null;
  const old = container._gtKeyed || new Map();
  const next = new Map();
  const nodes = [];
  for (const item of items) {
    const k = spec.key(item);
    let node = old.get(k);
    const sig = spec.sig ? spec.sig(item) : null;
    if (!node) {
      node = spec.create(item);
      spec.update(node, item);
      node._gtSig = sig;
    } else if (sig === null || node._gtSig !== sig) {
      spec.update(node, item);
      node._gtSig = sig;
    }
    next.set(k, node);
    nodes.push(node);
  }
  for (const [k, node] of old) if (!next.has(k)) node.remove();
  const position = new Map();
  let i = 0;
  for (let c = container.firstElementChild; c; c = c.nextElementSibling) position.set(c, i++);
  const seq = nodes.map((n) => (position.has(n) ? position.get(n) : -1));
  const stay = longestRun(seq);
  let anchor = null;
  for (let j = nodes.length - 1; j >= 0; j--) {
    const node = nodes[j];
    if (!stay.has(j)) container.insertBefore(node, anchor);
    anchor = node;
  }
  container._gtKeyed = next;
  if (hadFocus && hadFocus.isConnected && document.activeElement !== hadFocus) hadFocus.focus({ preventScroll: true });
  return next;
};

// The same list rebuilt from scratch every time (what keyed rendering replaces; the bench's baseline).
GT.rebuild = function rebuild(container, items, spec) {
  const frag = document.createDocumentFragment();
  const next = new Map();
  for (const item of items) {
    const node = spec.create(item);
    spec.update(node, item);
    next.set(spec.key(item), node);
    frag.append(node);
  }
  container.replaceChildren(frag);
  container._gtKeyed = next;
  return next;
};
