"use strict";
// Bridges, tunnels, underpasses and overpasses: a map layer coloured by state and a board of
// every structure with its live readings against thresholds, the trend of the last hour and
// the closure actions. The registry (Seoul's ~840 structure links make some 360 structures)
// is fetched once; states and readings then come over the console socket. The board shows
// the structures that need attention first and draws at most settings.rowLimit rows (search
// or filter to reach the rest); a closure recommendation raises an alarm, since it asks a
// person to act.
GT.structures = (() => {
  const { el, label, setText } = GT;
  const COLOURS = { open: "#78909c", watch: "#fdd835", closure_recommended: "#ff3d00", closed: "#d50000" };
  const RANK = { closure_recommended: 0, closed: 1, watch: 2, open: 3 };
  const HISTORY_MS = 3600 * 1000;
  const settings = { rowLimit: 150 };  // rows drawn at most (the rest by search or filter)
  const FOCUS_ZOOM = 15;
  const SPARK = { w: 132, h: 26 };
  const SVG = "http://www.w3.org/2000/svg";
  const byName = new Intl.Collator("ko");  // one collator: sorting 840 names each render stays cheap
  const items = new Map();  // structure id -> {…registry entry, …latest record, history: []}
  const drawn = new Map();  // structure id -> {lines: L.Polyline|null, dot: L.CircleMarker|null, sig}
  const filter = { show: "attention", text: "" };
  let C = null;
  let layer = null;
  let dirty = true;
  let loaded = false;
  let focused = null;

  const byId = (id) => document.getElementById(id);
  const version = (s) => Number(s.version || 0);

  // ---- state ---------------------------------------------------------------------------
  function historyOf(record) {
    return (record.readings || []).filter((r) => r.value !== null && r.value !== undefined && r.measured_at)
      .map((r) => ({ sensor_id: r.sensor_id, kind: r.kind, value: Number(r.value), at_ms: Date.parse(r.measured_at) }));
  }

  function mergeHistory(old, fresh) {
    if (!fresh.length) return old;
    const seen = new Set(old.map((h) => `${h.sensor_id}|${h.at_ms}`));
    const out = old.concat(fresh.filter((h) => !seen.has(`${h.sensor_id}|${h.at_ms}`)));
    out.sort((a, b) => a.at_ms - b.at_ms);
    const from = out[out.length - 1].at_ms - HISTORY_MS;
    let cut = 0;
    while (cut < out.length && out[cut].at_ms < from) cut += 1;
    return cut ? out.slice(cut) : out;
  }

  // A road-closures record (socket) or a board row (REST): newer versions win; readings
  // of every record join the structure's hour of history.
  function apply(record) {
    const id = record.structure_id;
    if (!id) return;
    const old = items.get(id);
    const history = mergeHistory(old ? old.history : [], record.history || historyOf(record));
    if (old && version(old) > version(record)) { old.history = history; dirty = true; return; }
    const merged = { ...(old || {}), ...record, history };
    if (old && !record.lines) merged.lines = old.lines;
    if (!merged.state) merged.state = "open";
    items.set(id, merged);
    dirty = true;
    draw(merged);
  }

  async function load() {
    try {
      const rows = await GT.api("/api/structures");
      for (const row of rows) apply(row);
      loaded = true;
      C.scheduleRender();
    } catch (err) {
      setText(byId("structures-note"), `구조물 목록을 불러오지 못했습니다 — could not load structures: ${err.message}`);
      setTimeout(load, 5000);
    }
  }

  // ---- map -----------------------------------------------------------------------------
  function styleOf(s) {
    const open = s.state === "open";
    return { renderer: C.renderer, color: COLOURS[s.state] || COLOURS.open, weight: open ? 3 : 7,
             opacity: open ? 0.55 : 0.95, dashArray: s.state === "closed" ? "10 6" : null };
  }

  function draw(s) {
    if (!layer) return;
    const sig = `${s.state}|${Boolean(s.lines && s.lines.length)}`;
    const d = drawn.get(s.structure_id) || { lines: null, dot: null, sig: "" };
    if (d.sig === sig) return;
    d.sig = sig;
    if (!d.lines && s.lines && s.lines.length) {
      d.lines = L.polyline(s.lines.map((line) => line.map(([lon, lat]) => [lat, lon])), styleOf(s)).addTo(layer);
      d.lines.on("click", () => focus(s.structure_id));
      d.lines.bindTooltip("", { sticky: true });
    } else if (d.lines) d.lines.setStyle(styleOf(s));
    if (d.lines) d.lines.setTooltipContent(document.createTextNode(tip(s)));
    // a structure that is not open is also a dot, seen at any zoom
    if (s.state !== "open" && s.location) {
      const style = { renderer: C.renderer, radius: s.state === "closure_recommended" ? 9 : 7, color: "#fff",
                      weight: 2, fillColor: COLOURS[s.state], fillOpacity: 1 };
      if (!d.dot) {
        d.dot = L.circleMarker([s.location.lat, s.location.lon], style).addTo(layer);
        d.dot.on("click", () => focus(s.structure_id));
        d.dot.bindTooltip("", { direction: "top" });
      } else d.dot.setStyle(style);
      d.dot.setTooltipContent(document.createTextNode(tip(s)));
    } else if (d.dot) { layer.removeLayer(d.dot); d.dot = null; }
    drawn.set(s.structure_id, d);
  }

  const tip = (s) => `${s.name} · ${label("structureKind", s.kind)} · ${label("structureState", s.state)}`;

  // ---- board ---------------------------------------------------------------------------
  function shown() {
    const text = filter.text.trim().toLowerCase();
    const out = [];
    for (const s of items.values()) {
      if (filter.show === "attention" && s.state === "open") continue;
      if (filter.show !== "attention" && filter.show !== "all" && s.state !== filter.show) continue;
      if (text && !`${s.name} ${s.gu} ${s.structure_id} ${label("structureKind", s.kind)}`.toLowerCase().includes(text)) continue;
      out.push(s);
    }
    out.sort((a, b) => (RANK[a.state] ?? 9) - (RANK[b.state] ?? 9) || byName.compare(a.name || "", b.name || ""));
    return out;
  }

  function counts() {
    const n = { open: 0, watch: 0, closure_recommended: 0, closed: 0 };
    for (const s of items.values()) n[s.state] = (n[s.state] || 0) + 1;
    return n;
  }

  function level(r) {
    const v = Number(r.value);
    if (r.close_at !== undefined && r.close_at !== null && v >= Number(r.close_at)) return "over-close";
    if (r.watch_at !== undefined && r.watch_at !== null && v >= Number(r.watch_at)) return "over-watch";
    return "normal";
  }

  function fmt(v) { const n = Number(v); return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2); }

  // A sparkline of one sensor's last hour, with its watch and closure thresholds.
  function sparkline(points, reading) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", SPARK.w);
    svg.setAttribute("height", SPARK.h);
    svg.setAttribute("viewBox", `0 0 ${SPARK.w} ${SPARK.h}`);
    if (!points.length) return svg;
    const values = points.map((p) => p.value);
    const marks = [reading.watch_at, reading.close_at].filter((t) => t !== undefined && t !== null).map(Number);
    const lo = Math.min(...values, ...marks, 0);
    const hi = Math.max(...values, ...marks);
    const t1 = points[points.length - 1].at_ms;
    const t0 = t1 - HISTORY_MS;
    const x = (t) => ((t - t0) / HISTORY_MS) * (SPARK.w - 2) + 1;
    const y = (v) => SPARK.h - 2 - ((v - lo) / (hi - lo || 1)) * (SPARK.h - 4);
    for (const [t, cls] of [[reading.watch_at, "watch"], [reading.close_at, "close"]]) {
      if (t === undefined || t === null) continue;
      const line = document.createElementNS(SVG, "line");
      line.setAttribute("class", `mark ${cls}`);
      line.setAttribute("x1", 0); line.setAttribute("x2", SPARK.w);
      line.setAttribute("y1", y(Number(t))); line.setAttribute("y2", y(Number(t)));
      svg.append(line);
    }
    const path = document.createElementNS(SVG, "polyline");
    path.setAttribute("class", `trend ${level(reading)}`);
    path.setAttribute("points", points.map((p) => `${x(p.at_ms).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "));
    svg.append(path);
    return svg;
  }

  function readingRow(s, r) {
    const li = el("li", `reading ${level(r)}`);
    li.dataset.sensor = r.sensor_id || "";
    const limits = [r.watch_at !== undefined && r.watch_at !== null ? `주의 ${fmt(r.watch_at)}` : "",
                    r.close_at !== undefined && r.close_at !== null ? `통제 ${fmt(r.close_at)}` : ""].filter(Boolean).join(" / ");
    li.append(el("span", "what", label("readingKind", r.kind)),
              el("span", "value", `${fmt(r.value)} ${r.unit || ""}`.trim()),
              el("span", "limits", limits));
    const points = s.history.filter((h) => h.sensor_id === r.sensor_id);
    const spark = sparkline(points, r);
    spark.setAttribute("aria-label", `${label("readingKind", r.kind)} last hour, ${points.length} readings`);
    li.append(spark);
    return li;
  }

  function create(s) {
    const li = el("li", "structure");
    li.dataset.id = s.structure_id;
    li.tabIndex = 0;
    const head = el("div", "st-head");
    head.append(el("span", "state"), el("span", "name"), el("span", "meta"));
    const confirm = button("confirm-closure ok", "통제 확정 Confirm closure", () => act(li.dataset.id, "confirm-closure"));
    const close = button("close danger", "통제… Close…", () => act(li.dataset.id, "close"));
    const reopen = button("reopen", "통제 해제… Reopen…", () => act(li.dataset.id, "reopen"));
    const actions = el("div", "actions");
    actions.append(confirm, close, reopen);
    li.append(head, el("div", "reason"), el("ol", "readings"), el("div", "trail meta"), actions);
    li.addEventListener("click", (e) => { if (!e.target.closest("button")) locate(li.dataset.id); });
    return li;
  }

  function button(cls, text, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function update(li, s) {
    li.className = `structure st-${s.state}${focused === s.structure_id ? " focused" : ""}`;
    li.dataset.state = s.state;
    const [state, name, meta] = li.firstChild.children;
    setText(state, label("structureState", s.state));
    setText(name, s.name || s.structure_id);
    setText(meta, `${label("structureKind", s.kind)} · ${s.gu || ""}${s.length_m ? ` · ${Math.round(s.length_m)} m` : ""}`);
    setText(li.children[1], s.reason || "");
    li.children[1].hidden = !s.reason;
    li.children[2].replaceChildren(...(s.readings || []).map((r) => readingRow(s, r)));
    const when = s.updated_at ? new Date(s.updated_at).toLocaleTimeString("ko-KR",
      { timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit", hour12: false }) : "";
    setText(li.children[3], s.by ? `${when} · ${s.by}` : when);
    const [confirm, close, reopen] = li.lastChild.children;
    confirm.hidden = s.state !== "closure_recommended";
    close.hidden = s.state === "closed" || s.state === "closure_recommended";
    reopen.hidden = s.state !== "closed";
  }

  const sig = (s) => `${s.version}|${s.state}|${s.updated_at}|${s.history.length}|${focused === s.structure_id}`;

  function render() {
    if (!dirty || !C) return;
    dirty = false;
    const n = counts();
    const toggle = byId("structures-toggle");
    setText(toggle, `교량·터널 Structures${n.closure_recommended ? ` · 통제 권고 ${n.closure_recommended}` : ""}${n.closed ? ` · 통제 ${n.closed}` : ""}`);
    toggle.classList.toggle("asks", n.closure_recommended > 0);
    const board = byId("structures-board");
    if (board.hidden) return;
    setText(byId("structures-counts"),
      `${items.size} · 통제 권고 ${n.closure_recommended} · 통제 중 ${n.closed} · 주의 ${n.watch}`);
    const all = shown();
    const rows = all.slice(0, settings.rowLimit);
    GT.reconcile(byId("structures"), rows, { key: (s) => s.structure_id, create, update, sig });
    setText(byId("structures-note"), !loaded ? "불러오는 중 loading…"
      : all.length > rows.length ? `… ${all.length - rows.length} more — narrow the search`
      : all.length ? "" : filter.show === "attention" ? "모든 구조물 정상 — every structure open" : "없음 none");
  }

  // ---- actions -------------------------------------------------------------------------
  const PROMPTS = {
    "confirm-closure": { verb: "통제 확정 confirm closure", reason: "optional", ok: "통제 확정 Confirm closure", done: (s) => s.state === "closed" },
    close: { verb: "통제 close", reason: "required", ok: "통제 Close", done: (s) => s.state === "closed" },
    reopen: { verb: "통제 해제 reopen", reason: "required", ok: "통제 해제 Reopen", done: (s) => s.state !== "closed" },
  };

  async function act(id, what) {
    const s = items.get(id);
    if (!s) return;
    const p = PROMPTS[what];
    const name = `${s.name} (${label("structureKind", s.kind)}, ${s.gu || ""})`;
    const answer = await GT.actions.confirm({
      message: `${name}: ${p.verb}? ${what === "reopen" ? "Routing will use it again." : "Routing will avoid it and crews en route are rerouted."}`,
      okLabel: p.ok, reason: p.reason,
    });
    if (!answer) return;
    await GT.actions.run({
      label: `${p.verb} ${s.name}`,
      path: `/api/structures/${encodeURIComponent(id)}/${what}`,
      body: answer.reason ? { reason: answer.reason } : {},
      expect: (_state, o) => { const now = items.get(id); return Boolean(now && o.commandId && now.command_id === o.commandId && p.done(now)); },
      refusal: (_state, _ms, o) => (o.commandId && C.refusals.get(o.commandId)) || null,
    });
  }

  // ---- focus ---------------------------------------------------------------------------
  function open(show) {
    const board = byId("structures-board");
    board.hidden = !show;
    byId("structures-toggle").setAttribute("aria-expanded", String(show));
    dirty = true;
    C.scheduleRender();
  }

  // Centre the structure in the part of the map the board leaves visible.
  function locate(id) {
    const s = items.get(id);
    if (!s || !s.location) return;
    C.state.fitted = true;  // the operator's view: the console's first fit must not move it
    C.map.setView([s.location.lat, s.location.lon], Math.max(C.map.getZoom(), FOCUS_ZOOM), { animate: false });
    const board = byId("structures-board");
    const hidden = board.hidden ? 0 : C.map.getContainer().getBoundingClientRect().right - board.getBoundingClientRect().left;
    if (hidden > 0) C.map.panBy([hidden / 2, 0], { animate: false });
  }

  // Show a structure on the board (from the map or an alarm), and where it is.
  function focus(id) {
    const s = items.get(id);
    if (!s) return;
    focused = id;
    if (!shown().slice(0, settings.rowLimit).includes(s)) {
      filter.show = "all";
      filter.text = s.name || id;
      byId("structures-show").value = "all";
      byId("structures-search").value = filter.text;
    }
    open(true);
    dirty = true;
    render();
    locate(id);
    const row = byId("structures").querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  function start(ctx) {
    C = ctx;
    layer = L.layerGroup().addTo(C.map);
    for (const s of items.values()) draw(s);
    byId("structures-toggle").addEventListener("click", () => open(byId("structures-board").hidden));
    byId("structures-close").addEventListener("click", () => open(false));
    byId("structures-show").addEventListener("change", (e) => { filter.show = e.target.value; dirty = true; C.scheduleRender(); });
    byId("structures-search").addEventListener("input", (e) => { filter.text = e.target.value; dirty = true; C.scheduleRender(); });
    load();
  }

  return { start, apply, render, focus, open, items, filter, counts, settings,
           drawnCount: () => drawn.size };
})();
