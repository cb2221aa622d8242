"use strict";
// GoldenTime operator console: live map and lists fed by /ws/console, actions over REST.
// Updates are queued and applied once per animation frame; field text only via textContent.
const { el, api, fmtClock, PRIORITY_COLOURS, UNIT_COLOURS } = GT;
const TOKEN = GT.token();
const ACTIVE_INCIDENT = ["open", "dispatched", "on_scene"];
const ACTIVE_ALERT = ["draft", "approved", "sent"];
const LIST_LIMIT = 300;

const state = {
  incidents: new Map(), markers: new Map(), units: new Map(), assignments: new Map(),
  alerts: new Map(), overlays: new Map(), selected: null, fitted: false,
};
const { map, renderer, ready } = GT.baseMap("map");
let baseReady = false;
ready.then(() => { baseReady = true; scheduleRender(); });
const layers = {
  routes: L.layerGroup().addTo(map), units: L.layerGroup().addTo(map),
  incidents: L.layerGroup().addTo(map), alerts: L.layerGroup().addTo(map),
  selection: L.layerGroup().addTo(map),
};
GT.console = { state, map, layers };

// ---- incidents -------------------------------------------------------------------------
function upsertIncident(inc) {
  const old = state.incidents.get(inc.id);
  if (old && (old.version || 1) > (inc.version || 1)) return;
  if (!ACTIVE_INCIDENT.includes(inc.status)) { removeIncident(inc.id); return; }
  state.incidents.set(inc.id, inc);
  const ll = [inc.location.lat, inc.location.lon];
  const style = { radius: 6 + (6 - inc.priority), color: "#000", weight: 1.5,
                  fillColor: PRIORITY_COLOURS[inc.priority] || "#999", fillOpacity: 0.95, renderer };
  let m = state.markers.get(inc.id);
  if (!m) {
    m = L.circleMarker(ll, style).addTo(layers.incidents);
    m.on("click", () => select(inc.id));
    m.bindTooltip("", { direction: "top" });
    state.markers.set(inc.id, m);
  } else { m.setLatLng(ll); m.setStyle(style); }
  m.setTooltipContent(document.createTextNode(`P${inc.priority} ${inc.type} · ${inc.address || inc.id}`));
}

function removeIncident(id) {
  state.incidents.delete(id);
  const m = state.markers.get(id);
  if (m) { layers.incidents.removeLayer(m); state.markers.delete(id); }
  if (state.selected === id) { state.selected = null; layers.selection.clearLayers(); }
}

// ---- units -----------------------------------------------------------------------------
function upsertUnit(u) {
  const old = state.units.get(u.unit_id);
  if (old && old.data.at && u.at && Date.parse(old.data.at) > Date.parse(u.at)) return;
  const colour = UNIT_COLOURS[u.status] || "#9e9e9e";
  const style = { radius: 5, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1, renderer };
  const entry = old || { data: u, marker: null };
  entry.data = u;
  if (u.location) {
    const ll = [u.location.lat, u.location.lon];
    if (!entry.marker) {
      entry.marker = L.circleMarker(ll, style).addTo(layers.units);
      entry.marker.bindTooltip("", { direction: "top" });
    } else { entry.marker.setLatLng(ll); entry.marker.setStyle(style); }
    entry.marker.setTooltipContent(document.createTextNode(`${u.unit_id} · ${u.kind} · ${u.status}`));
  }
  state.units.set(u.unit_id, entry);
}

// ---- assignments and routes ------------------------------------------------------------
function routeLatLngs(route) {
  if (!route || route.type !== "LineString") return null;
  return route.coordinates.map(([lon, lat]) => [lat, lon]);
}

function upsertAssignment(a) {
  const key = `${a.incident_id}|${a.unit_id}`;
  const old = state.assignments.get(key);
  if (old && old.line) layers.routes.removeLayer(old.line);
  if (a.status === "cancelled") { state.assignments.delete(key); return; }
  const lls = routeLatLngs(a.route);
  let line = null;
  if (lls) {
    const assigned = a.status === "assigned";
    line = L.polyline(lls, { renderer, weight: assigned ? 4 : 3, opacity: 0.9,
      color: assigned ? "#4fc3f7" : "#ffd54f", dashArray: assigned ? null : "6 6" }).addTo(layers.routes);
  }
  state.assignments.set(key, { data: a, line });
}

function assignmentsOf(incidentId) {
  return [...state.assignments.values()].map((x) => x.data).filter((a) => a.incident_id === incidentId);
}

