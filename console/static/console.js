"use strict";
// GoldenTime operator console: live map and lists fed by /ws/console, actions over REST.
// Frames are queued and applied once per animation frame; every panel is patched by key
// (console-queue, console-detail, console-alerts), never rebuilt. Field text only via textContent.
const { el, label, setText, PRIORITY_COLOURS, UNIT_COLOURS } = GT;
const SHOWN_INCIDENT = ["open", "dispatched", "on_scene", "resolved"];
const ACTIVE_ALERT = ["draft", "approved", "sent"];

const state = {
  incidents: new Map(), markers: new Map(), units: new Map(), assignments: new Map(),
  byIncident: new Map(), alerts: new Map(), overlays: new Map(), selected: null, fitted: false,
};
// The map fits the city, then every incident, once the base map is in: never after the
// dispatcher has chosen a place (opened an incident, dragged the map) while it was loading.
const { map, renderer, ready } = GT.baseMap("map", { keepView: () => state.fitted });
map.on("dragstart", () => { state.fitted = true; });
let baseReady = false;
ready.then(() => { baseReady = true; C.baseMapped = true; scheduleRender(); });
const layers = {
  routes: L.layerGroup().addTo(map), units: L.layerGroup().addTo(map),
  incidents: L.layerGroup().addTo(map), alerts: L.layerGroup().addTo(map),
  selection: L.layerGroup().addTo(map),
};
const C = GT.console = {
  state, map, layers, role: "", subject: "",  // who is signed in: GT.me() below
  filter: { group: "", district: "", type: "", priority: "" },
  renderMs: [], frameMs: [], renderMode: "keyed", rows: [], selections: 0, places: new Map(),
  roster: 0,  // counts incidents coming and going (a change to the set, not to one incident)
  assignmentsOf, select, renderer, scheduleRender,
  mergedInto: new Map(),  // incident id -> the incident a dispatcher merged it into
  committed: new Map(),  // unit id -> {incidentId, at}: the unit's latest assigned order
  refusals: new Map(),  // command id -> why the worker refused it (its dead letter), newest last
  baseMapped: false,  // the city's outline and roads are on the map
};
const REFUSALS_KEPT = 200;

// ---- incidents -------------------------------------------------------------------------
function upsertIncident(inc) {
  const old = state.incidents.get(inc.id);
  if (old && (old.version || 1) > (inc.version || 1)) return;
  if (!old || (old.version || 1) !== (inc.version || 1) || old.status !== inc.status) GT.conn.noteChange(inc);
  if (inc.merged_into) C.mergedInto.set(inc.id, inc.merged_into);
  if (!SHOWN_INCIDENT.includes(inc.status)) {
    const into = state.selected === inc.id && inc.merged_into;
    removeIncident(inc.id);
    if (into && state.incidents.has(into)) Promise.resolve().then(() => select(into));  // follow the merge
    return;
  }
  if (C.places.has(inc.id)) inc.place = C.places.get(inc.id);
  state.incidents.set(inc.id, inc);
  GT.queue.touch(inc.id);
  if (!old) C.roster += 1;
  if (!old || old.district !== inc.district || old.type !== inc.type) filtersDirty = true;
  const ll = [inc.location.lat, inc.location.lon];
  const done = inc.status === "resolved";
  const style = { radius: 6 + (6 - inc.priority), color: "#000", weight: 1.5,
                  fillColor: PRIORITY_COLOURS[inc.priority] || "#999", fillOpacity: done ? 0.35 : 0.95, renderer };
  let m = state.markers.get(inc.id);
  if (!m) {
    m = L.circleMarker(ll, style).addTo(layers.incidents);
    m.on("click", () => select(inc.id));
    m.bindTooltip("", { direction: "top" });
    state.markers.set(inc.id, m);
  } else if (!old || old.location.lat !== inc.location.lat || old.location.lon !== inc.location.lon
             || old.priority !== inc.priority || old.status !== inc.status) {
    m.setLatLng(ll); m.setStyle(style);
  }
  m.setTooltipContent(document.createTextNode(`P${inc.priority} ${label("type", inc.type)} · ${inc.place || inc.address || inc.id}`));
  if (!old || old.location.lat !== inc.location.lat || old.location.lon !== inc.location.lon
      || old.priority !== inc.priority) GT.clusters.schedule();
}

