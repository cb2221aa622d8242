"use strict";
// Emergency rooms on the console: a map layer and a board (beds, capabilities, stale status
// flagged, who is coming with ETA), and the mass-casualty distribution panel of an incident.
// Fed by /api/hospitals (registry and state) and the socket's er-status, destination and
// mci-plan frames. Field text only via textContent.

GT.hospitals = (() => {
  const { el, label, setText } = GT;
  const CAPS = ["pci", "stroke", "trauma", "burns", "paediatric", "obstetric"];
  const SEVERITIES = ["critical", "serious", "minor"];
  const REFRESH_MS = 30000;
  const TICK_MS = 15000;
  const H = {
    registry: new Map(), status: new Map(), dests: new Map(), plans: new Map(),
    maxAgeS: 600, markers: new Map(), dirty: true, layer: null, routes: null, C: null, roster: -1,
  };
  const mins = (s) => `${Math.max(1, Math.round((s || 0) / 60))}분`;
  const sum = (counts) => SEVERITIES.reduce((n, k) => n + ((counts || {})[k] || 0), 0);

  function ageS(status) { return Math.max(0, (Date.now() - Date.parse(status.at)) / 1000); }
  function isStale(status) { return !status || ageS(status) > H.maxAgeS; }

  // A destination still applies while its incident is open and its unit has not reported
  // itself free since it was issued (the server's rule, console.hospitals).
  function inForce(d) {
    if (!H.C.state.incidents.has(d.incident_id)) return false;
    const u = H.C.state.units.get(d.unit_id);
    if (!u || !["available", "out_of_service"].includes(u.data.status)) return true;
    return !(Date.parse(u.data.at) > Date.parse(d.issued_at));
  }

  function incoming(hospitalId) {
    return [...H.dests.values()].filter((d) => d.hospital_id === hospitalId && inForce(d))
      .sort((a, b) => (a.eta_s || 0) - (b.eta_s || 0));
  }

  function putStatus(s) {
    const old = H.status.get(s.hospital_id);
    if (old && Date.parse(old.at) > Date.parse(s.at)) return;
    H.status.set(s.hospital_id, s);
    H.dirty = true;
  }
  function putDest(d) {
    const old = H.dests.get(d.unit_id);
    if (old && Date.parse(old.issued_at) > Date.parse(d.issued_at)) return;
    H.dests.set(d.unit_id, d);
    H.dirty = true;
  }
  function putPlan(p) {
    const old = H.plans.get(p.incident_id);
    if (old && (old.version || 0) > (p.version || 0)) return;
    H.plans.set(p.incident_id, p);
    H.dirty = true;
  }

  function apply(msg) {
    const d = msg.data;
    if (msg.type === "snapshot") {
      for (const s of d.er_status || []) putStatus(s);
      for (const x of d.destinations || []) putDest(x);
      for (const p of d.mci_plans || []) putPlan(p);
    } else if (msg.type === "er-status") putStatus(d);
    else if (msg.type === "destination") putDest(d);
    else if (msg.type === "mci-plan") putPlan(d);
  }

  async function load() {
    try {
      const got = await GT.api("/api/hospitals");
      H.maxAgeS = got.max_age_s;
      for (const h of got.hospitals) {
        H.registry.set(h.hospital_id, h);
        if (h.status) putStatus(h.status);
      }
      for (const p of got.mci_plans || []) putPlan(p);
    } catch (_) { /* loaded again on the next refresh */ }
    H.dirty = true;
  }

  function nameOf(id) {
    const h = H.registry.get(id);
    if (h) return h.name;
    for (const d of H.dests.values()) if (d.hospital_id === id && d.hospital_name) return d.hospital_name;
    return id;
  }

  function rows() {
    const ids = new Set([...H.registry.keys(), ...H.status.keys()]);
    for (const d of H.dests.values()) if (inForce(d)) ids.add(d.hospital_id);
    return [...ids].map((id) => ({ id, reg: H.registry.get(id) || {}, status: H.status.get(id) || null, coming: incoming(id) }))
      .sort((a, b) => b.coming.length - a.coming.length || String(a.reg.name || a.id).localeCompare(String(b.reg.name || b.id)));
  }

  function bedsText(status) {
    if (!status) return "상태 없음 no status";
    const total = status.beds_total == null ? "" : `/${status.beds_total}`;
    return `병상 ${status.beds_available}${total}`;
  }

  function boardRow() {
    return {
      key: (r) => r.id,
      create: (r) => {
        const li = el("li", "hospital");
        li.dataset.hospital = r.id;
        const head = el("div", "h-head");
        head.append(el("strong", "h-name"), el("span", "h-level"), el("span", "h-beds"), el("span", "h-stale"));
        li.append(head, el("div", "h-caps"), el("div", "h-coming"));
        return li;
      },
      update: (li, r) => {
        const stale = isStale(r.status);
        li.classList.toggle("stale", stale);
        li.classList.toggle("full", Boolean(r.status && !stale && r.status.beds_available <= 0));
        const [name, level, beds, flag] = li.firstChild.children;
        setText(name, r.reg.name || nameOf(r.id));
        setText(level, r.reg.level ? ` ${r.reg.level}` : "");
        setText(beds, ` · ${bedsText(r.status)}`);
        setText(flag, r.status && stale ? ` ⚠ 정보 오래됨 stale ${mins(ageS(r.status))} 전` : "");
        // live capabilities as reported; without a status, the designated ones (not "now")
        const caps = (r.status && r.status.capabilities) || {};
        const capsBox = li.children[1];
        const live = CAPS.filter((c) => caps[c] === true || caps[c] === false);
        capsBox.replaceChildren(...(r.status ? live.map((c) =>
          el("span", `cap ${caps[c] ? "on" : "off"}`, label("capability", c)))
          : (r.reg.designated || []).map((c) => el("span", "cap designated", label("capability", c)))));
        comingList(li.children[2], r.coming);
      },
    };
  }

  // A coming unit's time to the ER: counting down once it left (GT.arrival), else its drive.
  function etaOf(d) {
    const u = H.C.state.units.get(d.unit_id);
    const due = GT.arrival.dueMs(d, u && u.data.status, u && u.since);
    return due === null ? `주행 ${mins(d.eta_s)}` : GT.arrival.describe(due, Date.now()).short;
  }

  // The units coming, each a button that opens its incident with the unit's ER choice (a unit
  // the worker moved here from a full ER says so: it left that ER's list). Rebuilt only when
  // what it says changes, so a button never moves under the pointer.
  function comingList(box, coming) {
    const items = coming.map((d) => ({ d, text: `${d.unit_id} ${etaOf(d)}`
      + (d.status === "recommended" ? " (추천)" : "")
      + (d.diversion ? ` ← ${d.diversion.from_hospital_name} 우회 diverted` : "") }));
    const sig = items.map((x) => `${x.d.incident_id}|${x.text}`).join("\n");
    if (box.dataset.sig === sig) return;
    box.dataset.sig = sig;
    const parts = items.length ? [document.createTextNode("오는 중 coming: ")] : [];
    items.forEach((x, i) => {
      const b = el("button", "unit-link", x.text);
      b.type = "button";
      b.dataset.unit = x.d.unit_id;
      b.title = "이송 병원 선택 choose this unit's emergency room";
      b.addEventListener("click", () => {
        H.C.select(x.d.incident_id);
        GT.destinationChooser.show(x.d.unit_id, x.d.incident_id);
      });
      parts.push(b);
      if (i < items.length - 1) parts.push(document.createTextNode(", "));
    });
    box.replaceChildren(...parts);
  }

  // Emergency rooms are crosses (units are squares, incidents circles): green with beds,
  // red when full, amber-ringed grey when the status is stale, dim when never reported.
  function markerClass(status) {
    if (!status) return "er-marker none";
    if (isStale(status)) return "er-marker stale";
    return status.beds_available > 0 ? "er-marker beds" : "er-marker full";
  }

  function drawMarkers() {
    for (const r of rows()) {
      const loc = r.reg.location;
      if (!loc) continue;
      let m = H.markers.get(r.id);
      const cls = markerClass(r.status);
      if (!m) {
        m = L.marker([loc.lat, loc.lon], { icon: L.divIcon({ className: cls, iconSize: [18, 18] }), keyboard: false })
          .addTo(H.layer);
        m.bindTooltip("", { direction: "top" });
        m.cls = cls;
        H.markers.set(r.id, m);
      } else if (m.cls !== cls) {
        m.setIcon(L.divIcon({ className: cls, iconSize: [18, 18] }));
        m.cls = cls;
      }
      const stale = r.status && isStale(r.status) ? " · ⚠ 정보 오래됨 stale" : "";
      const coming = r.coming.length ? ` · 오는 중 ${r.coming.length}` : "";
      m.setTooltipContent(document.createTextNode(`${r.reg.name || r.id} · ${bedsText(r.status)}${stale}${coming}`));
    }
  }

  // Each unit's way to its emergency room, thin and dashed (orders to the scene are solid).
  function drawRoutes() {
    H.routes.clearLayers();
    for (const d of H.dests.values()) {
      if (!inForce(d) || !d.route || d.route.type !== "LineString") continue;
      const lls = d.route.coordinates.map(([lon, lat]) => [lat, lon]);
      L.polyline(lls, { renderer: H.C.renderer, color: "#00e676", weight: 4, opacity: 1, dashArray: "10 6" })
        .bindTooltip(document.createTextNode(`${d.unit_id} → ${d.hospital_name} · ${mins(d.eta_s)}`))
        .addTo(H.routes);
    }
  }

  function render(C) {
    if (H.roster !== C.roster) { H.roster = C.roster; H.dirty = true; }  // incidents came or went
    if (!H.dirty) return;
    H.dirty = false;
    const list = rows();
    GT.reconcile(document.getElementById("hospitals"), list, boardRow());
    const fresh = list.filter((r) => r.status && !isStale(r.status)).length;
    const staleN = list.filter((r) => r.status && isStale(r.status)).length;
    setText(document.getElementById("hospital-count"), `${fresh} live · ${staleN} stale`);
    drawMarkers();
    drawRoutes();
  }

  // ---- the mass-casualty distribution of one incident (count per hospital, planned vs
  // transported, unallocated), in a container of the detail panel
  function renderMci(C, inc, box) {
    const plan = H.plans.get(inc.id);
    box.hidden = !plan;
    if (!plan) { box.replaceChildren(); return; }
    if (!box.firstChild) {
      const table = el("table", "mci-table");
      const head = el("tr");
      for (const h of ["병원 hospital", "이송 계획 planned", "이송 완료 transported", "수용 capacity"]) head.append(el("th", "", h));
      const thead = el("thead"); thead.append(head);
      table.append(thead, el("tbody"));
      box.append(el("h4", "", "다수사상자 분산 이송 Mass-casualty distribution"), el("div", "mci-summary"), table);
    }
    const planned = plan.allocations.reduce((n, a) => n + sum(a.planned), 0);
    const moved = plan.allocations.reduce((n, a) => n + sum(a.transported), 0);
    const summary = box.querySelector(".mci-summary");
    setText(summary, `환자 ${plan.patients_total}명 · ${plan.allocations.length}개 병원 · 계획 ${planned} · 이송 ${moved} · 미배정 unallocated ${plan.unallocated} · v${plan.version}`);
    summary.classList.toggle("unallocated", plan.unallocated > 0);
    const sev = (counts) => SEVERITIES.map((k) => (counts || {})[k] || 0).join("/");
    GT.reconcile(box.querySelector("tbody"), [...plan.allocations].sort((a, b) => (a.drive_s || 0) - (b.drive_s || 0)), {
      key: (a) => a.hospital_id,
      create: (a) => { const tr = el("tr"); tr.dataset.hospital = a.hospital_id; tr.append(el("td"), el("td"), el("td"), el("td")); return tr; },
      update: (tr, a) => {
        const [name, plannedCell, movedCell, cap] = tr.children;
        setText(name, `${a.name || nameOf(a.hospital_id)} · ${mins(a.drive_s)}`);
        setText(plannedCell, `${sum(a.planned)} (${sev(a.planned)})`);
        setText(movedCell, `${sum(a.transported)} (${sev(a.transported)})`);
        setText(cap, a.capacity == null ? "" : String(a.capacity));
        tr.classList.toggle("done", sum(a.planned) > 0 && sum(a.transported) >= sum(a.planned));
      },
    });
  }

  function start(C, schedule) {
    H.C = C;
    C.hospitals = H;
    H.layer = L.layerGroup().addTo(C.map);
    H.routes = L.layerGroup().addTo(C.map);
    load().then(schedule);
    setInterval(() => { load().then(schedule); }, REFRESH_MS);  // stale flags age with time
    setInterval(() => { H.dirty = true; schedule(); }, TICK_MS);  // and the units' ETAs count down
  }

  // The emergency room a unit of this incident takes its patient to (null: none yet).
  function destinationOf(unitId, incidentId) {
    const d = H.dests.get(unitId);
    return d && d.incident_id === incidentId && inForce(d) ? d : null;
  }

  return { start, apply, render, renderMci, isStale, destinationOf, state: H };
})();
