"use strict";
// A dispatcher chooses a unit's emergency room, in the selected incident's detail: the ERs
// ranked for its patient (reason, drive time, free beds, stale status flagged), one click and
// a confirmation to send the unit to one, and the choice's state — pending until the unit's
// destinations record answers its command (done), or refused with the worker's reason. The
// same POST a crew's card uses (dispatchers and supervisors; audited by the console).

GT.destinationChooser = (() => {
  const { el, label, setText } = GT;
  const mins = (s) => `${Math.max(1, Math.round((s || 0) / 60))}분`;
  const STATE_TEXT = {
    pending: "확인 대기 pending",
    done: "완료 done",
    refused: "거부됨 refused",
    unconfirmed: "확인 안 됨 not confirmed",
  };
  let C = null;
  let open = null;  // {unitId, incidentId}: the chooser shown
  const choices = new Map();  // unit id -> the GT.actions outcome of its latest choice

  function button(text, cls, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // Build the chooser's container once per detail panel (filled by render).
  function build() {
    const box = el("section", "dest-chooser");
    box.hidden = true;
    box.setAttribute("aria-label", "destination emergency room");
    const head = el("div", "chooser-head");
    const close = button("✕", "close-chooser", () => hide(true));
    close.setAttribute("aria-label", "close the emergency room list");
    head.append(el("h4", "chooser-title"), close);
    const list = el("ol", "chooser-ranked");
    list.setAttribute("aria-label", "emergency rooms, best first");
    const state = el("div", "chooser-state");
    state.setAttribute("role", "status");
    box.append(head, el("div", "chooser-current"), el("div", "chooser-diverted"), state, list);
    box.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.stopPropagation(); hide(true); return; }
      const li = e.target.closest(".chooser-ranked li");
      if (!li || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
      e.preventDefault();  // Up and Down move between the emergency rooms, as in the queue
      const next = e.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling;
      if (next) next.firstChild.focus();
    });
    return box;
  }

  function show(unitId, incidentId) {
    open = { unitId, incidentId };
    C.scheduleRender();
    // focus the first emergency room once drawn, so the list is used from the keyboard
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const first = document.querySelector("#detail .dest-chooser .chooser-ranked button");
      if (first) first.focus();
    }));
  }

  function hide(refocus) {
    const was = open;
    open = null;
    C.scheduleRender();
    if (refocus && was) {
      const opener = document.querySelector(`#detail tr[data-unit="${CSS.escape(was.unitId)}"] button.destination`);
      if (opener) requestAnimationFrame(() => opener.focus());
    }
  }

  async function choose(dest, r) {
    const answer = await GT.actions.confirm({
      message: `${dest.unit_id}: 이송 병원 ${dest.hospital_name} → ${r.name}? `
        + `The crew is told at once (${r.reason || ""}).`,
      okLabel: `${r.name} 선택 Send there`,
      reason: "optional",
    });
    if (!answer) return;
    const body = { hospital_id: r.hospital_id, incident_id: dest.incident_id };
    if (answer.reason) body.reason = answer.reason;
    const run = GT.actions.run({
      label: `${dest.unit_id} → ${r.name}`,
      path: `/api/units/${encodeURIComponent(dest.unit_id)}/destination`,
      body,
      incidentId: dest.incident_id,
      expect: (_state, o) => {
        const now = GT.hospitals.state.dests.get(dest.unit_id);
        return Boolean(now && o.commandId && now.command_id === o.commandId);
      },
      refusal: (_state, _ms, o) => (o.commandId && C.refusals.get(o.commandId)) || null,
    });
    const outcome = GT.actions.outcomes[0];  // run() made it before its first await
    outcome.hospitalName = r.name;
    choices.set(dest.unit_id, outcome);
    C.scheduleRender();
    await run;
    C.scheduleRender();
  }

  function rankedItem(currentId) {
    return {
      key: (r) => r.hospital_id,
      create: (r) => {
        const li = el("li");
        li.dataset.hospital = r.hospital_id;
        const b = el("button", "choice");
        b.type = "button";
        const head = el("span", "choice-head");
        head.append(el("strong", "name"), el("span", "level"));
        const facts = el("span", "facts");
        facts.append(el("span", "drive"), el("span", "beds"), el("span", "stale-flag"), el("span", "incapable"));
        b.append(head, facts, el("span", "why"));
        b.addEventListener("click", () => {
          const dest = open && GT.hospitals.destinationOf(open.unitId, open.incidentId);
          const now = dest && (dest.ranked || []).find((x) => x.hospital_id === li.dataset.hospital);
          if (now) choose(dest, now);
        });
        li.append(b);
        return li;
      },
      update: (li, r) => {
        const b = li.firstChild;
        const [head, facts, why] = b.children;
        setText(head.children[0], r.name);
        setText(head.children[1], r.level ? ` ${r.level}` : "");
        const [drive, beds, stale, incapable] = facts.children;
        setText(drive, `주행 ${mins(r.drive_s)}`);
        setText(beds, ` · ${r.beds_available == null ? "병상 정보 없음" : `병상 ${r.beds_available}`}`);
        setText(stale, r.stale ? ` · ⚠ 정보 오래됨 stale${r.status_age_s == null ? "" : ` (${mins(r.status_age_s)} 전)`}` : "");
        setText(incapable, r.capable === false ? " · 처치 불가 not capable" : "");
        setText(why, r.reason || "");
        const current = r.hospital_id === currentId;
        b.classList.toggle("current", current);
        if (current) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
      },
    };
  }

  function stateText(o) {
    if (!o) return "";
    const why = o.state === "refused" ? `: ${o.reason}` : "";
    return `${STATE_TEXT[o.state] || o.state} — ${o.hospitalName}${why}`;
  }

  // Fill the chooser of the selected incident (hidden unless open for one of its units).
  function render(inc, box) {
    const dest = open && open.incidentId === inc.id ? GT.hospitals.destinationOf(open.unitId, inc.id) : null;
    box.hidden = !dest;
    if (!dest) return;
    const [head, current, diverted, state, list] = box.children;
    setText(head.firstChild, `${dest.unit_id} 이송 병원 선택 Choose emergency room`);
    setText(current, `현재 now: ${dest.hospital_name} · ${label("destinationStatus", dest.status)} ${dest.status}`
      + ` · ${label("condition", dest.condition) || dest.condition}`);
    const d = dest.diversion;
    diverted.hidden = !d;
    setText(diverted, d ? `이송 병원 변경 — ${d.from_hospital_name}${d.because ? `: ${d.because}` : ""} / diverted` : "");
    const o = choices.get(dest.unit_id);
    setText(state, stateText(o));
    state.className = `chooser-state ${o ? o.state : ""}`;
    GT.reconcile(list, dest.ranked || [], rankedItem(dest.hospital_id));
  }

  // The button in a unit's row of the detail that opens its chooser: hidden while the unit has
  // no patient destination (nothing to choose).
  function update(btn, unitId, inc) {
    const dest = GT.hospitals.destinationOf(unitId, inc.id);
    btn.hidden = !dest;
    const shown = Boolean(open && open.unitId === unitId && open.incidentId === inc.id);
    btn.setAttribute("aria-expanded", String(shown));
  }

  function opener(unitId, incidentId) {
    const b = button("병원 선택 Destination…", "destination", () => {
      if (open && open.unitId === unitId && open.incidentId === incidentId) hide(false);
      else show(unitId, incidentId);
    });
    b.hidden = true;
    return b;
  }

  function start(ctx) { C = ctx; }

  return { start, build, render, opener, update, show, hide, choices };
})();
