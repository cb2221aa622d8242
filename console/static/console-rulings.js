"use strict";
// The dispatcher's rulings on what fusion made of the evidence, in the detail panel: merge this
// incident into another (one click from "possibly related", or chosen), split checked evidence
// off into a new incident, retype (type, priority); and the incident's rulings (who, why, when)
// with merged-into / split-from links. Built once per selection, patched in place (keyed).
// A ruling is done when it shows on the incident's rulings with its command id, refused when
// the worker dead-letters that command (why shown).

GT.rulings = (() => {
  const { el, label, setText } = GT;
  const TYPES = Object.keys(GT.LABELS.type);
  const MERGE_CHOICES = 20;
  const REASON = "ruling_reason";  // apart from the override form's "reason"
  const ACTION = { merge_incident: "병합 merge", split_evidence: "분리 split", retype_incident: "재분류 retype" };

  function button(text, cls, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // A link to another incident: selects it when the console still shows it.
  function link(C, id) {
    const b = button(id, "incident-link", () => { if (C.state.incidents.has(id)) C.select(id); });
    b.dataset.incident = id;
    return b;
  }

  const ruled = (C, id, o) => ((C.state.incidents.get(id) || {}).rulings || []).some((r) => r.command_id === o.commandId);
  // The worker's refusal of the command (its dead letter), else a target no longer shown.
  const refused = (C, o, ...ids) => C.refusals.get(o.commandId)
    || ids.map((id) => (C.state.incidents.has(id) ? null : `${id} is no longer active`)).find(Boolean) || null;

  function merge(C, id, into, reason) {
    return GT.actions.run({
      label: `병합 merge ${id} → ${into}`, incidentId: id,
      path: `/api/incidents/${encodeURIComponent(id)}/merge`, body: { into_incident_id: into, reason },
      expect: (_state, o) => ruled(C, into, o) || C.mergedInto.get(id) === into,
      refusal: (_state, _ms, o) => C.refusals.get(o.commandId) || (C.mergedInto.has(id) ? null : refused(C, o, into)),
    });
  }

  async function confirmMerge(C, id, into) {
    const other = C.state.incidents.get(into);
    const what = other ? ` (P${other.priority} ${label("type", other.type)})` : "";
    const ok = await GT.actions.confirm({
      message: `${id} 사건을 ${into}${what} 사건으로 병합합니까? Merge ${id} into ${into}?`,
      okLabel: "병합 Merge", reason: "required" });
    if (ok) merge(C, id, into, ok.reason);
  }

  function split(C, id, evidenceIds, type, reason) {
    const body = { evidence_ids: evidenceIds, reason };
    if (type) body.type = type;
    return GT.actions.run({
      label: `분리 split ${evidenceIds.join(", ")} ← ${id}`, incidentId: id,
      path: `/api/incidents/${encodeURIComponent(id)}/split`, body,
      expect: (_state, o) => ruled(C, id, o),
      refusal: (_state, _ms, o) => refused(C, o, id),
    });
  }

  function retype(C, id, type, priority, reason) {
    const body = { reason };
    if (type) body.type = type;
    if (priority) body.priority = Number(priority);
    return GT.actions.run({
      label: `재분류 retype ${id}${type ? ` ${label("type", type)}` : ""}${priority ? ` P${priority}` : ""}`,
      incidentId: id, path: `/api/incidents/${encodeURIComponent(id)}/retype`, body,
      expect: (_state, o) => ruled(C, id, o),
      refusal: (_state, _ms, o) => refused(C, o, id),
    });
  }

  // The other active incidents nearest ``inc`` (the ones a dispatcher would merge it into),
  // found again when an incident came or went (``C.roster`` counts those) and otherwise at
  // most every NEAREST_MS: a scan of every incident is too dear for each update.
  const NEAREST_MS = 2000;
  function nearestOf(C, inc, r) {
    const now = Date.now();
    if (!r.near || r.roster !== C.roster || now - r.nearAt > NEAREST_MS) {
      r.near = nearest(C, inc);
      r.nearAt = now;
      r.roster = C.roster;
    }
    return r.near.filter((x) => { const o = C.state.incidents.get(x); return o && o.status !== "resolved"; });
  }

  function nearest(C, inc) {
    const { lon, lat } = inc.location;
    const k = Math.cos((lat * Math.PI) / 180);
    const near = [];
    for (const x of C.state.incidents.values()) {
      if (x.id === inc.id || x.status === "resolved") continue;
      const dx = (x.location.lon - lon) * k, dy = x.location.lat - lat;
      near.push([dx * dx + dy * dy, x.id]);
    }
    return near.sort((a, b) => a[0] - b[0]).slice(0, MERGE_CHOICES).map(([, id]) => id);
  }

  function select(name, placeholder, values, text) {
    const s = el("select");
    s.name = name;
    s.append(new Option(placeholder, ""));
    for (const v of values) s.append(new Option(text(v), String(v)));
    return s;
  }

  function input(name, placeholder) {
    const i = el("input");
    i.name = name;
    i.placeholder = placeholder;
    i.autocomplete = "off";
    i.maxLength = 300;
    return i;
  }

  // The rulings section of incident ``id``'s panel; ``checked()`` gives the evidence ids ticked.
  function build(C, id, checked) {
    const r = { id };
    r.links = el("div", "ruling-links");
    r.related = el("ul", "related");
    r.relatedBox = el("div", "related-box");
    r.relatedBox.append(el("h4", "", "관련 가능 사건 Possibly related"), r.related);

    const mergeForm = el("form", "actions merge");
    r.into = el("select");
    r.into.name = "into_incident_id";
    r.into.setAttribute("aria-label", "merge into");
    r.chosen = "";  // kept apart from the select: re-ordering options must not change the choice
    r.into.addEventListener("change", () => { r.chosen = r.into.value; });
    const mergeReason = input(REASON, "사유 reason (required)");
    mergeReason.required = true;
    const mergeBtn = el("button", "danger merge", "병합 Merge into"); mergeBtn.type = "submit";
    r.mergeNote = el("span", "merge-note");
    mergeForm.append(r.into, mergeReason, mergeBtn, r.mergeNote);
    mergeForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!r.into.value) { setText(r.mergeNote, "choose the incident to merge into"); return; }
      setText(r.mergeNote, "");
      merge(C, id, r.into.value, mergeReason.value.trim())
        .then((o) => { if (o.state !== "refused") mergeReason.value = ""; });
    });

    const splitForm = el("form", "actions split");
    const splitType = select("type", "유형 그대로 type from evidence", TYPES, (t) => `${label("type", t)} ${t}`);
    const splitReason = input(REASON, "사유 reason (required)");
    splitReason.required = true;
    const splitBtn = el("button", "split", "분리 Split checked evidence"); splitBtn.type = "submit";
    r.splitNote = el("span", "split-note");
    splitForm.append(splitType, splitReason, splitBtn, r.splitNote);
    splitForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const ids = checked();
      if (!ids.length) { setText(r.splitNote, "check the evidence to split off first"); return; }
      setText(r.splitNote, "");
      split(C, id, ids, splitType.value, splitReason.value.trim())
        .then((o) => { if (o.state !== "refused") splitReason.value = ""; });
    });

    const retypeForm = el("form", "actions retype");
    const retypeType = select("type", "유형 type (unchanged)", TYPES, (t) => `${label("type", t)} ${t}`);
    const retypePriority = select("priority", "등급 priority (unchanged)", [1, 2, 3, 4, 5], (p) => `P${p}`);
    const retypeReason = input(REASON, "사유 reason (required)");
    retypeReason.required = true;
    const retypeBtn = el("button", "retype", "재분류 Retype"); retypeBtn.type = "submit";
    r.retypeNote = el("span", "retype-note");
    retypeForm.append(retypeType, retypePriority, retypeReason, retypeBtn, r.retypeNote);
    retypeForm.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!retypeType.value && !retypePriority.value) { setText(r.retypeNote, "choose a type or a priority"); return; }
      setText(r.retypeNote, "");
      retype(C, id, retypeType.value, retypePriority.value, retypeReason.value.trim())
        .then((o) => { if (o.state !== "refused") { retypeReason.value = ""; retypeType.value = ""; retypePriority.value = ""; } });
    });

    r.rulings = el("ol", "rulings");
    r.box = el("div", "rulings-box");
    r.box.append(r.links, r.relatedBox, el("h4", "", "판정 Rulings"), mergeForm, splitForm, retypeForm, r.rulings);
    return r;
  }

  function render(C, inc, r) {
    const links = [];
    if (inc.merged_into) links.push(["병합됨 merged into", inc.merged_into]);
    if (inc.split_from) links.push(["분리됨 split from", inc.split_from]);
    GT.reconcile(r.links, links, {
      key: ([what]) => what,
      create: ([what]) => { const s = el("span", "ruling-link"); s.append(el("span", "", `${what} `)); return s; },
      update: (s, [, other]) => { if (s.childNodes.length > 1) s.lastChild.remove(); s.append(link(C, other)); },
      sig: ([, other]) => other,
    });
    const related = (inc.possibly_related || []).filter((x) => C.state.incidents.has(x));
    r.relatedBox.hidden = !related.length;
    GT.reconcile(r.related, related, {
      key: (x) => x,
      create: (x) => {
        const li = el("li");
        li.dataset.incident = x;
        li.append(link(C, x), el("span", "what"), button("병합 Merge…", "danger merge-related", () => confirmMerge(C, inc.id, x)));
        return li;
      },
      update: (li, x) => {
        const other = C.state.incidents.get(x);
        setText(li.children[1], other ? ` P${other.priority} ${label("type", other.type)} · ${label("incidentStatus", other.status)} ` : "");
      },
    });
    GT.reconcile(r.into, [""].concat(nearestOf(C, inc, r)), {
      key: (x) => x,
      create: (x) => new Option(x ? x : "병합 대상 merge into…", x),
      update: (opt, x) => {
        const other = C.state.incidents.get(x);
        if (other) setText(opt, `${x} · P${other.priority} ${label("type", other.type)} · ${other.place || other.district || ""}`);
      },
      sig: (x) => { const o = C.state.incidents.get(x); return o ? `${o.priority}|${o.type}|${o.place || o.district}` : ""; },
    });
    if (r.into.value !== r.chosen) r.into.value = [...r.into.options].some((o) => o.value === r.chosen) ? r.chosen : "";
    GT.reconcile(r.rulings, inc.rulings || [], {
      key: (x) => `${x.command_id}:${x.action}`,
      create: (x) => {
        const li = el("li", "ruling");
        li.dataset.action = x.action;
        const when = el("time", "", new Date(x.at).toLocaleString("sv-SE", { timeZone: "Asia/Seoul" }));
        when.dateTime = x.at;
        li.append(when, el("span", "", ` ${ACTION[x.action] || x.action} · ${x.by}`));
        const set = [x.type ? label("type", x.type) : "", x.priority ? `P${x.priority}` : ""].filter(Boolean).join(" ");
        if (set) li.append(el("span", "", ` → ${set}`));
        if (x.other_incident_id) { li.append(el("span", "", " · ")); li.append(link(C, x.other_incident_id)); }
        li.append(el("span", "why", ` — ${x.reason || ""}`));
        return li;
      },
      update: () => {},
    });
  }

  return { build, render, merge, split, retype };
})();
