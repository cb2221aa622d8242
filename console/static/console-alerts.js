"use strict";
// Public alerts as a dispatcher needs them: live (approved or sent) alerts pinned in their own
// panel with all-clear and cancel at hand; drafts below, by tier (위급 first) then longest
// waiting, each showing where its approval stands ("1 of 2 approvals"). Cards are keyed.

GT.alertPanels = (() => {
  const { el, label, setText, setClass, alertTier, TIER_RANK } = GT;

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
        li.append(head, el("div", "headline"), el("div", "message meta"), el("div", "where meta"), row);
        return li;
      },
      update: (li, a) => {
        const tier = alertTier(a);
        setClass(li, `alert tier-${tier} status-${a.status}`);
        const [head, headline, message, where, row] = li.children;
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
        setText(where, `${districts} · ${a.incident_id}`);
        const [approveBtn, clearBtn] = row.children;
        approveBtn.hidden = a.status !== "draft";
        approveBtn.disabled = mine;
        setText(approveBtn, need > 1 && have.length ? `승인 Approve (${have.length + 1} of ${need})` : "승인 Approve");
        clearBtn.hidden = !(a.status === "approved" || a.status === "sent");
      },
      sig: (a) => `${a.status}|${a.revision || 1}|${a.version || 1}|${approvalsOf(a).join(",")}`,
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
    const spec = card(C);
    GT.reconcile(document.getElementById("live-alerts"), live, spec);
    GT.reconcile(document.getElementById("alerts"), drafts, spec);
    setText(document.getElementById("live-count"), String(live.length));
    setText(document.getElementById("draft-count"), String(drafts.length));
    tick();
  }

  function tick() {
    for (const li of document.querySelectorAll("#alerts li.alert")) {
      const a = current(GT.console, li.dataset.id);
      if (a) setText(li.querySelector(".wait"), waitText(a));
    }
  }

  return { render, tick };
})();
