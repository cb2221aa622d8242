"use strict";
// Incident markers grouped on screen: incidents closer than ``cellPx`` on the current zoom are
// one cluster marker with their count, coloured by the most urgent priority among them;
// clicking it zooms to them. Single incidents keep their own marker. Recomputed on zoom and,
// at most every ``throttleMs``, when incidents change.
GT.clusters = (() => {
  const settings = { cellPx: 44, throttleMs: 500 };
  let C = null;
  let layer = null;
  let timer = null;
  let last = 0;

  function recompute() {
    timer = null;
    last = Date.now();
    const { map, state, layers } = C;
    const zoom = map.getZoom();
    const cells = new Map();
    for (const inc of state.incidents.values()) {
      const p = map.project([inc.location.lat, inc.location.lon], zoom);
      const key = `${Math.floor(p.x / settings.cellPx)}:${Math.floor(p.y / settings.cellPx)}`;
      const cell = cells.get(key);
      if (cell) cell.push(inc); else cells.set(key, [inc]);
    }
    layer.clearLayers();
    let clustered = 0;
    for (const members of cells.values()) {
      const single = members.length === 1;
      for (const inc of members) {
        const m = state.markers.get(inc.id);
        if (!m) continue;
        const shown = layers.incidents.hasLayer(m);
        if (single && !shown) layers.incidents.addLayer(m);
        else if (!single && shown && inc.id !== state.selected) layers.incidents.removeLayer(m);
      }
      if (single) continue;
      clustered += members.length;
      const top = Math.min(...members.map((i) => i.priority));
      const lat = members.reduce((s, i) => s + i.location.lat, 0) / members.length;
      const lon = members.reduce((s, i) => s + i.location.lon, 0) / members.length;
      const size = members.length < 10 ? 30 : members.length < 100 ? 36 : 44;
      const marker = L.marker([lat, lon], {
        icon: L.divIcon({ className: `cluster p${top}`, html: "", iconSize: [size, size] }),
        keyboard: false, title: `${members.length} incidents, most urgent P${top}`,
      });
      marker.on("click", () => map.fitBounds(
        L.latLngBounds(members.map((i) => [i.location.lat, i.location.lon])), { padding: [40, 40], maxZoom: 18 }));
      marker.addTo(layer);
      marker.getElement().textContent = String(members.length);
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