// ---- alerts ----------------------------------------------------------------------------
function upsertAlert(a) {
  const old = state.alerts.get(a.id);
  const version = (x) => Math.max(x.version || 1, x.revision || 1);
  if (old && version(old.data) > version(a)) return;
  if (old && old.poly) layers.alerts.removeLayer(old.poly);
  if (!ACTIVE_ALERT.includes(a.status)) { state.alerts.delete(a.id); return; }
  const draft = a.status === "draft";
  const poly = L.geoJSON(a.area, { renderer, interactive: false,
    style: { color: draft ? "#ff9800" : "#66bb6a", weight: 2, dashArray: draft ? "8 4" : null,
             fillOpacity: 0.12 } }).addTo(layers.alerts);
  state.alerts.set(a.id, { data: a, poly });
}

// ---- overlay of the selected incident --------------------------------------------------
function drawSelection() {
  layers.selection.clearLayers();
  const inc = state.incidents.get(state.selected);
  if (!inc) return;
  L.circleMarker([inc.location.lat, inc.location.lon], { renderer, radius: 16, color: "#fff",
    weight: 2, fill: false, interactive: false }).addTo(layers.selection);
  const ov = state.overlays.get(inc.id);
  if (!ov) return;
  L.geoJSON(ov.hazard_zone, { renderer, interactive: false,
    style: { color: "#ff1744", weight: 2, fillColor: "#ff1744", fillOpacity: 0.18 } }).addTo(layers.selection);
  for (const h of ov.hydrants || []) {
    L.circleMarker([h.location.lat, h.location.lon], { renderer, radius: 4, color: "#0d47a1",
      weight: 1, fillColor: "#40c4ff", fillOpacity: 1 })
      .bindTooltip(document.createTextNode(`hydrant ${h.id}`)).addTo(layers.selection);
  }
  for (const c of ov.cameras || []) {
    L.circleMarker([c.location.lat, c.location.lon], { renderer, radius: 4, color: "#4a148c",
      weight: 1, fillColor: "#e040fb", fillOpacity: 1 })
      .bindTooltip(document.createTextNode(`camera ${c.id}`)).addTo(layers.selection);
  }
}

async function select(id) {
  state.selected = id;
  scheduleRender();
  if (!state.overlays.has(id)) {
    try { state.overlays.set(id, await api(`/api/incidents/${encodeURIComponent(id)}/overlay`, { token: TOKEN })); }
    catch (_) { /* no overlay yet; a live frame will bring it */ }
  }
  if (state.selected === id) { drawSelection(); scheduleRender(); }
}

// ---- actions ---------------------------------------------------------------------------
function notice(text) { document.getElementById("notice").textContent = text; }

async function act(path, body) {
  try {
    const res = await api(path, { method: "POST", token: TOKEN, body: body || {} });
    notice(`sent ${res.action || res.status || ""} (${res.id})`);
    return res;
  } catch (err) { notice(`refused: ${err.message}`); return null; }
}

function button(label, cls, onClick) {
  const b = el("button", cls, label);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

// ---- rendering (once per animation frame) ------------------------------------------------
const pending = [];
let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(flush);
}

function flush() {
  renderQueued = false;
  const batch = pending.splice(0, pending.length);
  let selectionChanged = false;
  for (const msg of batch) {
    const d = msg.data;
    if (msg.type === "snapshot") {
      const fresh = new Set((d.incidents || []).map((i) => i.id));
      for (const id of [...state.incidents.keys()]) if (!fresh.has(id)) removeIncident(id);
      for (const u of d.units || []) upsertUnit(u);
      for (const a of d.assignments || []) upsertAssignment(a);
      for (const a of d.alerts || []) upsertAlert(a);
      for (const inc of d.incidents || []) upsertIncident(inc);
    } else if (msg.type === "incident") upsertIncident(d);
    else if (msg.type === "unit") upsertUnit(d);
    else if (msg.type === "assignment") upsertAssignment(d);
    else if (msg.type === "alert") upsertAlert(d);
    else if (msg.type === "overlay") {
      state.overlays.set(d.incident_id, d);
      selectionChanged = selectionChanged || d.incident_id === state.selected;
    }
  }
  if (selectionChanged) drawSelection();
  if (!state.fitted && baseReady && state.incidents.size) {
    const pts = [...state.incidents.values()].map((i) => [i.location.lat, i.location.lon]);
    map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 15 });
    state.fitted = true;
  }
  renderList();
  renderAlerts();
  renderDetail();
  renderCounts();
}

function urgency(a, b) {
  return a.priority - b.priority || Date.parse(a.deadline_at) - Date.parse(b.deadline_at);
}

