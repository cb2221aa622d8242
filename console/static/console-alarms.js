"use strict";
// Alarms and timers. A P1 or mass-casualty call awaiting dispatch sounds and flashes until a
// dispatcher acknowledges it; timers raise an alarm for a call unassigned too long, an alert
// draft waiting too long and a unit too long in one status. Thresholds are settings:
//  - unassignedS 60: NFPA 1221 §7.4.2, emergency alarm processing within 60 s for 90 % of
//    alarms (figures as recalled from the 2016 edition, not checked against the text: confirm
//    against the edition your centre works to).
//  - draftWaitS 120: local policy (issue 27); Korean alert tiers set no approval time.
//  - unitStatusS.dispatched 80: NFPA 1710 (2020) 4.1.2.1, turnout time 60 s EMS / 80 s fire.
//  - unitStatusS.at_hospital 1800: ambulance patient offload within 30 min (local policy).
// A structure whose closure is recommended sounds until acknowledged: it waits for a person.
// An acknowledged alarm stays quiet; the same condition raises no second alarm.
GT.alarms = (() => {
  const { el, label, setText, fmtClock } = GT;
  const settings = {
    unassignedS: 60, draftWaitS: 120,
    unitStatusS: { dispatched: 80, at_hospital: 1800 },
    sound: true,
  };
  const SHOWN = 4;
  const active = new Map();   // key -> {key, kind, text, since, loud, ref}
  const acked = new Set();
  let audio = null;
  let beepTimer = null;

  function raise(key, alarm) {
    if (acked.has(key)) return;
    const a = active.get(key);
    if (a) { a.text = alarm.text; return; }
    active.set(key, { key, since: Date.now(), ...alarm });
  }

  function evaluate(C) {
    const now = Date.now();
    const seen = new Set();
    for (const row of C.rows) {
      if (row.group !== "pending") continue;
      const inc = row.inc;
      const ageS = (now - Date.parse(inc.opened_at)) / 1000;
      const what = `P${inc.priority} ${label("type", inc.type)} ${inc.place || inc.address || inc.district || ""}`;
      if (inc.priority === 1 || inc.mass_casualty) {
        const key = `new:${inc.id}`;
        seen.add(key);
        raise(key, { kind: "new", loud: true, ref: inc.id,
                     text: `${inc.mass_casualty ? "다수사상자 MCI " : ""}${what} — awaiting dispatch` });
      }
      if (ageS > settings.unassignedS) {
        const key = `unassigned:${inc.id}`;
        seen.add(key);
        raise(key, { kind: "timer", loud: inc.priority <= 2, ref: inc.id,
                     text: `${what} — unassigned ${fmtClock(ageS)} (> ${settings.unassignedS} s)` });
      }
    }
    for (const { data: a } of C.state.alerts.values()) {
      if (a.status !== "draft") continue;
      const waitS = (now - Date.parse(a.issued_at)) / 1000;
      if (waitS <= settings.draftWaitS) continue;
      const key = `draft:${a.id}`;
      seen.add(key);
      raise(key, { kind: "timer", loud: GT.alertTier(a) === "critical", ref: a.id,
                   text: `${label("tier", GT.alertTier(a))} alert draft waiting ${fmtClock(waitS)} (> ${settings.draftWaitS} s)` });
    }
    for (const { data: u } of C.state.units.values()) {
      const limit = settings.unitStatusS[u.status];
      if (!limit) continue;
      const since = C.state.units.get(u.unit_id).since;
      const inStatusS = (now - since) / 1000;
      if (inStatusS <= limit) continue;
      const key = `unit:${u.unit_id}:${u.status}:${since}`;
      seen.add(key);
      raise(key, { kind: "timer", loud: false, ref: u.unit_id,
                   text: `${u.unit_id} ${label("unitStatus", u.status)} for ${fmtClock(inStatusS)} (> ${limit} s)` });
    }
    for (const s of GT.structures ? GT.structures.items.values() : []) {
      const key = `closure:${s.structure_id}`;
      if (s.state !== "closure_recommended") { acked.delete(key); continue; }  // a new one sounds again
      seen.add(key);
      raise(key, { kind: "closure", loud: true, ref: s.structure_id,
                   text: `통제 권고 closure recommended — ${s.name} (${label("structureKind", s.kind)}, ${s.gu || ""}): ${s.reason || ""}` });
    }
    for (const key of [...active.keys()]) if (!seen.has(key)) active.delete(key);
    render(C);
  }

  function acknowledge(key) {
    acked.add(key);
    active.delete(key);
    if (GT.console) render(GT.console);
  }

  function acknowledgeAll() { for (const key of [...active.keys()]) acknowledge(key); }

  function render(C) {
    const all = [...active.values()].sort((a, b) => Number(b.loud) - Number(a.loud) || a.since - b.since);
    const list = all.slice(0, SHOWN);
    setText(document.getElementById("alarms-more"), all.length > SHOWN ? `+${all.length - SHOWN} more alarms` : "");
    document.getElementById("alarm-bar").hidden = !all.length;
    GT.reconcile(document.getElementById("alarms"), list, {
      key: (a) => a.key,
      create: (a) => {
        const li = el("li");
        const ack = el("button", "ack", "확인");
        ack.title = "acknowledge";
        ack.type = "button";
        ack.addEventListener("click", () => acknowledge(a.key));
        const go = el("button", "go", "→");
        go.type = "button";
        go.setAttribute("aria-label", "open");
        go.addEventListener("click", () => {
          if (a.kind === "closure") GT.structures.focus(a.ref);
          else if (C.state.incidents.has(a.ref)) C.select(a.ref);
        });
        li.append(el("span", "text"), go, ack);
        return li;
      },
      update: (li, a) => {
        li.className = `alarm ${a.kind}` + (a.loud ? " loud" : "");
        li.dataset.key = a.key;
        setText(li.firstChild, a.text);
        li.children[1].hidden = a.kind !== "closure" && !C.state.incidents.has(a.ref);
      },
      sig: (a) => `${a.text}|${a.loud}`,
    });
    const loud = all.some((a) => a.loud);
    document.body.classList.toggle("alarming", loud);
    if (loud && !beepTimer) { beep(); beepTimer = setInterval(beep, 1500); }
    if (!loud && beepTimer) { clearInterval(beepTimer); beepTimer = null; }
  }

  function beep() {
    if (!settings.sound) return;
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended") audio.resume();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch (_) { /* no audio device: the flashing bar still shows */ }
  }

  function start(C) {
    setInterval(() => evaluate(C), 1000);
    document.getElementById("ack-all").addEventListener("click", acknowledgeAll);
    document.addEventListener("pointerdown", () => { if (audio && audio.state === "suspended") audio.resume(); });
  }

  return { start, evaluate, acknowledge, acknowledgeAll, settings, active, isSounding: () => Boolean(beepTimer) };
})();