function removeIncident(id) {
  if (state.incidents.delete(id)) C.roster += 1;
  placeAsked.delete(id);
  GT.queue.touch(id);
  filtersDirty = true;
  const m = state.markers.get(id);
  if (m) { layers.incidents.removeLayer(m); state.markers.delete(id); GT.clusters.schedule(); }
  if (state.selected === id) { state.selected = null; layers.selection.clearLayers(); }
  // its orders' routes go with it (an order still "assigned" when its incident ended while
  // this console was away would otherwise stay drawn)
  for (const [key, entry] of state.assignments) {
    if (entry.data.incident_id !== id) continue;
    if (entry.line) layers.routes.removeLayer(entry.line);
    state.assignments.delete(key);
  }
}

// Readable places ("마포구 합정동 양화로 부근") from the server, most urgent incidents first.
let placesInFlight = false;
const placeAsked = new Set();
async function requestPlaces() {
  if (placesInFlight || placeAsked.size >= state.incidents.size) return;
  const points = [];
  for (const row of C.rows) {
    if (points.length >= 300) break;
    const inc = row.inc;
    if (placeAsked.has(inc.id)) continue;
    placeAsked.add(inc.id);
    points.push({ id: inc.id, lon: inc.location.lon, lat: inc.location.lat });
  }
  if (!points.length) return;
  placesInFlight = true;
  try {
    const named = await GT.api("/api/places", { method: "POST", body: { points } });
    for (const [id, name] of Object.entries(named)) {
      if (!name) continue;
      C.places.set(id, name);
      const inc = state.incidents.get(id);
      if (inc) inc.place = name;
    }
  } catch (_) {
    for (const p of points) placeAsked.delete(p.id);  // asked again on a later render
  } finally { placesInFlight = false; }
  scheduleRender();
}