function renderList() {
  const items = [...state.incidents.values()].sort(urgency);
  const frag = document.createDocumentFragment();
  for (const inc of items.slice(0, LIST_LIMIT)) {
    const li = el("li", `p${inc.priority}` + (state.selected === inc.id ? " selected" : ""));
    li.dataset.id = inc.id;
    const left = (Date.parse(inc.deadline_at) - Date.now()) / 1000;
    const cd = el("span", "countdown" + (left < 0 ? " late" : ""), fmtClock(left));
    cd.dataset.deadline = inc.deadline_at;
    li.append(cd, el("strong", "", `P${inc.priority} ${inc.type}`));
    if (inc.mass_casualty) li.append(el("span", "flag", "다수사상자 MCI"));
    if (inc.unverified) li.append(el("span", "flag", "unverified"));
    if (inc.supervisor_flag) li.append(el("span", "flag", "supervisor"));
    li.append(el("div", "meta",
      `${inc.district || ""} ${inc.address || ""} · ${inc.evidence.length} evidence · ${inc.status}`));
    li.addEventListener("click", () => select(inc.id));
    frag.append(li);
  }
  if (items.length > LIST_LIMIT) frag.append(el("li", "meta", `… and ${items.length - LIST_LIMIT} more on the map`));
  document.getElementById("incidents").replaceChildren(frag);
}

function renderAlerts() {
  const items = [...state.alerts.values()].map((x) => x.data)
    .sort((a, b) => (a.status === "draft" ? 0 : 1) - (b.status === "draft" ? 0 : 1));
  const frag = document.createDocumentFragment();
  for (const a of items) {
    const li = el("li", `status-${a.status}`);
    li.dataset.id = a.id;
    li.append(el("strong", "", `${a.severity} · ${a.status}`), el("div", "", a.headline || ""));
    li.append(el("div", "meta", (a.message && a.message.ko) || ""));
    const districts = (a.districts || []).map((d) => (typeof d === "string" ? d : d.name)).join(", ");
    li.append(el("div", "meta", `${districts} · ${a.incident_id}`));
    const row = el("div", "actions");
    const path = `/api/alerts/${encodeURIComponent(a.id)}`;
    if (a.status === "draft") row.append(button("Approve", "ok approve", () => act(`${path}/approve`)));
    if (a.status === "approved" || a.status === "sent")
      row.append(button("All clear", "ok all-clear", () => act(`${path}/all-clear`)));
    row.append(button("Cancel…", "danger cancel", () => {
      const reason = window.prompt("Reason for cancelling this alert");
      if (reason) act(`${path}/cancel`, { reason });
    }));
    li.append(row);
    frag.append(li);
  }
  if (!items.length) frag.append(el("li", "meta", "no alerts"));
  document.getElementById("alerts").replaceChildren(frag);
}

function unitBadge(unitId) {
  const u = state.units.get(unitId);
  const status = u ? u.data.status : "unknown";
  const badge = el("span", "unit-status", status);
  badge.style.background = UNIT_COLOURS[status] || "#9e9e9e";
  badge.dataset.unit = unitId;
  return badge;
}

