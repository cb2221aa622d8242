"use strict";
// The incident queue: awaiting dispatch first (no unit assigned), then active, then resolved;
// within a group by priority and time left. Filters by group, district, type and priority.
// Rows are keyed (GT.reconcile): an update patches text in place and never rebuilds a row.

GT.queue = (() => {
  const { el, fmtClock, label, setText, setClass } = GT;
  const LIST_LIMIT = 300;
  const GROUP_RANK = { pending: 0, active: 1, rest: 2 };

  // Which group an incident is in, from its status and its assignments.
  function groupOf(inc, assignedCount) {
    if (inc.status === "resolved" || inc.status === "closed") return "rest";
    if (inc.status === "open" && assignedCount === 0) return "pending";
    return "active";
  }

  function compare(a, b) {
    return GROUP_RANK[a.group] - GROUP_RANK[b.group]
      || (a.group === "rest"
        ? (b.inc.updated_at > a.inc.updated_at ? 1 : b.inc.updated_at < a.inc.updated_at ? -1 : 0)
        : a.inc.priority - b.inc.priority || a.deadline - b.deadline)
      || (a.inc.id < b.inc.id ? -1 : a.inc.id > b.inc.id ? 1 : 0);
  }

  // Every incident with its group, sorted, kept from one render to the next: ``touch(id)``
  // marks an incident whose state or assignments changed, and ``ordered`` moves only those
  // rows (found and placed by binary search), re-sorting all only when many changed.
  const rows = [];
  const rowOf = new Map();
  const touched = new Set();
  let whole = true;

  function touch(id) { touched.add(id); }
  function changed() { return whole || touched.size > 0; }

  function rowFor(inc, assigned) {
    if (inc._deadlineAt !== inc.deadline_at) {
      const t = Date.parse(inc.deadline_at);
      inc._deadline = Number.isNaN(t) ? Infinity : t;
      inc._deadlineAt = inc.deadline_at;
    }
    return { inc, group: groupOf(inc, assigned(inc.id)), deadline: inc._deadline };
  }

  // The index where ``row`` is (or would go) in the sorted rows.
  function place(row) {
    let lo = 0, hi = rows.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (compare(rows[mid], row) < 0) lo = mid + 1; else hi = mid; }
    return lo;
  }

  // ``assigned(id)`` counts an incident's assigned units. Returns the rows (the same array
  // each time, patched in place).
  function ordered(incidents, assigned) {
    if (whole || touched.size > rows.length / 8) {
      rows.length = 0;
      rowOf.clear();
      for (const inc of incidents.values()) { const r = rowFor(inc, assigned); rows.push(r); rowOf.set(inc.id, r); }
      rows.sort(compare);
    } else {
      for (const id of touched) {
        const old = rowOf.get(id);
        if (old) { rows.splice(place(old), 1); rowOf.delete(id); }
        const inc = incidents.get(id);
        if (!inc) continue;
        const r = rowFor(inc, assigned);
        rows.splice(place(r), 0, r);
        rowOf.set(id, r);
      }
    }
    touched.clear();
    whole = false;
    return rows;
  }

  function passes(row, f) {
    return (!f.group || row.group === f.group) && (!f.district || row.inc.district === f.district)
      && (!f.type || row.inc.type === f.type) && (!f.priority || String(row.inc.priority) === f.priority);
  }

  function headerItem(group, count) { return { header: group, count }; }

  function createRow(item) {
    if (item.header) {
      const li = el("li", `group group-${item.header}`);
      li.append(el("span", "group-name"), el("span", "group-count"));
      return li;
    }
    const li = el("li", "incident");
    li.tabIndex = 0;
    li.setAttribute("role", "option");
    li.dataset.id = item.inc.id;
    const cd = el("span", "countdown");
    li.append(cd, el("strong", "title"), el("span", "flags"), el("div", "meta"));
    return li;
  }

  function updateRow(li, item, selected) {
    if (item.header) {
      setText(li.firstChild, label("group", item.header));
      setText(li.lastChild, String(item.count));
      return;
    }
    const inc = item.inc;
    setClass(li, `incident p${inc.priority} g-${item.group}` + (selected ? " selected" : ""));
    li.setAttribute("aria-selected", selected ? "true" : "false");
    const [cd, title, flags, meta] = li.children;
    if (cd.dataset.deadline !== inc.deadline_at) cd.dataset.deadline = inc.deadline_at;
    const left = (item.deadline - Date.now()) / 1000;
    setText(cd, item.group === "rest" ? "" : fmtClock(left));
    cd.classList.toggle("late", item.group !== "rest" && left < 0);
    setText(title, `P${inc.priority} ${label("type", inc.type)}`);
    const f = [];
    if (item.group === "pending") f.push("미배정 no unit");
    if (inc.mass_casualty) f.push("다수사상자 MCI");
    if (inc.unverified) f.push("unverified");
    if (inc.supervisor_flag) f.push("supervisor");
    setText(flags, f.join(" · "));
    const where = [inc.place || inc.district, inc.address].filter(Boolean).join(" · ");
    setText(meta, `${where} · ${label("incidentStatus", inc.status)} · ${inc.evidence.length} evidence`);
  }

  // Patch #incidents to show ``rows`` (already ordered) under the filter, keyed by id. With
  // ``held`` (the keys shown before), rows keep those places: content changes, order does not.
  function render(container, rows, filter, selectedId, rebuild, held) {
    const shown = rows.filter((r) => passes(r, filter));
    const counts = { pending: 0, active: 0, rest: 0 };
    for (const r of shown) counts[r.group] += 1;
    let items = [];
    let last = null;
    for (const r of shown.slice(0, LIST_LIMIT)) {
      if (r.group !== last) { items.push(headerItem(r.group, counts[r.group])); last = r.group; }
      items.push(r);
    }
    let waiting = 0;
    if (held) {
      const fresh = new Map(shown.map((r) => [r.inc.id, r]));
      for (const g of Object.keys(counts)) fresh.set(`h:${g}`, headerItem(g, counts[g]));
      const now = held.map((k) => fresh.get(k)).filter(Boolean);
      const kept = new Set(held);
      waiting = items.filter((it) => !it.header && !kept.has(it.inc.id)).length;
      items = now;
    }
    const spec = {
      key: (it) => (it.header ? `h:${it.header}` : it.inc.id),
      create: createRow,
      update: (node, it) => updateRow(node, it, !it.header && it.inc.id === selectedId),
      sig: (it) => (it.header ? `${it.count}`
        : `${it.inc.version || 1}|${it.inc.status}|${it.group}|${it.inc.id === selectedId}|${it.inc.place || ""}`),
    };
    (rebuild ? GT.rebuild : GT.reconcile)(container, items, spec);
    return { shown: shown.length, hidden: Math.max(0, shown.length - LIST_LIMIT), counts, waiting,
             keys: items.map(spec.key) };
  }

  function tickCountdowns(container) {
    const now = Date.now();
    for (const cd of container.querySelectorAll(".countdown[data-deadline]")) {
      if (!cd.textContent) continue;
      const s = (Date.parse(cd.dataset.deadline) - now) / 1000;
      setText(cd, fmtClock(s));
      cd.classList.toggle("late", s < 0);
    }
  }

  return { ordered, touch, changed, render, tickCountdowns, groupOf, LIST_LIMIT };
})();