// ---- units -----------------------------------------------------------------------------
function upsertUnit(u) {
  const old = state.units.get(u.unit_id);
  if (old && old.data.at && u.at && Date.parse(old.data.at) > Date.parse(u.at)) return;
  const colour = UNIT_COLOURS[u.status] || "#9e9e9e";
  const style = { radius: 5, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1, renderer };
  const entry = old || { data: u, marker: null, since: 0 };
  // since when it is in its status: as the server kept it (snapshot), else its first report of it
  if (u.status_since) entry.since = Date.parse(u.status_since);
  else if (!old || old.data.status !== u.status) entry.since = Date.parse(u.at) || Date.now();
  entry.data = u;
  if (u.location) {
    const ll = [u.location.lat, u.location.lon];
    if (!entry.marker) {
      entry.marker = new GT.SquareMarker(ll, style).addTo(layers.units);
      entry.marker.bindTooltip("", { direction: "top" });
    } else { entry.marker.setLatLng(ll); entry.marker.setStyle(style); }
    entry.marker.setTooltipContent(document.createTextNode(`${u.unit_id} · ${label("unitKind", u.kind)} · ${label("unitStatus", u.status)}`));
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
  const orders = state.byIncident.get(a.incident_id) || new Map();
  state.byIncident.set(a.incident_id, orders);
  orders.set(a.unit_id, a);
  GT.queue.touch(a.incident_id);
  const committed = C.committed.get(a.unit_id);
  if (a.status === "assigned") C.committed.set(a.unit_id, { incidentId: a.incident_id, at: Date.parse(a.issued_at) || 0 });
  else if (a.status === "cancelled" && committed && committed.incidentId === a.incident_id) C.committed.delete(a.unit_id);
  if (a.status === "cancelled") { state.assignments.set(key, { data: a, line: null }); return; }
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
  const orders = state.byIncident.get(incidentId);
  return orders ? [...orders.values()] : [];
}

function assignedCount(incidentId) {
  const orders = state.byIncident.get(incidentId);
  if (!orders) return 0;
  let n = 0;
  for (const a of orders.values()) if (a.status === "assigned") n += 1;
  return n;
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

// Select an incident (null clears): detail panel in view, map centred on the scene.
async function select(id) {
  if (state.selected === id) { revealDetail(); return; }
  state.selected = id;
  C.selections += 1;
  render();
  drawSelection();
  const inc = state.incidents.get(id);
  if (!inc) return;
  revealDetail();
  state.fitted = true;  // the view is the dispatcher's now: no first fit moves it away
  map.panTo([inc.location.lat, inc.location.lon], { animate: false });
  if (!state.overlays.has(id)) {
    try { state.overlays.set(id, await GT.api(`/api/incidents/${encodeURIComponent(id)}/overlay`)); }
    catch (_) { /* no overlay yet; a live frame will bring it */ }
    if (state.selected === id) { drawSelection(); scheduleRender(); }
  }
}

function revealDetail() {
  const box = document.getElementById("detail");
  if (!box.hidden) box.scrollIntoView({ block: "nearest" });
}

// ---- rendering (once per animation frame) ------------------------------------------------
const pending = [];
let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(flush);
}

function apply(batch) {
  let selectionChanged = false;
  for (const msg of batch) {
    const d = msg.data;
    if (msg.type === "snapshot") {
      const fresh = new Set((d.incidents || []).map((i) => i.id));
      for (const [id, inc] of [...state.incidents]) if (!fresh.has(id)) { GT.conn.noteChange(inc); removeIncident(id); }
      for (const u of d.units || []) upsertUnit(u);
      for (const a of d.assignments || []) upsertAssignment(a);
      for (const a of d.alerts || []) upsertAlert(a);
      for (const inc of d.incidents || []) upsertIncident(inc);
      for (const s of d.structures || []) GT.structures.apply(s);
      GT.hospitals.apply(msg);
    } else if (["er-status", "destination", "mci-plan"].includes(msg.type)) GT.hospitals.apply(msg);
    else if (msg.type === "incident") upsertIncident(d);
    else if (msg.type === "unit") upsertUnit(d);
    else if (msg.type === "assignment") upsertAssignment(d);
    else if (msg.type === "alert") upsertAlert(d);
    else if (msg.type === "structure") GT.structures.apply(d);
    else if (msg.type === "deadletter") {
      if (d.event_id) C.refusals.set(d.event_id, d.error);
      if (C.refusals.size > REFUSALS_KEPT) C.refusals.delete(C.refusals.keys().next().value);
    } else if (msg.type === "overlay") {
      state.overlays.set(d.incident_id, d);
      selectionChanged = selectionChanged || d.incident_id === state.selected;
    }
  }
  if (selectionChanged) drawSelection();
}

function flush() {
  renderQueued = false;
  const batch = pending.splice(0, pending.length);
  const t0 = performance.now();
  apply(batch);
  if (!state.fitted && baseReady && state.incidents.size) {
    const pts = [...state.incidents.values()].map((i) => [i.location.lat, i.location.lon]);
    map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 15 });
    state.fitted = true;
  }
  render();
  if (!batch.length) return;  // a re-render (selection, filter, places): not an update
  // The cost of an update includes the style and layout it causes: read layout here so that
  // work is done (once, as the frame would do it anyway) inside the measured time.
  void listEl.offsetHeight;
  const ms = performance.now() - t0;
  keep(C.renderMs, ms);
  // The whole frame, up to paint and commit: a message posted now runs after the frame's
  // rendering steps (and after any task queued before it, so this is an upper bound).
  const after = new MessageChannel();
  after.port1.onmessage = () => { keep(C.frameMs, performance.now() - t0); after.port1.close(); };
  after.port2.postMessage(null);
}

function keep(list, ms) {
  list.push(ms);
  if (list.length > 20000) list.splice(0, 10000);
}

// The queue is re-ordered only when an incident or assignment changed since the last render,
// the filters' choices only when an incident came, went or changed district or type.
let filtersDirty = true;
function render() {
  if (GT.queue.changed()) C.rows = GT.queue.ordered(state.incidents, assignedCount);
  if (filtersDirty) { GT.filters.refresh(C); filtersDirty = false; }
  const holding = hold.over && Date.now() - hold.movedAt < HOLD_MS && hold.keys !== null;
  const list = GT.queue.render(document.getElementById("incidents"), C.rows, C.filter, state.selected,
                               C.renderMode === "rebuild", holding ? hold.keys : null);
  hold.keys = list.keys;
  setText(document.getElementById("more"), holding
    ? `order held while pointing${list.waiting ? ` — ${list.waiting} more to place` : ""}`
    : list.hidden ? `… and ${list.hidden} more (narrow the filter or see the map)` : "");
  GT.detail.render(C);
  GT.alertPanels.render(C);
  GT.structures.render();
  GT.hospitals.render(C);
  renderCounts(list.counts);
  GT.actions.check();
  requestPlaces();
}

