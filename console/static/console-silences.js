"use strict";
// Silences of public-alert drafts: a supervisor silences a group's hazard over the group's area
// for a stated time and reason (POST /api/silences, audited; the worker enforces it). The panel
// lists the silences in force with what each suppressed, and lifts one on request. A silence
// the worker refused shows refused with its reason (the dead letter naming its command id).

GT.silences = (() => {
  const { el, setText } = GT;
  const DURATIONS = [[900, "15분 15 min"], [1800, "30분 30 min"], [3600, "1시간 1 h"],
                     [7200, "2시간 2 h"], [14400, "4시간 4 h"], [43200, "12시간 12 h"]];
  const POLL_MS = 2000;
  let list = [];          // silences in force (GET /api/silences), newest first
  let lifting = new Set();  // ids lifted from here, hidden at once
  let box = null;

  const maySilence = (C) => C.role === "supervisor";

  // The group's area: every draft's polygon, as one MultiPolygon (lon, lat).
  function areaOf(group) {
    const polygons = [];
    for (const a of group.alerts) {
      const g = a.area || {};
      if (g.type === "Polygon") polygons.push(g.coordinates);
      else if (g.type === "MultiPolygon") polygons.push(...g.coordinates);
    }
    return { type: "MultiPolygon", coordinates: polygons };
  }

  function dialog() {
    let d = document.getElementById("silence-dialog");
    if (d) return d;
    d = el("dialog");
    d.id = "silence-dialog";
    const form = el("form");
    form.method = "dialog";
    const what = el("p", "message");
    const duration = el("select");
    duration.name = "duration";
    for (const [s, text] of DURATIONS) { const o = el("option", "", text); o.value = String(s); duration.append(o); }
    duration.value = "3600";
    const reason = el("input");
    reason.name = "reason"; reason.required = true; reason.maxLength = 300; reason.autocomplete = "off";
    reason.placeholder = "사유 reason (required)";
    const durLabel = el("label", "", "기간 for ");
    durLabel.append(duration);
    const reasonLabel = el("label", "", "사유 Reason ");
    reasonLabel.append(reason);
    const menu = el("menu");
    const cancel = el("button", "cancel", "취소 Cancel");
    cancel.value = "cancel"; cancel.formNoValidate = true;
    const ok = el("button", "danger ok", "알림 보류 Silence");
    ok.value = "ok";
    menu.append(cancel, ok);
    form.append(what, durLabel, reasonLabel, menu);
    d.append(form);
    document.body.append(d);
    return d;
  }

  function ask(group) {
    const d = dialog();
    const where = group.districts.join(", ") || "이 지역 this area";
    setText(d.querySelector(".message"),
      `${GT.alertPanels.hazardText(group.hazard)} 경보 초안을 ${where}에서 보류합니까? ` +
      `Silence ${group.hazard || "these"} drafts over ${where}? ` +
      `(${group.alerts.length} waiting now; 위급 drafts are never silenced)`);
    d.querySelector("input[name=reason]").value = "";
    d.returnValue = "";
    return new Promise((resolve) => {
      d.addEventListener("close", () => {
        const reason = d.querySelector("input[name=reason]").value.trim();
        resolve(d.returnValue === "ok" && reason
          ? { reason, duration_s: Number(d.querySelector("select[name=duration]").value) } : null);
      }, { once: true });
      d.showModal();
      d.querySelector("input[name=reason]").focus();
    });
  }

  async function offer(C, group) {
    if (!group || !group.hazard) return;
    const answer = await ask(group);
    if (!answer) return;
    await GT.actions.run({
      label: `보류 silence ${group.hazard} @ ${group.districts.join(", ")}`,
      path: "/api/silences",
      body: { hazard: group.hazard, area: areaOf(group), duration_s: answer.duration_s,
              reason: answer.reason, districts: group.districts },
    });  // sent once the console has it; the worker's refusal shows on the silence's row
    refresh(C);
  }

  async function lift(C, s) {
    const ok = await GT.actions.confirm({ message: `보류 해제? Lift the silence of ${s.hazard} over ${(s.districts || []).join(", ")}?`,
                                          okLabel: "보류 해제 Lift", reason: "optional" });
    if (!ok) return;
    lifting.add(s.id);
    render(C);
    await GT.actions.run({
      label: `보류 해제 lift ${s.hazard}`,
      path: `/api/silences/${encodeURIComponent(s.id)}/lift`, body: { reason: ok.reason || null },
    });
    refresh(C);
  }

  function panel() {
    if (box) return box;
    box = el("section");
    box.id = "silences-box";
    const h = el("h2", "", "알림 보류 Silenced ");
    h.append(el("small", "", ""));
    box.append(h, el("ol"));
    box.firstElementChild.lastElementChild.id = "silence-count";
    box.lastElementChild.id = "silences";
    const drafts = document.getElementById("drafts-box");
    drafts.before(box);  // above the queue: what is silenced frames what is waiting
    return box;
  }

  function untilText(s) {
    const left = Math.max(0, (Date.parse(s.until) - Date.now()) / 1000);
    return `${GT.fmtClock(left)} 남음 left`;
  }

  function spec(C) {
    return {
      key: (s) => s.id,
      create: (s) => {
        const li = el("li", "silence");
        li.dataset.id = s.id;
        const head = el("div", "silence-head");
        head.append(el("span", "hazard"), el("span", "area"), el("span", "left"));
        const liftButton = el("button", "lift", "보류 해제 Lift");
        liftButton.type = "button";
        liftButton.hidden = !maySilence(C);
        liftButton.addEventListener("click", () => {
          const now = list.find((x) => x.id === s.id);
          if (now) lift(C, now);
        });
        li.append(head, el("div", "reason meta"), el("div", "refused"), el("div", "suppressed meta"), liftButton);
        return li;
      },
      update: (li, s) => {
        const [head, reason, refused, suppressed] = li.children;
        const [hazard, area, left] = head.children;
        setText(hazard, GT.alertPanels.hazardText(s.hazard));
        setText(area, (s.districts || []).join(", "));
        setText(left, untilText(s));
        setText(reason, `${s.by}: ${s.reason}`);
        const why = C.refusals.get(s.id);
        li.classList.toggle("refused", Boolean(why));
        setText(refused, why ? `거부됨 refused: ${why}` : "");
        const names = (s.suppressed || []).slice(0, 5).map((a) => a.headline || a.id);
        setText(suppressed, `보류된 초안 suppressed: ${s.suppressed_count}건` + (names.length ? ` — ${names.join("; ")}` : ""));
      },
    };
  }

  function render(C) {
    if (!C) return;
    const b = panel();
    const shown = list.filter((s) => !lifting.has(s.id));
    GT.reconcile(b.querySelector("#silences"), shown, spec(C));
    setText(b.querySelector("#silence-count"), String(shown.length));
  }

  let polling = null;
  async function refresh(C) {
    try {
      list = await GT.api("/api/silences");
      lifting = new Set([...lifting].filter((id) => list.some((s) => s.id === id)));
    } catch (_) { /* the connection badge says when the server is away */ }
    render(C);
  }

  function start(C) {
    if (polling) return;
    refresh(C);
    polling = setInterval(() => refresh(C), POLL_MS);
  }

  return { maySilence, offer, render: (C) => { start(C); render(C); }, areaOf };
})();
