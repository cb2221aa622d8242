"use strict";
// The selected incident's detail panel. Built once per selection, then patched in place on
// every update: the override form, its typed text and keyboard focus are never rebuilt.

GT.detail = (() => {
  const { el, fmtClock, label, setText, setClass } = GT;
  const ORDER = { recommended: "추천 recommended", assigned: "지령 assigned", cancelled: "취소 cancelled" };
  let built = null;

  function button(text, cls, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // An ETA with its spread reads as a range ("3–5 min", median to 90th percentile), not a
  // false "2:34"; an assignment without a spread keeps its clock ETA.
  const fmtEta = (a) => {
    if (a.eta_p90_s == null) return fmtClock(a.eta_s);
    const lo = Math.floor((a.eta_p50_s ?? a.eta_s) / 60);
    return `${lo}–${Math.max(lo + 1, Math.ceil(a.eta_p90_s / 60))} min`;
  };
  const unitStatus = (C, id) => { const u = C.state.units.get(id); return u ? u.data : null; };
  const split = (input) => input.value.split(",").map((x) => x.trim()).filter(Boolean);

  // The incident a unit was last assigned to, other than incidentId, unless the unit has
  // reported itself available since (null when there is none).
  function committedElsewhere(C, unitId, incidentId) {
    const c = C.committed.get(unitId);
    if (!c || c.incidentId === incidentId) return null;
    const u = unitStatus(C, unitId);
    if (u && u.status === "available" && Date.parse(u.at) > c.at) return null;
    return c.incidentId;
  }

  // Why a unit recommended for incidentId can no longer go (null while it can). A unit that
  // has not reported is taken as the recommender saw it (available): only an order for
  // another incident or a report of another status makes a recommendation out of date.
  function unavailable(C, incidentId, unitId) {
    const other = committedElsewhere(C, unitId, incidentId);
    if (other) return `${unitId} is assigned to ${other}`;
    const u = unitStatus(C, unitId);
    if (!u || u.status === "available") return null;
    const elsewhere = u.incident_id && u.incident_id !== incidentId ? ` (${u.incident_id})` : "";
    return `${unitId} is ${label("unitStatus", u.status)} ${u.status}${elsewhere}`;
  }
  const isAvailable = (C, incidentId, unitId) => !unavailable(C, incidentId, unitId);

  // The units of incidentId's recommendation that can go now (a unit busy elsewhere cannot).
  const ready = (C, incidentId) => C.assignmentsOf(incidentId)
    .filter((a) => a.status === "recommended" && isAvailable(C, incidentId, a.unit_id)).map((a) => a.unit_id);

  // Accept the recommendation (its available units, or the given ones among them). Once
  // refused, the outcome offers the incident's fresh recommendation (the worker plans again
  // with the fleet as it is) in one click, or says it is waiting for one.
  function accept(C, inc, only) {
    const units = ready(C, inc.id).filter((u) => !only || only.includes(u));
    const seenBusy = new Map();
    return GT.actions.run({
      label: `출동 지령 accept ${units.join(", ")} → ${inc.id}`,
      incidentId: inc.id,
      // an empty list would ask the worker for the whole (stale) recommendation
      refuseNow: units.length ? null : "nothing to accept: the recommendation is out of date",
      path: `/api/incidents/${encodeURIComponent(inc.id)}/accept`,
      body: { unit_ids: units },
      expect: () => C.assignmentsOf(inc.id).some((a) => a.status === "assigned" && units.includes(a.unit_id)),
      offer: (o) => {
        const now = C.state.incidents.get(inc.id);
        if (!now || !["open", "dispatched", "on_scene"].includes(now.status)) return null;
        // once a unit is sent here after the refusal, there is nothing left to offer
        const sent = C.assignmentsOf(inc.id).filter((a) => a.status === "assigned").map((a) => a.unit_id);
        if (!o.sentBefore) o.sentBefore = new Set(sent);
        if (sent.some((u) => !o.sentBefore.has(u))) return null;
        const fresh = ready(C, inc.id).filter((u) => !units.includes(u));
        if (!fresh.length) return { wait: "waiting for a fresh recommendation" };
        return { label: `새 추천 지령 Accept fresh recommendation: ${fresh.join(", ")}`,
                 act: () => accept(C, now, fresh) };
      },
      refusal: (_state, sinceMs, o) => {
        for (const u of units) {
          const a = C.assignmentsOf(inc.id).find((x) => x.unit_id === u);
          if (a && a.status === "cancelled" && (!a.command_id || a.command_id === o.commandId)) {
            return `${u}: ${a.reason || "recommendation withdrawn"}`;
          }
          const why = unavailable(C, inc.id, u);
          if (!why) { seenBusy.delete(u); continue; }
          const s = unitStatus(C, u);
          if (s && s.incident_id && s.incident_id !== inc.id) return `${why} — not assigned`;
          if (!seenBusy.has(u)) seenBusy.set(u, sinceMs);
          if (sinceMs - seenBusy.get(u) > 2000) return `${why} — not assigned`;
        }
        return null;
      },
    });
  }

  async function close(C, inc) {
    const ok = await GT.actions.confirm({
      message: `${inc.id} (P${inc.priority} ${label("type", inc.type)}) 사건을 종결합니까? Close this incident?`,
      okLabel: "종결 Close", reason: "optional" });
    if (!ok) return;
    GT.actions.run({
      label: `종결 close ${inc.id}`, incidentId: inc.id,
      path: `/api/incidents/${encodeURIComponent(inc.id)}/close`, body: ok.reason ? { reason: ok.reason } : {},
      expect: () => { const now = C.state.incidents.get(inc.id); return !now || now.status === "closed"; },
    });
  }

  function resolve(C, inc) {
    GT.actions.run({
      label: `처리 완료 resolve ${inc.id}`, incidentId: inc.id,
      path: `/api/incidents/${encodeURIComponent(inc.id)}/resolve`,
      expect: () => { const now = C.state.incidents.get(inc.id); return !now || ["resolved", "closed"].includes(now.status); },
    });
  }

  async function outOfService(C, unitId) {
    const ok = await GT.actions.confirm({
      message: `${unitId} 운행 불가 처리합니까? Take ${unitId} out of service?`,
      okLabel: "운행 불가 Out of service", reason: "required" });
    if (!ok) return;
    GT.actions.run({
      label: `운행 불가 out of service ${unitId}`,
      path: `/api/units/${encodeURIComponent(unitId)}/out-of-service`, body: { reason: ok.reason },
      expect: () => (unitStatus(C, unitId) || {}).status === "out_of_service",
    });
  }

  function inService(C, unitId) {
    GT.actions.run({
      label: `운행 복귀 return to service ${unitId}`,
      path: `/api/units/${encodeURIComponent(unitId)}/in-service`,
      expect: () => (unitStatus(C, unitId) || {}).status === "available",
    });
  }

  function override(C, inc, form) {
    sendOverride(C, inc, split(form.units), split(form.remove), form.reason.value.trim())
      .then((o) => { if (o.state !== "refused") for (const i of [form.units, form.remove, form.reason]) i.value = ""; });
  }

  function sendOverride(C, inc, units, remove, reason) {
    return GT.actions.run({
      label: `변경 override ${inc.id}`, incidentId: inc.id,
      path: `/api/incidents/${encodeURIComponent(inc.id)}/override`,
      body: { unit_ids: units, remove_unit_ids: remove, reason },
      expect: () => {
        const orders = C.assignmentsOf(inc.id);
        const sent = units.every((u) => orders.some((a) => a.unit_id === u && a.status === "assigned"));
        const gone = remove.every((u) => !orders.some((a) => a.unit_id === u && a.status !== "cancelled"));
        return sent && gone;
      },
    });
  }

  function build(C, inc) {
    const box = document.getElementById("detail");
    const b = { id: inc.id };
    b.title = el("h3", "title");
    b.place = el("div", "place");
    b.meta = el("div", "meta");
    b.description = el("div", "description");
    b.accept = button("출동 지령 Accept recommendation", "ok accept", () => accept(C, C.state.incidents.get(inc.id)));
    b.recNote = el("div", "rec-note");
    const actions = el("div", "actions");
    actions.append(b.accept,
      button("처리 완료 Resolve", "resolve", () => resolve(C, C.state.incidents.get(inc.id))),
      button("종결 Close…", "danger close", () => close(C, C.state.incidents.get(inc.id))));
    b.mci = el("section", "mci");
    b.chooser = GT.destinationChooser.build();
    b.mci.hidden = true;
    b.units = el("tbody");
    const table = el("table", "assignments");
    const head = el("tr");
    for (const h of ["unit", "order", "status", "ETA", ""]) head.append(el("th", "", h));
    const thead = el("thead"); thead.append(head);
    table.append(thead, b.units);
    const form = el("form", "actions override");
    form.units = el("input"); form.units.name = "unit_ids"; form.units.placeholder = "units to send, e.g. E-1,A-2";
    form.remove = el("input"); form.remove.name = "remove_unit_ids"; form.remove.placeholder = "units to recall";
    form.reason = el("input"); form.reason.name = "reason"; form.reason.placeholder = "reason (required)";
    form.reason.required = true;
    const submit = el("button", "override", "변경 Override"); submit.type = "submit";
    form.append(form.units, form.remove, form.reason, submit);
    form.addEventListener("submit", (e) => { e.preventDefault(); override(C, C.state.incidents.get(inc.id), form); });
    b.cameras = el("ul", "cameras");
    b.evidence = el("ol", "evidence");
    b.rulings = GT.rulings.build(C, inc.id, () => [...b.evidence.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value));
    const closeBtn = button("✕", "close-detail", () => C.select(null));
    closeBtn.setAttribute("aria-label", "close detail");
    const top = el("div", "detail-head"); top.append(b.title, closeBtn);
    box.replaceChildren(top, b.place, b.meta, b.description, actions, b.recNote, b.mci,
      el("h4", "", "Units"), table, b.chooser, form, el("h4", "", "Cameras at the scene"), b.cameras,
      el("h4", "", "Evidence timeline"), b.evidence, b.rulings.box);
    return b;
  }

  function unitRow(C, inc) {
    return {
      key: (a) => a.unit_id,
      create: (a) => {
        const tr = el("tr");
        tr.dataset.unit = a.unit_id;
        const badge = el("span", "unit-status"); badge.dataset.unit = a.unit_id;
        const statusCell = el("td"); statusCell.append(badge);
        const oos = button("운행 불가 Out of service…", "danger oos", () => outOfService(C, a.unit_id));
        const back = button("운행 복귀 Return to service", "ok in-service", () => inService(C, a.unit_id));
        const act = el("td"); act.append(GT.destinationChooser.opener(a.unit_id, inc.id), oos, back);
        tr.append(el("td"), el("td"), statusCell, el("td"), act);
        return tr;
      },
      update: (tr, a) => {
        const u = unitStatus(C, a.unit_id);
        const status = u ? u.status : "unknown";
        const [name, order, statusCell, eta, act] = tr.children;
        const dest = GT.hospitals.destinationOf(a.unit_id, inc.id);
        setText(name, `${a.unit_id} ${label("unitKind", a.unit_kind || (u && u.kind) || "")}`
          + (dest ? ` → ${dest.hospital_name}` : ""));
        const stale = a.status === "recommended" && !isAvailable(C, inc.id, a.unit_id);
        const around = a.rerouted_because && a.status === "assigned"
          ? (GT.structures && GT.structures.items.get(a.rerouted_because) || {}).name || a.rerouted_because : "";
        setText(order, (ORDER[a.status] || a.status) + (stale ? " · out of date" : "") + (around ? ` · 우회 rerouted around ${around}` : ""));
        order.classList.toggle("stale", stale);
        const badge = statusCell.firstChild;
        setText(badge, `${label("unitStatus", status)} ${status}`);
        badge.dataset.status = status;
        badge.style.background = GT.UNIT_COLOURS[status] || "#9e9e9e";
        setText(eta, fmtEta(a));
        setClass(eta, a.within_golden_time ? "" : "late");
        eta.title = a.within_golden_time ? "within golden time" : "beyond golden time";
        GT.destinationChooser.update(act.firstChild, a.unit_id, inc);
        act.children[1].hidden = status === "out_of_service";
        act.lastChild.hidden = status !== "out_of_service";
      },
    };
  }

  function render(C) {
    const box = document.getElementById("detail");
    const inc = C.state.incidents.get(C.state.selected);
    if (!inc) {
      if (built) { box.hidden = true; box.replaceChildren(); built = null; }
      return;
    }
    if (!built || built.id !== inc.id) { built = build(C, inc); box.hidden = false; }
    const b = built;
    setText(b.title, `${inc.id} · P${inc.priority} ${label("type", inc.type)} · ${label("incidentStatus", inc.status)}`);
    setText(b.place, [inc.place || inc.district, inc.address].filter(Boolean).join(" · "));
    setText(b.meta, `confidence ${inc.confidence} · patients ${inc.patients || 0} · golden time ${Math.round(inc.golden_time_s / 60)} min · v${inc.version || 1}`);
    setText(b.description, inc.description || "");
    const orders = C.assignmentsOf(inc.id);
    const recommended = orders.filter((a) => a.status === "recommended");
    const go = ready(C, inc.id);
    b.accept.disabled = !go.length;
    setText(b.accept, go.length ? `출동 지령 Accept recommendation: ${go.join(", ")}` : "출동 지령 Accept recommendation");
    const stale = recommended.filter((a) => !isAvailable(C, inc.id, a.unit_id)).map((a) => unavailable(C, inc.id, a.unit_id));
    setText(b.recNote, stale.length ? `recommendation out of date: ${stale.join("; ")}` + (go.length ? "" : " — waiting for a fresh one") : "");
    GT.reconcile(b.units, orders.filter((a) => a.status !== "cancelled"), unitRow(C, inc));
    GT.hospitals.renderMci(C, inc, b.mci);
    GT.destinationChooser.render(inc, b.chooser);
    const cams = (C.state.overlays.get(inc.id) || {}).cameras || [];
    GT.reconcile(b.cameras, cams, {
      key: (c) => c.id,
      create: (c) => { const li = el("li"); li.append(el("span"), button("▶ view", "view", () => GT.feed.open(c.id, inc.id))); return li; },
      update: (li, c) => setText(li.firstChild, `${c.id} · ${Math.round(c.distance_m || 0)} m `),
    });
    const evidence = [...inc.evidence].sort((x, y) => String(x.at || "").localeCompare(String(y.at || "")));
    GT.reconcile(b.evidence, evidence, {
      key: (e) => `${e.source}:${e.id}`,
      create: (e) => {
        const li = el("li");
        li.dataset.evidence = e.id;
        const pick = el("input");
        pick.type = "checkbox"; pick.value = e.id; pick.setAttribute("aria-label", `split ${e.id}`);
        const text = el("label");
        text.append(pick, el("span"));
        li.append(text);
        return li;
      },
      update: (li, e) => setText(li.querySelector("span"), ` ${e.at || ""} ${e.source} ${e.kind || ""} ${e.id}`),
    });
    GT.rulings.render(C, inc, b.rulings);
  }

  function focusOverride() {
    const input = document.querySelector("#detail form.override input[name=unit_ids]");
    if (input) input.focus();
    return Boolean(input);
  }

  return { render, accept, close, resolve, sendOverride, focusOverride };
})();
