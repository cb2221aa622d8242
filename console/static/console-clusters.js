"use strict";
// Incident markers grouped on screen: incidents closer than ``cellPx`` on the current zoom are
// one cluster marker with their count, coloured by the most urgent priority among them;
// clicking it zooms to them. Single incidents keep their own marker. Recomputed on zoom and,
// at most every ``throttleMs``, when incidents change. Cluster markers are kept by cell and
// patched (count, colour, place), and an incident's projection is kept while its zoom and
// place stay, so a recompute after a few changes does little work.
GT.clusters = (() => {
  const settings = { cellPx: 44, throttleMs: 500 };
  let C = null;
  let layer = null;
  let timer = null;
  let last = 0;
  const shown = new Map();  // cell key -> {marker, members, sig}

  function projected(inc, zoom) {
    const p = inc._px;
    if (p && p.zoom === zoom && p.lat === inc.location.lat && p.lon === inc.location.lon) return p;
    const xy = C.map.project([inc.location.lat, inc.location.lon], zoom);
    inc._px = { zoom, lat: inc.location.lat, lon: inc.location.lon, x: xy.x, y: xy.y };
    return inc._px;
  }

  function zoomTo(key) {
    const c = shown.get(key);
    if (!c) return;
    C.state.fitted = true;  // the dispatcher's view: the console's first fit must not move it
    C.map.fitBounds(L.latLngBounds(c.members.map((i) => [i.location.lat, i.location.lon])),
                    { padding: [40, 40], maxZoom: 18 });
  }

  function recompute() {
    timer = null;
    last = Date.now();
    const { map, state, layers } = C;
    const zoom = map.getZoom();
    const cells = new Map();
    for (const inc of state.incidents.values()) {
      const p = projected(inc, zoom);
      const key = `${zoom}:${Math.floor(p.x / settings.cellPx)}:${Math.floor(p.y / settings.cellPx)}`;
      const cell = cells.get(key);
      if (cell) cell.push(inc); else cells.set(key, [inc]);
    }
    let clustered = 0;
    for (const [key, members] of cells) {
      const single = members.length === 1;
      for (const inc of members) {
        const m = state.markers.get(inc.id);
        if (!m) continue;
        const on = layers.incidents.hasLayer(m);
        if (single && !on) layers.incidents.addLayer(m);
        else if (!single && on && inc.id !== state.selected) layers.incidents.removeLayer(m);
      }
      if (single) continue;
      clustered += members.length;
      let top = 5, lat = 0, lon = 0;
      for (const i of members) { top = Math.min(top, i.priority); lat += i.location.lat; lon += i.location.lon; }
      lat /= members.length; lon /= members.length;
      const size = members.length < 10 ? 30 : members.length < 100 ? 36 : 44;
      const sig = `${members.length}|${top}|${lat.toFixed(6)}|${lon.toFixed(6)}`;
      const c = shown.get(key);
      if (c && c.sig === sig) { c.members = members; continue; }
      if (c) {
        c.marker.setLatLng([lat, lon]);
        c.marker.setIcon(L.divIcon({ className: `cluster p${top}`, html: "", iconSize: [size, size] }));
        c.marker.getElement().title = `${members.length} incidents, most urgent P${top}`;
      } else {
        const marker = L.marker([lat, lon], {
          icon: L.divIcon({ className: `cluster p${top}`, html: "", iconSize: [size, size] }),
          keyboard: false, title: `${members.length} incidents, most urgent P${top}`,
        });
        marker.on("click", () => zoomTo(key));
        marker.addTo(layer);
        shown.set(key, { marker, members, sig });
      }
      const entry = shown.get(key);
      entry.members = members;
      entry.sig = sig;
      entry.marker.getElement().textContent = String(members.length);
    }
    for (const [key, c] of shown) {
      const members = cells.get(key);
      if (!members || members.length === 1) { layer.removeLayer(c.marker); shown.delete(key); }
    }
    C.clustered = clustered;
  }

  function schedule() {
    if (!C || timer) return;
    const wait = Math.max(0, settings.throttleMs - (Date.now() - last));
    timer = setTimeout(recompute, wait);
  }

  function start(ctx) {
    C = ctx;
    layer = L.layerGroup().addTo(C.map);
    C.map.on("zoomend", () => { if (timer) { clearTimeout(timer); } recompute(); });
  }

  return { start, schedule, recompute, settings };
})();
