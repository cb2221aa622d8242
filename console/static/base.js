"use strict";
// Shared by the GoldenTime pages: who is signed in, safe DOM building, the vector base map.
// Free text from the field is always inserted with textContent, never as HTML.
const GT = window.GT = window.GT || {};

// Who is signed in, as the server knows them from the session cookie (HttpOnly: no script
// here ever sees a token). A page without a session goes to the sign-in page.
GT.me = async function me() {
  const res = await fetch("/api/me", { cache: "no-store" });
  if (res.status === 401) { location.replace("/login"); return new Promise(() => {}); }
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return res.json();
};

// Sign out: the server ends the session and clears the cookie.
GT.signOut = async function signOut() {
  try { await fetch("/logout", { method: "POST" }); } finally { location.replace("/login"); }
};

GT.el = function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
};

GT.api = async function api(path, opts) {
  const o = opts || {};
  const headers = { "Content-Type": "application/json" };  // the session cookie rides along
  const res = await fetch(path, { method: o.method || "GET", headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (!res.ok) {
    const why = data && data.detail ? data.detail : res.statusText;
    throw new Error(`${res.status} ${typeof why === "string" ? why : JSON.stringify(why)}`);
  }
  return data;
};

GT.fmtClock = function fmtClock(s) {
  const neg = s < 0; s = Math.abs(Math.round(s));
  return (neg ? "-" : "") + Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
};

GT.PRIORITY_COLOURS = { 1: "#e53935", 2: "#fb8c00", 3: "#fdd835", 4: "#43a047", 5: "#1e88e5" };
// Unit status colours stay clear of the priority colours (red, orange, yellow, green, blue):
// cyans and purples, and units are squares where incidents are round.
GT.UNIT_COLOURS = {
  available: "#2ecc71", dispatched: "#80deea", en_route: "#00acc1", on_scene: "#ab47bc",
  transporting: "#7e57c2", at_hospital: "#5c6bc0", out_of_service: "#757575",
};

// A square point marker for units (incidents are round), drawn on a canvas renderer.
GT.SquareMarker = L.CircleMarker.extend({
  _updatePath() {
    const r = this._renderer;
    if (!r._ctx) { L.CircleMarker.prototype._updatePath.call(this); return; }
    if (!r._drawing || this._empty()) return;
    const p = this._point;
    const half = Math.max(Math.round(this._radius), 1);
    r._ctx.beginPath();
    r._ctx.rect(p.x - half, p.y - half, 2 * half, 2 * half);
    r._fillStroke(r._ctx, this);
  },
});

// A Leaflet map drawn only from our own vector data (no tile server), on two canvas renderers (static base, live layers).
GT.baseMap = function baseMap(elementId, options) {
  const o = options || {};
  const map = L.map(elementId, { preferCanvas: true, zoomControl: true, attributionControl: true,
                                 zoomSnap: 0.25 }).setView([37.5665, 126.978], 13);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Roads © OpenStreetMap contributors / ITS 국가교통정보센터 · Leaflet");
  // Leaflet notices only window resizes; a banner or alarm bar appearing resizes the map's
  // box too, and the map must keep its centre (the incident a dispatcher just opened)
  if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(map.getContainer());
  // two canvases: the static base map is never redrawn when a marker or route changes. The
  // live one is redrawn on every update and handed whole to the compositor each time, so it
  // is kept to the view and a small margin (Leaflet's default).
  const baseRenderer = L.canvas({ padding: 0.5 });
  const renderer = L.canvas({ padding: 0.1, tolerance: 4 });
  const light = o.theme === "light";
  const districtStyle = light
    ? { color: "#5c6b7a", weight: 1.5, fill: true, fillColor: "#ffffff", fillOpacity: 0.25, dashArray: "4 3" }
    : { color: "#7f8fa6", weight: 1.5, fill: true, fillColor: "#2b3340", fillOpacity: 0.35, dashArray: "4 3" };
  const roadColour = light ? ["#9aa5b1", "#b7c0ca"] : ["#56606e", "#6b7686"];
  const ready = (async () => {
    try {
      const city = await GT.api("/api/city");
      const [w, s, e, n] = city.bbox;
      // keepView: true, or a function asked now (the user may have chosen a place meanwhile)
      const keep = typeof o.keepView === "function" ? o.keepView() : o.keepView;
      if (!keep) map.fitBounds([[s, w], [n, e]], { padding: [8, 8] });
    } catch (err) { console.warn("city bbox unavailable", err); }
    const [districts, roads] = await Promise.all([
      GT.api("/api/layers/districts").catch(() => null),
      GT.api("/api/layers/roads").catch(() => null),
    ]);
    if (districts) {
      L.geoJSON(districts, { renderer: baseRenderer, interactive: false,
        style: districtStyle,
        onEachFeature: (f, layer) => {
          const c = layer.getBounds().getCenter();
          L.marker(c, { interactive: false, keyboard: false,
            icon: L.divIcon({ className: "district-label", html: "", iconSize: null }) })
            .addTo(map).getElement().textContent = f.properties.name || "";
        } }).addTo(map);
    }
    if (roads) {
      L.geoJSON(roads, { renderer: baseRenderer, interactive: false,
        style: (f) => ({ color: roadColour[f.properties.one_way ? 0 : 1], weight: 1.6, opacity: 0.9 }) })
        .addTo(map);
      GT.streetLabels(map, roads);
    }
    return map;
  })();
  ready.catch((err) => console.warn("base map layers unavailable", err));
  return { map, renderer, ready };
};

// Street names on the map from zoom ``minZoom``: one label per street and screen cell, at most
// ``max`` at a time, placed at the middle of a link (DOM labels, so text stays sharp).
GT.streetLabels = function streetLabels(map, roads, options) {
  const o = { minZoom: 16, cellPx: 140, max: 80, ...(options || {}) };
  const spots = [];
  for (const f of roads.features) {
    const name = f.properties.street;
    const c = f.geometry && f.geometry.coordinates;
    if (!name || !c || f.geometry.type !== "LineString" || !c.length) continue;
    const [lon, lat] = c[Math.floor(c.length / 2)];
    spots.push({ name, ll: L.latLng(lat, lon) });
  }
  const layer = L.layerGroup().addTo(map);
  function draw() {
    layer.clearLayers();
    const zoom = map.getZoom();
    if (zoom < o.minZoom) return;
    const view = map.getBounds().pad(0.05);
    const taken = new Set();
    let n = 0;
    for (const s of spots) {
      if (n >= o.max) break;
      if (!view.contains(s.ll)) continue;
      const p = map.project(s.ll, zoom);
      const cell = `${Math.floor(p.x / o.cellPx)}:${Math.floor(p.y / o.cellPx)}`;
      if (taken.has(cell) || taken.has(`${s.name}@${Math.floor(p.x / (o.cellPx * 3))}:${Math.floor(p.y / (o.cellPx * 3))}`)) continue;
      taken.add(cell);
      taken.add(`${s.name}@${Math.floor(p.x / (o.cellPx * 3))}:${Math.floor(p.y / (o.cellPx * 3))}`);
      const m = L.marker(s.ll, { interactive: false, keyboard: false,
        icon: L.divIcon({ className: "street-label", html: "", iconSize: null }) }).addTo(layer);
      m.getElement().textContent = s.name;
      n += 1;
    }
  }
  map.on("zoomend moveend", draw);
  draw();
  return layer;
};

// A WebSocket that reconnects, except when the server refuses it (4401/4403). It carries
// the session cookie (the server checks its Origin), never a token in the URL.
// The handle tells when the last frame arrived and can drop a silent link for a fresh one.
// The link is live from its first frame (the snapshot), not from when it opened: a console
// still reading the topics' history holds an open socket silent, then asks to be called back.
GT.socket = function socket(path, onMessage, onState, extraQuery) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  // heard: a frame has come on the current socket (open alone is not live)
  const handle = { lastFrameAt: 0, openedAt: 0, open: false, heard: false, restarts: 0, restart: null };
  let delay = 500;
  let current = null;
  let retry = null;
  function connect() {
    retry = null;
    const params = new URLSearchParams(extraQuery || {});
    const q = params.toString() ? `?${params}` : "";
    const ws = new WebSocket(`${proto}://${location.host}${path}${q}`);
    current = ws;
    handle.heard = false;
    ws.onopen = () => { handle.open = true; handle.openedAt = handle.lastFrameAt = Date.now(); };
    ws.onmessage = (e) => {
      handle.lastFrameAt = Date.now();
      if (!handle.heard) { handle.heard = true; delay = 500; onState("live", ""); }
      onMessage(JSON.parse(e.data));
    };
    ws.onclose = (e) => {
      handle.open = handle.heard = false;
      const refused = e.code === 4401 || e.code === 4403;
      onState(refused ? "refused" : "reconnecting", e.reason || "");
      if (!refused) { retry = setTimeout(connect, delay); delay = Math.min(delay * 2, 8000); }
    };
  }
  handle.restart = function restart() {
    if (retry) return;
    const old = current;
    if (old) { old.onopen = old.onmessage = old.onclose = null; old.close(); }
    handle.open = false;
    handle.restarts += 1;
    onState("reconnecting", "no data on the link");
    connect();
  };
  connect();
  return handle;
};
