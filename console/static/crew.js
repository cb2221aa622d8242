"use strict";
// GoldenTime crew view: only this unit's current order, its route, hazard zone and hydrants.
const { el, api, fmtClock } = GT;
const { map, renderer, ready } = GT.baseMap("map", { keepView: true });
const drawn = L.layerGroup().addTo(map);
const crew = { view: null, unit: null, map, drawn };
GT.crew = crew;

function draw(view) {
  drawn.clearLayers();
  const inc = view.incident;
  const a = view.assignment;
  document.getElementById("no-order").hidden = Boolean(inc && a);
  document.getElementById("assignment").hidden = !(inc && a);
  const u = view.unit;
  for (const b of document.querySelectorAll("#status-buttons button"))
    b.classList.toggle("current", Boolean(u && u.status === b.dataset.status));
  const bounds = [];
  if (u && u.location) {
    const ll = [u.location.lat, u.location.lon];
    new GT.SquareMarker(ll, { renderer, radius: 8, color: "#fff", weight: 2, fillColor: GT.UNIT_COLOURS[u.status] || "#999", fillOpacity: 1 })
      .bindTooltip(document.createTextNode(u.unit_id)).addTo(drawn);
    bounds.push(ll);
  }
  const list = document.getElementById("hydrants");
  list.replaceChildren();
  GT.destination.show(inc && a ? view.destination : null, { status: u && u.status, since: view.status_since });
  GT.patient.show(Boolean(inc && a), Boolean(view.destination));
  if (!inc || !a) { if (bounds.length) map.setView(bounds[0], 15); return; }
  // a new route because a structure on the old one closed: say which, so the crew trusts it
  const reroute = document.getElementById("reroute");
  const because = a.rerouted_because && (view.reroute || { structure_id: a.rerouted_because });
  reroute.hidden = !because;
  if (because) {
    const what = `${because.name || because.structure_id}${because.kind ? ` (${GT.label("structureKind", because.kind)})` : ""}`;
    reroute.textContent = `경로 변경 — ${what} 통제로 새 경로 안내 / Rerouted: ${what} is closed`;
  }
  document.getElementById("type").textContent = `P${inc.priority} ${GT.label("type", inc.type)}`;
  document.getElementById("address").textContent = inc.address || view.place || inc.district || "위치 확인 중 locating…";
  const eta = document.getElementById("eta");
  // median to 90th percentile ("3–5 min") when the assignment carries its spread
  const lo = Math.floor((a.eta_p50_s ?? a.eta_s) / 60);
  const when = a.eta_p90_s == null ? fmtClock(a.eta_s)
    : `${lo}–${Math.max(lo + 1, Math.ceil(a.eta_p90_s / 60))} min`;
  eta.textContent = `ETA ${when} · ${(a.distance_m / 1000).toFixed(1)} km` +
    (a.within_golden_time ? "" : " · 골든타임 초과 beyond golden time");
  eta.classList.toggle("late", !a.within_golden_time);
  document.getElementById("description").textContent = inc.description || "";
  if (view.hazard_zone) {
    const hz = L.geoJSON(view.hazard_zone, { renderer, interactive: false,
      style: { color: "#ff1744", weight: 2, fillColor: "#ff1744", fillOpacity: 0.2 } }).addTo(drawn);
    const b = hz.getBounds(); if (b.isValid()) { bounds.push(b.getSouthWest(), b.getNorthEast()); }
  }
  if (a.route && a.route.type === "LineString") {
    const lls = a.route.coordinates.map(([lon, lat]) => [lat, lon]);
    L.polyline(lls, { renderer, color: "#4fc3f7", weight: 6, opacity: 0.95 }).addTo(drawn);
    bounds.push(...lls);
  }
  const scene = [inc.location.lat, inc.location.lon];
  L.circleMarker(scene, { renderer, radius: 10, color: "#000", weight: 2,
    fillColor: GT.PRIORITY_COLOURS[inc.priority] || "#e53935", fillOpacity: 1 }).addTo(drawn);
  bounds.push(scene);
  bounds.push(...GT.destination.draw(drawn, renderer));
  for (const h of view.hydrants || []) {
    L.circleMarker([h.location.lat, h.location.lon], { renderer, radius: 5, color: "#0d47a1", weight: 1,
      fillColor: "#40c4ff", fillOpacity: 1 }).bindTooltip(document.createTextNode(h.id)).addTo(drawn);
    list.append(el("li", "", `${h.id} · ${Math.round(h.distance_m)} m`));
  }
  map.fitBounds(L.latLngBounds(bounds), { padding: [30, 30], maxZoom: 17 });
}

async function refresh() {
  try {
    crew.view = await api(`/api/crew/${encodeURIComponent(crew.unit)}`);
    await ready;
    draw(crew.view);
  } catch (err) { document.getElementById("notice").textContent = err.message; }
}

// Report the unit's status; extra fields ride along (a patient, with its contact's place).
async function report(status, extra) {
  const u = crew.view && crew.view.unit;
  if (!u) { document.getElementById("notice").textContent = "unit state unknown; cannot report"; return false; }
  const body = { unit_id: crew.unit, at: new Date().toISOString(), kind: u.kind, status };
  if (u.station_id) body.station_id = u.station_id;
  if (u.location) body.location = u.location;
  const a = crew.view.assignment;
  if (a && status !== "available") body.incident_id = a.incident_id;
  Object.assign(body, extra || {});
  try {
    await api("/api/unit-status", { method: "POST", body });
    document.getElementById("notice").textContent = `reported ${status}`;
    return true;
  } catch (err) { document.getElementById("notice").textContent = `refused: ${err.message}`; return false; }
}
crew.report = report;

async function start() {
  const who = await GT.me();  // the unit comes from the server, never from a token here
  crew.unit = who.unit_id;
  if (!crew.unit) { document.getElementById("signin").hidden = false; return; }
  document.getElementById("unit").textContent = crew.unit;
  GT.destination.start(crew.unit, (text) => { document.getElementById("notice").textContent = text; });
  GT.patient.start(crew);
  for (const b of document.querySelectorAll("#status-buttons button"))
    b.addEventListener("click", () => report(b.dataset.status));
  let timer = null;
  GT.socket(`/ws/crew/${encodeURIComponent(crew.unit)}`, (msg) => {
    if (msg.type === "deadletter") { GT.destination.refused(msg.data); return; }  // our choice refused
    if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 50);
  }, (st, reason) => {
    const conn = document.getElementById("conn");
    conn.textContent = st === "live" ? "live" : st === "refused" ? `refused (${reason})` : "reconnecting…";
    conn.className = "conn " + (st === "live" ? "up" : "down");
  });
}

document.getElementById("sign-out").addEventListener("click", () => GT.signOut());
start().catch((err) => { document.getElementById("notice").textContent = err.message; });
