"use strict";
// Keyboard first. Single keys (ignored while typing in a field or a dialog is open):
//   n / j  next incident awaiting dispatch      k  previous one
//   a      accept the selected recommendation   o  override (units field of the detail)
//   p      approve the top alert draft           f  find a unit (command line "F ")
//   / or : the command line                     Esc clear the selection
//   Shift+A acknowledge every alarm
// Command line: "D <incident> <unit> …" dispatch (the recommended units; "; reason" to send
// others as an override), "F <unit>" find a unit, "R <incident>" resolve, "C <incident>" close,
// "N" next pending. An incident may be named by a unique end of its id.
GT.keys = (() => {
  const { setText } = GT;
  let C = null;

  function typing(e) {
    const t = e.target;
    return t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement
      || t instanceof HTMLSelectElement || document.querySelector("dialog[open]") !== null;
  }

  function pendingIds() { return C.rows.filter((r) => r.group === "pending").map((r) => r.inc.id); }

  function step(delta) {
    const ids = pendingIds();
    if (!ids.length) return say("nothing awaiting dispatch");
    const at = ids.indexOf(C.state.selected);
    const next = at < 0 ? (delta > 0 ? 0 : ids.length - 1) : (at + delta + ids.length) % ids.length;
    C.select(ids[next]);
    const row = document.querySelector(`#incidents li.incident[data-id="${CSS.escape(ids[next])}"]`);
    if (row) row.focus({ preventScroll: false });
  }

  function selected() { return C.state.incidents.get(C.state.selected) || null; }

  function approveTop() {
    const top = document.querySelector("#alerts li.alert button.approve:not([disabled])");
    if (top) top.click(); else say("no alert draft to approve");
  }

  function say(text) { setText(document.getElementById("command-error"), text); return false; }

  // The incident named by ``ref``: its id, or the one id ending with it.
  function findIncident(ref) {
    if (C.state.incidents.has(ref)) return C.state.incidents.get(ref);
    const hits = [...C.state.incidents.keys()].filter((id) => id.endsWith(ref));
    return hits.length === 1 ? C.state.incidents.get(hits[0]) : null;
  }

  function findUnit(ref) {
    const id = [...C.state.units.keys()].find((u) => u.toUpperCase() === ref.toUpperCase());
    const u = id && C.state.units.get(id);
    if (!u) return say(`no unit ${ref}`);
    if (u.marker) {
      C.state.fitted = true;  // the dispatcher's view: the console's first fit must not move it
      C.map.setView(u.marker.getLatLng(), Math.max(C.map.getZoom(), 15), { animate: false });
      u.marker.openTooltip();
    }
    if (u.data.incident_id && C.state.incidents.has(u.data.incident_id)) C.select(u.data.incident_id);
    say(`${u.data.unit_id}: ${GT.label("unitStatus", u.data.status)} ${u.data.status}`);
    return true;
  }

  // Run one command line; true when it was understood.
  function run(line) {
    const [head, reason] = line.split(";").map((x) => x.trim());
    const [verb, ...args] = head.split(/\s+/).filter(Boolean);
    const v = (verb || "").toUpperCase();
    if (v === "N") { step(1); return true; }
    if (v === "F" && args.length === 1) return findUnit(args[0]);
    const inc = args.length ? findIncident(args[0]) : null;
    if (["D", "R", "C"].includes(v) && !inc) return say(`no single incident matches "${args[0] || ""}"`);
    if (v === "R") { GT.detail.resolve(C, inc); return true; }
    if (v === "C") { C.select(inc.id); GT.detail.close(C, inc); return true; }
    if (v === "D") {
      const units = args.slice(1);
      if (!units.length) return say("D <incident> <unit> …");
      C.select(inc.id);
      const recommended = C.assignmentsOf(inc.id).filter((a) => a.status === "recommended").map((a) => a.unit_id);
      if (units.every((u) => recommended.includes(u))) { GT.detail.accept(C, inc, units); return true; }
      if (!reason) return say(`${units.filter((u) => !recommended.includes(u)).join(", ")} not recommended: add "; reason" to override`);
      GT.detail.sendOverride(C, inc, units, [], reason);
      return true;
    }
    return say(`unknown command "${line}" (D, F, R, C, N)`);
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && !typing(e) && !GT.feed.isOpen()) { C.select(null); return; }
    if (typing(e)) return;
    const inc = selected();
    const actions = {
      n: () => step(1), j: () => step(1), k: () => step(-1),
      a: () => (inc ? GT.detail.accept(C, inc) : say("select an incident first")),
      o: () => GT.detail.focusOverride() || say("select an incident first"),
      p: approveTop,
      f: () => { const input = document.getElementById("command"); input.value = "F "; input.focus(); },
      "/": () => document.getElementById("command").focus(),
      ":": () => document.getElementById("command").focus(),
      A: () => GT.alarms.acknowledgeAll(),
    };
    const act = actions[e.key];
    if (!act) return;
    e.preventDefault();
    act();
  }

  function start(ctx) {
    C = ctx;
    document.addEventListener("keydown", onKey);
    const form = document.getElementById("command-line");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const input = document.getElementById("command");
      say("");
      if (run(input.value)) input.value = "";
    });
  }

  return { start, run };
})();
