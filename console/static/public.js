"use strict";
// GoldenTime public alerts: what is in force now, ko + en (the server never sends drafts),
// and the bridges, tunnels and underpasses closed now.
// Each record says what to do with it (public_action): "show" an alert in force; "replace" it
// with its all-clear or cancellation (same id) until it expires; "drop" one withdrawn before it
// went out. A (re)connect's snapshot is the whole truth: whatever ended while away goes.
const { el } = GT;
const { map, renderer } = GT.baseMap("map", { theme: "light" });
const areas = L.layerGroup().addTo(map);
const alerts = new Map();
const closures = new Map();  // structure id -> what the public sees of a closed structure
const closedMarks = L.layerGroup().addTo(map);
GT.public = { alerts, closures, map, areas };
const STATUS_TEXT = { approved: "발령 / Issued", sent: "발령 / Issued", cancelled: "취소 / Cancelled",
                      all_clear: "해제 / All clear" };
const version = (a) => Math.max(a.version || 1, a.revision || 1);
const inForce = (a, now) => a.public_action !== "replace" || !a.expires_at || Date.parse(a.expires_at) > now;

function apply(a) {
  const old = alerts.get(a.id);
  if (old && version(old) > version(a)) return;
  if (a.public_action === "drop") alerts.delete(a.id);
  else alerts.set(a.id, a);
}

// A closed structure stays shown with the time it was first seen closed; anything else about
// it (reopened, only watched) removes it.
function applyClosure(c) {
  if (c.state !== "closed") { closures.delete(c.structure_id); return; }
  const old = closures.get(c.structure_id);
  closures.set(c.structure_id, old ? { ...c, since: old.since || c.since } : c);
}

function renderClosures() {
  closedMarks.clearLayers();
  const items = [...closures.values()].sort((a, b) => String(b.since).localeCompare(String(a.since)));
  const frag = document.createDocumentFragment();
  for (const c of items) {
    const li = el("li", `closure kind-${c.kind}`);
    li.dataset.id = c.structure_id;
    const kind = GT.LABELS.structureKind[c.kind] || c.kind;
    li.append(el("div", "name", `${c.name} 통제 — 우회하십시오`));
    const since = c.since ? new Date(c.since).toLocaleString("ko-KR", { timeZone: "Asia/Seoul", hour12: false }) : "";
    li.append(el("div", "meta", `${kind} ${c.kind} · ${c.gu || ""} · ${since} 부터 since`));
    frag.append(li);
    if (c.location) {
      L.circleMarker([c.location.lat, c.location.lon], { renderer, radius: 8, color: "#fff", weight: 2,
        fillColor: "#c62828", fillOpacity: 1 }).bindTooltip(document.createTextNode(`${c.name} 통제 closed`)).addTo(closedMarks);
    }
  }
  document.getElementById("closures").replaceChildren(frag);
  document.getElementById("no-closures").hidden = items.length > 0;
}

function render() {
  renderClosures();
  areas.clearLayers();
  const now = Date.now();
  for (const [id, a] of alerts) if (!inForce(a, now)) alerts.delete(id);
  const items = [...alerts.values()].sort((a, b) => String(b.issued_at).localeCompare(String(a.issued_at)));
  const frag = document.createDocumentFragment();
  const bounds = [];
  for (const a of items) {
    const withdrawn = a.public_action === "replace" || a.status === "cancelled" || a.status === "all_clear";
    const li = el("li", `sev-${a.severity} status-${a.status}${withdrawn ? " withdrawn" : ""}`);
    li.dataset.id = a.id;
    if (withdrawn) li.append(el("div", "replaced", a.status === "all_clear"
      ? "상황 해제 — 이 경보는 해제되었습니다 / All clear: this alert has ended"
      : "경보 취소 — 이 경보는 취소되었습니다 / Cancelled: disregard this alert"));
    li.append(el("div", "headline", a.headline || ""));
    li.append(el("div", "ko", (a.message && a.message.ko) || ""));
    if (a.message && a.message.en) li.append(el("div", "en", a.message.en));
    li.append(el("div", "meta", `${STATUS_TEXT[a.status] || a.status} · ${a.severity} · ${(a.districts || []).join(", ")} · ${a.issued_at}`));
    frag.append(li);
    const layer = L.geoJSON(a.area, { renderer, interactive: false,
      style: { color: withdrawn ? "#2e7d32" : "#d84315", weight: 2, fillOpacity: withdrawn ? 0.05 : 0.25 } })
      .addTo(areas);
    const b = layer.getBounds(); if (b.isValid()) bounds.push(b);
  }
  document.getElementById("alerts").replaceChildren(frag);
  document.getElementById("none").hidden = items.length > 0;
  if (bounds.length) map.fitBounds(bounds.reduce((acc, b) => acc.extend(b), L.latLngBounds(bounds[0].getSouthWest(), bounds[0].getNorthEast())), { padding: [40, 40], maxZoom: 15 });
}

GT.socket("/ws/public", (msg) => {
  if (msg.type === "snapshot") {
    alerts.clear();
    for (const a of msg.data.alerts || []) apply(a);
    closures.clear();
    for (const c of msg.data.closures || []) applyClosure(c);
  } else if (msg.type === "alert") apply(msg.data);
  else if (msg.type === "closure") applyClosure(msg.data);
  requestAnimationFrame(render);
}, (st) => {
  const conn = document.getElementById("conn");
  conn.textContent = st === "live" ? "live" : "reconnecting…";
  conn.className = "conn " + (st === "live" ? "up" : "down");
});
// an all-clear stands until its alert would have expired, then the page no longer shows it
setInterval(() => {
  const now = Date.now();
  if ([...alerts.values()].some((a) => !inForce(a, now))) requestAnimationFrame(render);
}, 5000);