function renderCounts(counts) {
  const drafts = [...state.alerts.values()].filter((a) => a.data.status === "draft").length;
  setText(document.getElementById("counts"),
    `${counts.pending} awaiting dispatch · ${counts.active} active · ${drafts} alerts to approve`);
  const byStatus = {};
  for (const u of state.units.values()) byStatus[u.data.status] = (byStatus[u.data.status] || 0) + 1;
  setText(document.getElementById("unit-counts"),
    `units: ${Object.entries(byStatus).map(([k, v]) => `${v} ${label("unitStatus", k)}`).join(" · ") || "none reported"}`);
}

// ---- the list's order is held while the pointer is over it (rows never move under a click);
// content still updates. It is released when the pointer leaves or rests for HOLD_MS.
const HOLD_MS = 4000;
const hold = { over: false, movedAt: 0, keys: null };

// ---- list input: a row is chosen on pointer-down (a row that moves under a click still counts),
// and with Enter/Space when focused; arrow keys move between rows.
const listEl = document.getElementById("incidents");
listEl.addEventListener("pointerdown", (e) => {
  if (e.button !== 0) return;
  const li = e.target.closest("li.incident");
  if (li) select(li.dataset.id);
});
listEl.addEventListener("pointermove", () => { hold.over = true; hold.movedAt = Date.now(); });
listEl.addEventListener("pointerleave", () => { hold.over = false; scheduleRender(); });
setInterval(() => { if (hold.over && Date.now() - hold.movedAt >= HOLD_MS) { hold.over = false; scheduleRender(); } }, 500);
listEl.addEventListener("keydown", (e) => {
  const li = e.target.closest("li.incident");
  if (!li) return;
  if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(li.dataset.id); }
  else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    let next = e.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling;
    while (next && !next.classList.contains("incident"))
      next = e.key === "ArrowDown" ? next.nextElementSibling : next.previousElementSibling;
    if (next) next.focus();
  }
});

setInterval(() => {
  GT.queue.tickCountdowns(listEl);
  GT.alertPanels.tick();
}, 1000);

// ---- the simulated city's clock (scenario time, speed, scenario), when a simulator runs
const scenarioEl = document.getElementById("scenario");
async function showScenarioClock() {
  let s = { running: false };
  try { s = await GT.api("/api/scenario"); } catch (_) { /* shown again next time */ }
  scenarioEl.hidden = !s.running;
  if (!s.running) return;
  const t = new Date(s.clock).toLocaleTimeString("ko-KR", { timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit", hour12: false });
  const what = s.scenario ? ` · ${s.scenario}` : "";
  setText(scenarioEl, `시뮬레이션 simulated ${t} KST ×${s.speed}${what}`);
}
showScenarioClock();
setInterval(showScenarioClock, 5000);

C.onSettled = scheduleRender;  // a settled action shows in the panel that sent it
GT.actions.start(C);
GT.destinationChooser.start(C);
GT.structures.start(C);
GT.hospitals.start(C, scheduleRender);
GT.filters.start(C, scheduleRender);
GT.me().then((who) => { C.role = who.role; C.subject = who.subject; scheduleRender(); },
              (err) => console.warn("who is signed in: unknown", err));
document.getElementById("sign-out").addEventListener("click", () => GT.signOut());
const link = GT.socket("/ws/console", (msg) => {
  if (msg.type === "ping") return;
  if (msg.type === "batch") pending.push(...msg.data); else pending.push(msg);
  scheduleRender();
}, (st, reason) => GT.conn.onState(st, reason), { batch: "1", heartbeat: "1" });
C.link = link;
GT.conn.start(link);
GT.alarms.start(C);
GT.clusters.start(C);
GT.keys.start(C);
const langButton = document.getElementById("lang");
langButton.textContent = GT.lang === "en" ? "한국어" : "EN";
langButton.addEventListener("click", () => GT.setLang(GT.lang === "en" ? "ko" : "en"));
