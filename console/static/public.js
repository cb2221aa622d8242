"use strict";
// GoldenTime public alerts: approved warnings only (the server never sends drafts), ko + en.
const { el } = GT;
const { map, renderer } = GT.baseMap("map", { theme: "light" });
const areas = L.layerGroup().addTo(map);
const alerts = new Map();
GT.public = { alerts, map, areas };
const STATUS_TEXT = { approved: "발령 / Issued", sent: "발령 / Issued", cancelled: "취소 / Cancelled",
                      all_clear: "해제 / All clear" };

function render() {
  areas.clearLayers();
  const items = [...alerts.values()].sort((a, b) => String(b.issued_at).localeCompare(String(a.issued_at)));
  const frag = document.createDocumentFragment();
  const bounds = [];
  for (const a of items) {
    const li = el("li", `sev-${a.severity} status-${a.status}`);
    li.dataset.id = a.id;
    li.append(el("div", "headline", a.headline || ""));
    li.append(el("div", "ko", (a.message && a.message.ko) || ""));
    if (a.message && a.message.en) li.append(el("div", "en", a.message.en));
    li.append(el("div", "meta", `${STATUS_TEXT[a.status] || a.status} · ${a.severity} · ${(a.districts || []).join(", ")} · ${a.issued_at}`));
    frag.append(li);
    const withdrawn = a.status === "cancelled" || a.status === "all_clear";
    const layer = L.geoJSON(a.area, { renderer, interactive: false,
      style: { color: withdrawn ? "#2e7d32" : "#d84315", weight: 2, fillOpacity: withdrawn ? 0.05 : 0.25 } })
      .addTo(areas);
    const b = layer.getBounds(); if (b.isValid()) bounds.push(b);
  }
  document.getElementById("alerts").replaceChildren(frag);
  document.getElementById("none").hidden = items.length > 0;
  if (bounds.length) map.fitBounds(bounds.reduce((acc, b) => acc.extend(b), L.latLngBounds(bounds[0].getSouthWest(), bounds[0].getNorthEast())), { padding: [40, 40], maxZoom: 15 });
}

GT.socket("/ws/public", "", (msg) => {
  if (msg.type === "snapshot") { alerts.clear(); for (const a of msg.data.alerts || []) alerts.set(a.id, a); }
  else if (msg.type === "alert") alerts.set(msg.data.id, msg.data);
  requestAnimationFrame(render);
}, (st) => {
  const conn = document.getElementById("conn");
  conn.textContent = st === "live" ? "live" : "reconnecting…";
  conn.className = "conn " + (st === "live" ? "up" : "down");
});
