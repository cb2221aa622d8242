"use strict";
// Public alerts as a dispatcher needs them: live (approved or sent) alerts pinned in their own
// panel with all-clear and cancel at hand; drafts below, grouped by hazard and area (the group
// with a 위급 draft first, then the longest waiting), each saying why it was drafted (the rule,
// what met it, the evidence counted) and where its approval stands ("1 of 2 approvals"). An
// alert is one card whatever its updates (the newest version wins; folded incidents counted).
// A supervisor may silence a group's hazard in its area (console-silences). Cards are keyed.

GT.alertPanels = (() => {
  const { el, label, setText, setClass, alertTier, TIER_RANK } = GT;
  const HAZARD = {
    gas: "가스", chemical: "화학물질", smoke: "연기", flood: "침수", collapse: "붕괴",
    crowd: "인파", traffic: "교통", fire: "화재",
  };
  const hazardText = (h) => (h ? `${HAZARD[h] || h} ${h}` : "기타 other");
  const districtNames = (a) => (a.districts || []).map((d) => (typeof d === "string" ? d : d.name));
  const groupKey = (a) => `${a.hazard || ""}|${[...districtNames(a)].sort().join(",")}`;

  function button(text, cls, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  const approvalsOf = (a) => (a.approvals || []).map((x) => (typeof x === "string" ? x : x.dispatcher));
  const current = (C, id) => { const x = C.state.alerts.get(id); return x ? x.data : null; };

  function approve(C, a) {
    const before = approvalsOf(a).length;
    GT.actions.run({
      label: `승인 approve ${a.id}`, alertId: a.id,
      path: `/api/alerts/${encodeURIComponent(a.id)}/approve`,
      expect: () => { const now = current(C, a.id); return !now || now.status !== "draft" || approvalsOf(now).length > before; },
    });
  }

  function allClear(C, a) {
    GT.actions.run({
      label: `해제 all clear ${a.id}`, alertId: a.id,
      path: `/api/alerts/${encodeURIComponent(a.id)}/all-clear`,
      expect: () => { const now = current(C, a.id); return !now || now.status === "all_clear"; },
    });
  }

  async function cancel(C, a) {
    const ok = await GT.actions.confirm({
      message: `${label("tier", alertTier(a))} 경보를 취소합니까? Cancel this alert? “${a.headline || a.id}”`,
      okLabel: "경보 취소 Cancel alert", reason: "required" });
    if (!ok) return;
    GT.actions.run({
      label: `취소 cancel ${a.id}`, alertId: a.id,
      path: `/api/alerts/${encodeURIComponent(a.id)}/cancel`, body: { reason: ok.reason },
      expect: () => { const now = current(C, a.id); return !now || now.status === "cancelled"; },
    });
  }

  function card(C) {
    return {
      key: (a) => a.id,
      create: (a) => {
        const li = el("li");
        li.dataset.id = a.id;
        const head = el("div", "alert-head");
        head.append(el("span", "tier"), el("span", "state"), el("span", "approvals"), el("span", "wait"));
        const row = el("div", "actions");
        row.append(
          button("승인 Approve", "ok approve", () => approve(C, current(C, a.id))),
          button("해제 All clear", "ok all-clear", () => allClear(C, current(C, a.id))),
          button("취소 Cancel…", "danger cancel", () => cancel(C, current(C, a.id))));
        const why = el("div", "why");
        why.append(el("span", "rule"), el("span", "reasons"), el("span", "evidence"));
        li.append(groupHead(), head, el("div", "headline"), el("div", "message meta"), el("div", "where meta"), row, why);
        return li;
      },
      update: (li, a) => {
        const tier = alertTier(a);
        setClass(li, `alert tier-${tier} status-${a.status}`);
        const [, head, headline, message, where, row, why] = li.children;
        const [tierEl, stateEl, approvalsEl] = head.children;
        setText(tierEl, label("tier", tier));
        setText(stateEl, label("alertStatus", a.status));
        const have = approvalsOf(a);
        const need = a.approvals_required || 1;
        const mine = have.includes(C.subject);
        setText(approvalsEl, a.status === "draft" ? `${have.length} of ${need} approvals` + (mine ? " · you approved; a second dispatcher must" : "") : "");
        setText(headline, a.headline || "");
        setText(message, (a.message && a.message.ko) || "");
        const districts = (a.districts || []).map((d) => (typeof d === "string" ? d : d.name)).join(", ");
        const folded = (a.incident_ids || []).length;
        const updates = Math.max(a.version || 1, a.revision || 1);
        setText(where, `${districts} · ${a.incident_id}` + (folded > 1 ? ` · 사건 ${folded}건 합침 ${folded} incidents` : "")
          + (updates > 1 ? ` · 갱신 ${updates - 1}회 updated` : ""));
        const [ruleEl, reasonsEl, evidenceEl] = why.children;
        why.hidden = !a.why;
        setText(ruleEl, a.why ? `발령 근거 규칙 rule: ${a.why.rule}` : "");
        setText(reasonsEl, a.why && a.why.reasons ? `사유 why: ${a.why.reasons}` : "");
        setText(evidenceEl, a.why && a.why.evidence ? `근거 evidence: ${a.why.evidence}` : "");
        const [approveBtn, clearBtn] = row.children;
        approveBtn.hidden = a.status !== "draft";
        approveBtn.disabled = mine;
        setText(approveBtn, need > 1 && have.length ? `승인 Approve (${have.length + 1} of ${need})` : "승인 Approve");
        clearBtn.hidden = !(a.status === "approved" || a.status === "sent");
      },
      sig: (a) => `${a.status}|${a.revision || 1}|${a.version || 1}|${approvalsOf(a).join(",")}|${(a.incident_ids || []).length}`,
    };
  }

  function waitText(a) {
    const s = Math.max(0, (Date.now() - Date.parse(a.issued_at)) / 1000);
    return `waiting ${GT.fmtClock(s)}`;
  }

  function render(C) {
    const all = [...C.state.alerts.values()].map((x) => x.data);
    const live = all.filter((a) => a.status !== "draft")
      .sort((a, b) => String(b.sent_at || b.issued_at).localeCompare(String(a.sent_at || a.issued_at)));
    const drafts = all.filter((a) => a.status === "draft")
      .sort((a, b) => TIER_RANK[alertTier(a)] - TIER_RANK[alertTier(b)]
        || Date.parse(a.issued_at) - Date.parse(b.issued_at));
    const groups = new Map();
    for (const a of drafts) {
      const k = groupKey(a);
      if (!groups.has(k)) groups.set(k, { key: k, hazard: a.hazard || "", districts: districtNames(a), alerts: [] });
      groups.get(k).alerts.push(a);  // drafts are in order, so is each group and the groups
    }
    const spec = card(C);
    GT.reconcile(document.getElementById("live-alerts"), live, spec);
    const queue = document.getElementById("alerts");
    GT.reconcile(queue, [...groups.values()].flatMap((g) => g.alerts), spec);
    headGroups(C, queue, groups.values());
    setText(document.getElementById("live-count"), String(live.length));
    setText(document.getElementById("draft-count"), `${drafts.length} · ${groups.size}개 묶음 groups`);
    if (GT.silences) GT.silences.render(C);
    tick();
  }

  // A group of drafts of one hazard over one area is headed on its first card: the hazard, the
  // area, how many drafts, and a silence offer for a supervisor. The list stays one card per
  // alert, so each card keeps its place, focus and selectors whatever group it is in.
  function groupHead() {
    const head = el("div", "group-head");
    head.hidden = true;
    head.append(el("span", "hazard"), el("span", "area"), el("span", "count"));
    return head;
  }

  // The silence offer follows who is signed in on every render: that is known only once
  // /api/me answers, which may be after the first drafts are on screen.
  function silenceOffer(C, head) {
    let offer = head.querySelector("button.silence");
    const may = Boolean(GT.silences && GT.silences.maySilence(C));
    if (may && !offer) {
      offer = button("알림 보류 Silence…", "silence", () => GT.silences.offer(C, head._group));
      head.append(offer);
    } else if (!may && offer) {
      offer.remove();
      offer = null;
    }
    return offer;
  }

  function headGroups(C, container, groups) {
    const cards = container._gtKeyed || new Map();
    for (const g of groups) {
      g.alerts.forEach((a, i) => {
        const li = cards.get(a.id);
        if (!li) return;
        li.dataset.group = g.key;
        li.classList.toggle("group-first", i === 0);
        const head = li.firstElementChild;
        head.hidden = i !== 0;
        if (i !== 0) return;
        head._group = g;
        const [hazardEl, areaEl, countEl] = head.children;
        const silence = silenceOffer(C, head);
        if (silence) silence.hidden = !g.hazard;  // a record without a hazard cannot be silenced
        setText(hazardEl, hazardText(g.hazard));
        setText(areaEl, g.districts.join(", ") || "지역 미상 area unknown");
        setText(countEl, `${g.alerts.length}건 drafts`);
      });
    }
  }

  function tick() {
    for (const li of document.querySelectorAll("#alerts li.alert")) {
      const a = current(GT.console, li.dataset.id);
      if (a) setText(li.querySelector(".wait"), waitText(a));
    }
  }

  return { render, tick, hazardText };
})();
