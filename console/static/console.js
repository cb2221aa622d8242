"use strict";
// GoldenTime operator console: a live map and list of incidents fed by /ws/console.
// Free text from the field is always inserted with textContent, never as HTML.
const PRIORITY_COLOURS = {1: "#e53935", 2: "#fb8c00", 3: "#fdd835", 4: "#43a047", 5: "#1e88e5"};
const state = { incidents: new Map(), markers: new Map(), selected: null, fitted: false };

function token() {
  const q = new URLSearchParams(location.search).get("token");
  if (q) { sessionStorage.setItem("gt-token", q); history.replaceState(null, "", location.pathname); }
  return q || sessionStorage.getItem("gt-token") || "";
}

const map = L.map("map", { preferCanvas: true, zoomControl: true, attributionControl: true })
  .setView([37.5665, 126.978], 12);
map.attributionControl.addAttribution("Roads © OpenStreetMap contributors / ITS 국가교통정보센터");
const renderer = L.canvas({ padding: 0.5 });

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function upsertIncident(inc) {
  const old = state.incidents.get(inc.id);
  if (old && (old.version || 1) > (inc.version || 1)) return;
  const active = ["open", "dispatched", "on_scene"].includes(inc.status);
  if (!active) { removeIncident(inc.id); return; }
  state.incidents.set(inc.id, inc);
  const ll = [inc.location.lat, inc.location.lon];
  let m = state.markers.get(inc.id);
  const style = { radius: 7 + (6 - inc.priority), color: "#000", weight: 1,
                  fillColor: PRIORITY_COLOURS[inc.priority] || "#999", fillOpacity: 0.9, renderer };
  if (!m) {
    m = L.circleMarker(ll, style).addTo(map);
    m.on("click", () => select(inc.id));
    state.markers.set(inc.id, m);
  } else { m.setLatLng(ll); m.setStyle(style); }
  m.bindTooltip(`${inc.type} · P${inc.priority}`);
  if (!state.fitted) { map.setView(ll, 13); state.fitted = true; }
}

function removeIncident(id) {
  state.incidents.delete(id);
  const m = state.markers.get(id);
  if (m) { map.removeLayer(m); state.markers.delete(id); }
}

function remaining(inc) { return (Date.parse(inc.deadline_at) - Date.now()) / 1000; }
function fmt(s) {
  const neg = s < 0; s = Math.abs(Math.round(s));
  return (neg ? "-" : "") + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderList(); });
}

function renderList() {
  const list = document.getElementById("incidents");
  const items = [...state.incidents.values()].sort(
    (a, b) => a.priority - b.priority || Date.parse(a.deadline_at) - Date.parse(b.deadline_at));
  const frag = document.createDocumentFragment();
  for (const inc of items.slice(0, 300)) {
    const li = el("li", `p${inc.priority}` + (state.selected === inc.id ? " selected" : ""));
    li.dataset.id = inc.id;
    const cd = el("span", "countdown", fmt(remaining(inc)));
    cd.dataset.deadline = inc.deadline_at;
    li.append(cd, el("strong", "", `P${inc.priority} ${inc.type}`));
    if (inc.mass_casualty) li.append(el("span", "flag", "다수사상자 MCI"));
    if (inc.unverified) li.append(el("span", "flag", "unverified"));
    li.append(el("div", "meta",
      `${inc.district || ""} ${inc.address || ""} · ${inc.evidence.length} evidence · ${inc.status}`));
    li.addEventListener("click", () => select(inc.id));
    frag.append(li);
  }
  list.replaceChildren(frag);
  document.getElementById("counts").textContent = `${state.incidents.size} open`;
  renderDetail();
}

function tickCountdowns() {
  for (const cd of document.querySelectorAll(".countdown")) {
    const s = (Date.parse(cd.dataset.deadline) - Date.now()) / 1000;
    cd.textContent = fmt(s);
    cd.classList.toggle("late", s < 0);
  }
}
setInterval(tickCountdowns, 1000);

function select(id) { state.selected = id; scheduleRender(); }

function renderDetail() {
  const box = document.getElementById("detail");
  const inc = state.incidents.get(state.selected);
  if (!inc) { box.hidden = true; return; }
  box.hidden = false;
  const ev = el("ol", "evidence");
  for (const e of inc.evidence) ev.append(el("li", "", `${e.at || ""} ${e.source} ${e.kind || ""} ${e.id}`));
  box.replaceChildren(
    el("h3", "", `${inc.id} · ${inc.type} · P${inc.priority}`),
    el("div", "", `confidence ${inc.confidence} · patients ${inc.patients || 0} · golden time ${inc.golden_time_s / 60} min`),
    el("div", "", inc.description || ""),
    el("h4", "", "Evidence timeline"), ev);
}

function handle(msg) {
  if (msg.type === "snapshot") {
    for (const inc of msg.data.incidents || []) upsertIncident(inc);
  } else if (msg.type === "incident") {
    upsertIncident(msg.data);
  }
  scheduleRender();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/console?token=${encodeURIComponent(token())}`);
  const conn = document.getElementById("conn");
  ws.onopen = () => { conn.textContent = "live"; conn.className = "conn up"; };
  ws.onmessage = (e) => handle(JSON.parse(e.data));
  ws.onclose = (e) => {
    conn.textContent = e.code === 4401 || e.code === 4403 ? `refused (${e.reason})` : "reconnecting…";
    conn.className = "conn down";
    if (e.code !== 4401 && e.code !== 4403) setTimeout(connect, 1000);
  };
}
connect();
