"use strict";
// The crew's destination card: the emergency room recommended (or chosen) for the unit's
// patients, its reason, ETA and route, with "Accept" and "Choose another" one tap each. A
// choice shows as pending until the unit's next destinations record confirms it. The ETA
// counts down to arrival once the unit is on its way, and a diversion (the worker moved the
// unit to another ER) is said in red, naming the ER it left and why.

GT.destination = (() => {
  const { el, label, setText } = GT;
  const $ = (id) => document.getElementById(id);
  const state = { pending: null, choosing: false, dest: null, unit: null, notice: null,
                  refused: null, letters: new Map(), moving: null };
  const mins = (s) => `${Math.max(1, Math.round((s || 0) / 60))}분`;
  // A choice the worker has not confirmed in this time is said to be unconfirmed (it may
  // have been refused: the hospital unknown to it, the patient already handed over), so the
  // crew chooses again instead of waiting on it.
  const CONFIRM_WITHIN_MS = 15000;

  // A pending choice is confirmed by the record its command produced, or by any later record
  // that settles on the chosen hospital.
  function settle(dest) {
    const p = state.pending;
    if (!p || !dest) return;
    if (dest.command_id && dest.command_id === p.commandId) { state.pending = null; return; }
    if (dest.hospital_id === p.hospitalId && dest.status !== "recommended"
        && Date.parse(dest.issued_at) >= p.sentAt - 5000) state.pending = null;
  }

  // The worker refused the pending choice (its dead letter names the command): say why at
  // once. A letter may come before the POST's answer names the command, so letters are kept.
  function refusedNow() {
    const p = state.pending;
    const letter = p && p.commandId && state.letters.get(p.commandId);
    if (!letter) return;
    state.refused = { name: p.name || p.hospitalId, error: letter.error, version: (state.dest || {}).version };
    state.pending = null;
  }

  function refused(letter) {
    state.letters.set(letter.event_id, letter);
    if (state.letters.size > 20) state.letters.delete(state.letters.keys().next().value);
    refusedNow();
    render();
  }

  async function choose(hospitalId, name) {
    const dest = state.dest;
    if (!dest) return;
    state.choosing = false;
    state.refused = null;
    state.pending = { hospitalId, name, commandId: null, sentAt: Date.now() };
    render();
    try {
      const res = await GT.api(`/api/units/${encodeURIComponent(state.unit)}/destination`, {
        method: "POST",
        body: { hospital_id: hospitalId, incident_id: dest.incident_id },
      });
      if (state.pending && state.pending.hospitalId === hospitalId) state.pending.commandId = res.id;
      refusedNow();
    } catch (err) {
      state.pending = null;
      state.notice(`선택 실패 choice refused: ${err.message}`);
    }
    render();
  }

  function rankedItem(r, dest) {
    const li = el("li");
    li.dataset.hospital = r.hospital_id;
    const b = el("button", "choice");
    b.type = "button";
    const head = el("span", "choice-head");
    head.append(el("strong", "", r.name), el("span", "level", r.level ? ` ${r.level}` : ""));
    const facts = el("span", "facts");
    const beds = r.beds_available == null ? "병상 정보 없음" : `병상 ${r.beds_available}`;
    facts.append(el("span", "drive", `주행 ${mins(r.drive_s)}`), el("span", "beds", ` · ${beds}`));
    if (r.stale) {
      const age = r.status_age_s == null ? "" : ` (${mins(r.status_age_s)} 전)`;
      facts.append(el("span", "stale-flag", ` ⚠ 정보 오래됨 stale${age}`));
    }
    if (r.capable === false) facts.append(el("span", "incapable", " · 처치 불가 not capable"));
    b.append(head, facts, el("span", "why", r.reason || ""));
    if (r.hospital_id === dest.hospital_id) b.classList.add("current");
    b.addEventListener("click", () => choose(r.hospital_id, r.name));
    li.append(b);
    return li;
  }

  // The ETA line: minutes left and the time of arrival, counting down once the unit is on its
  // way (GT.arrival); before it leaves, the drive time; at the hospital, that it is there.
  function etaText(dest, nowMs) {
    const m = state.moving || {};
    if (m.status === "at_hospital") return { text: "병원 도착 at hospital", cls: "" };
    const due = GT.arrival.dueMs(dest, m.status, m.since ? Date.parse(m.since) : 0);
    if (due === null) return { text: `주행 ${mins(dest.eta_s)} · 출발 전 drive, not yet left`, cls: "" };
    return GT.arrival.describe(due, nowMs);
  }

  function tick() {
    const dest = state.dest;
    if (!dest) return;
    const chosen = (dest.ranked || []).find((r) => r.hospital_id === dest.hospital_id) || {};
    const eta = etaText(dest, Date.now());
    const box = $("dest-eta");
    setText(box, eta.text + (chosen.stale ? " · ⚠ 병원 정보 오래됨 stale" : ""));
    box.className = [eta.cls, chosen.stale ? "stale" : ""].filter(Boolean).join(" ");
  }

  // The worker moved the unit to another ER (the one it was heading to filled): say which and
  // why, in red, as the crew view says a reroute around a closed road.
  function showDiversion(dest) {
    const box = $("dest-diverted");
    const d = dest.diversion;
    box.hidden = !d;
    if (!d) return;
    const from = d.from_hospital_name || d.from_hospital_id;
    setText(box, `이송 병원 변경 — ${from}${d.because ? `: ${d.because}` : ""} / Diverted from ${from}`);
  }

  function render() {
    const dest = state.dest;
    const box = $("destination");
    box.hidden = !dest;
    document.body.classList.toggle("has-destination", Boolean(dest));
    document.body.classList.toggle("choosing", Boolean(dest && state.choosing));
    if (!dest) return;
    settle(dest);
    const chosen = (dest.ranked || []).find((r) => r.hospital_id === dest.hospital_id) || {};
    setText($("dest-name"), dest.hospital_name || chosen.name || dest.hospital_id);
    setText($("dest-level"), chosen.level || "");
    const said = dest.diversion && dest.diversion.because === dest.reason;  // in the red notice
    setText($("dest-reason"), said ? "" : dest.reason || "");
    setText($("dest-condition"), [label("condition", dest.condition),
      ...(dest.needs || []).map((n) => label("capability", n))].filter(Boolean).join(" · "));
    tick();
    showDiversion(dest);
    const p = state.pending;
    const late = Boolean(p && Date.now() - p.sentAt > CONFIRM_WITHIN_MS);
    const st = $("dest-state");
    const no = !p && state.refused && state.refused.version === dest.version ? state.refused : null;
    st.className = p ? (late ? "unconfirmed" : "pending") : no ? "refused" : dest.status;
    setText(st, no ? `거부됨 refused: ${no.name} — ${no.error}`
      : !p ? `${label("destinationStatus", dest.status)} ${dest.status}`
        : late ? `확인 안 됨 not confirmed: ${p.name || p.hospitalId} — 다시 선택 choose again`
          : `확인 대기 pending: ${p.name || p.hospitalId}`);
    const accept = $("dest-accept");
    accept.disabled = (Boolean(p) && !late) || (!p && dest.status !== "recommended");
    const list = $("dest-ranked");
    list.hidden = !state.choosing;
    setText($("dest-other"), state.choosing ? "닫기 Close list" : "다른 병원 Choose another");
    // rebuilt only when the record changes, so a button never moves under a finger
    const shown = state.choosing ? `${dest.unit_id}:${dest.version}:${dest.issued_at}` : "";
    if (list.dataset.shown !== shown) {
      list.dataset.shown = shown;
      list.replaceChildren(...(state.choosing ? dest.ranked || [] : []).map((r) => rankedItem(r, dest)));
    }
  }

  // Draw the route to the hospital and its marker; the points to keep in view.
  function draw(layer, renderer) {
    const dest = state.dest;
    if (!dest) return [];
    const pts = [];
    if (dest.route && dest.route.type === "LineString") {
      const lls = dest.route.coordinates.map(([lon, lat]) => [lat, lon]);
      L.polyline(lls, { renderer, color: "#69f0ae", weight: 6, opacity: 0.95, dashArray: "10 6" }).addTo(layer);
      pts.push(...lls);
      const end = lls[lls.length - 1];
      L.circleMarker(end, { renderer, radius: 9, color: "#fff", weight: 3, fillColor: "#d50000", fillOpacity: 1 })
        .bindTooltip(document.createTextNode(dest.hospital_name || dest.hospital_id), { permanent: true, direction: "auto" })
        .addTo(layer);
    }
    return pts;
  }

  // ``moving``: the unit's status and since when it has been in it ({status, since}).
  function show(dest, moving) {
    state.dest = dest || null;
    state.moving = moving || null;
    if (!dest) state.choosing = false;
    render();
  }

  function start(unit, notice) {
    Object.assign(state, { unit, notice });
    $("dest-accept").addEventListener("click", () => {
      if (state.dest) choose(state.dest.hospital_id, state.dest.hospital_name);
    });
    $("dest-other").addEventListener("click", () => { state.choosing = !state.choosing; render(); });
    setInterval(() => { if (state.pending) render(); else tick(); }, 1000);  // a pending choice may turn late
  }

  return { start, show, draw, refused, state };
})();