function renderDetail() {
  const box = document.getElementById("detail");
  const inc = state.incidents.get(state.selected);
  if (!inc) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  const path = `/api/incidents/${encodeURIComponent(inc.id)}`;
  const assigned = assignmentsOf(inc.id);
  const table = el("table", "assignments");
  const head = el("tr");
  for (const h of ["unit", "order", "status", "ETA", ""]) head.append(el("th", "", h));
  table.append(head);
  for (const a of assigned) {
    const tr = el("tr");
    tr.dataset.unit = a.unit_id;
    const status = el("td"); status.append(unitBadge(a.unit_id));
    const ooo = el("td");
    ooo.append(button("Out of service", "danger", () => {
      const reason = window.prompt(`Reason for taking ${a.unit_id} out of service`) || "";
      act(`/api/units/${encodeURIComponent(a.unit_id)}/out-of-service`, { reason });
    }));
    tr.append(el("td", "", `${a.unit_id} (${a.unit_kind || "?"})`), el("td", "", a.status), status,
      el("td", a.within_golden_time ? "" : "late", fmtClock(a.eta_s)), ooo);
    table.append(tr);
  }
  const actions = el("div", "actions");
  const recommended = assigned.filter((a) => a.status === "recommended").map((a) => a.unit_id);
  const accept = button("Accept recommendation", "ok accept", () => act(`${path}/accept`, { unit_ids: recommended }));
  accept.disabled = !recommended.length;
  actions.append(accept,
    button("Resolve", "resolve", () => act(`${path}/resolve`)),
    button("Close", "danger close", () => act(`${path}/close`)));
  const override = el("div", "actions override");
  const units = el("input"); units.placeholder = "units to send, e.g. E-1,A-2"; units.name = "unit_ids";
  const remove = el("input"); remove.placeholder = "units to recall"; remove.name = "remove_unit_ids";
  const reason = el("input"); reason.placeholder = "reason (required)"; reason.name = "reason";
  const split = (s) => s.value.split(",").map((x) => x.trim()).filter(Boolean);
  override.append(units, remove, reason, button("Override", "override", () =>
    act(`${path}/override`, { unit_ids: split(units), remove_unit_ids: split(remove), reason: reason.value })));
  const cams = el("ul", "cameras");
  for (const c of (state.overlays.get(inc.id) || {}).cameras || []) {
    const li = el("li", "", `${c.id} · ${Math.round(c.distance_m || 0)} m `);
    li.append(button("▶ view", "view", () => openFeed(c.id, inc.id)));
    cams.append(li);
  }
  const ev = el("ol", "evidence");
  const evidence = [...inc.evidence].sort((a, b) => String(a.at || "").localeCompare(String(b.at || "")));
  for (const e of evidence) ev.append(el("li", "", `${e.at || ""} ${e.source} ${e.kind || ""} ${e.id}`));
  box.replaceChildren(
    el("h3", "", `${inc.id} · ${inc.type} · P${inc.priority}`),
    el("div", "", `${inc.address || ""} ${inc.district || ""}`),
    el("div", "meta", `confidence ${inc.confidence} · patients ${inc.patients || 0} · golden time ${Math.round(inc.golden_time_s / 60)} min · v${inc.version || 1}`),
    el("div", "description", inc.description || ""),
    actions, el("h4", "", "Units"), table, override,
    el("h4", "", "Cameras at the scene"), cams,
    el("h4", "", "Evidence timeline"), ev);
}

// ---- live camera feed (video relay; every viewing is audited with its incident) --------
let feed = null;
async function openFeed(cameraId, incidentId) {
  closeFeed();
  const city = await api("/api/city", { token: TOKEN });
  const panel = el("div", "feed");
  const status = el("div", "feed-status", `connecting to ${cameraId}…`);
  const img = document.createElement("img");
  img.alt = `camera ${cameraId}`;
  panel.append(button("✕", "close-feed", closeFeed), status, img);
  document.body.append(panel);
  if (!city.video_port) { status.textContent = "no video relay configured"; feed = { panel }; return; }
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const q = new URLSearchParams({ token: TOKEN, incident_id: incidentId,
                                  reason: `incident ${incidentId}` });
  const ws = new WebSocket(`${proto}://${location.hostname}:${city.video_port}` +
                           `/ws/video/${encodeURIComponent(cameraId)}?${q}`);
  ws.binaryType = "blob";
  ws.onmessage = (e) => {
    if (typeof e.data === "string") return;  // control messages
    const url = URL.createObjectURL(e.data);
    img.onload = () => URL.revokeObjectURL(url);
    img.src = url;
    status.textContent = `${cameraId} · live`;
  };
  ws.onclose = (e) => { status.textContent = `${cameraId}: closed (${e.code} ${e.reason || ""})`; };
  feed = { panel, ws };
}

function closeFeed() {
  if (!feed) return;
  if (feed.ws) feed.ws.close();
  feed.panel.remove();
  feed = null;
}

function renderCounts() {
  document.getElementById("counts").textContent =
    `${state.incidents.size} open · ${[...state.alerts.values()].filter((a) => a.data.status === "draft").length} alerts to approve`;
  const byStatus = {};
  for (const u of state.units.values()) byStatus[u.data.status] = (byStatus[u.data.status] || 0) + 1;
  document.getElementById("unit-counts").textContent =
    `units: ${Object.entries(byStatus).map(([k, v]) => `${v} ${k}`).join(" · ") || "none reported"}`;
}

function tickCountdowns() {
  const now = Date.now();
  for (const cd of document.querySelectorAll("#incidents .countdown")) {
    const s = (Date.parse(cd.dataset.deadline) - now) / 1000;
    cd.textContent = fmtClock(s);
    cd.classList.toggle("late", s < 0);
  }
}
setInterval(tickCountdowns, 1000);

GT.socket("/ws/console", TOKEN, (msg) => {
  if (msg.type === "batch") pending.push(...msg.data); else pending.push(msg);
  scheduleRender();
}, (st, reason) => {
  const conn = document.getElementById("conn");
  conn.textContent = st === "live" ? "live" : st === "refused" ? `refused (${reason})` : "reconnecting…";
  conn.className = "conn " + (st === "live" ? "up" : "down");
}, { batch: "1" });
