"use strict";
// Dispatcher actions with visible outcomes. An action is "pending" from the click until its
// effect shows on the socket (done), a refusal shows there or comes back from the API
// (refused: why), or nothing happens for ``timeoutS`` (not confirmed). A refused action may
// offer the next step in one click (an accept refused because a unit is busy offers the fresh
// recommendation once it comes). Destructive actions ask first, in an in-page dialog that
// never blocks live updates; cancelling it sends nothing.

GT.actions = (() => {
  const { el, api, setText } = GT;
  const settings = { timeoutS: 10, keep: 8 };
  const outcomes = [];
  let seq = 0;
  let context = null;

  function describe(o) {
    if (o.state === "pending") return `${o.label}: ${o.sentAt ? "pending — waiting for the result" : "sending…"}`;
    if (o.state === "done") return `${o.label}: done`;
    if (o.state === "refused") return `${o.label}: refused: ${o.reason}`;
    return `${o.label}: not confirmed — no result in ${settings.timeoutS} s`;
  }

  function render() {
    const list = document.getElementById("outcomes");
    GT.reconcile(list, outcomes, {
      key: (o) => String(o.id),
      create: (o) => {
        const li = el("li");
        const offer = el("button", "ok offer");
        offer.type = "button";
        offer.hidden = true;
        offer.addEventListener("click", () => { const next = offerOf(o); if (next) next.act(); });
        li.append(el("span", "text"), offer);
        return li;
      },
      update: (li, o) => {
        li.className = `outcome ${o.state}`;
        li.dataset.state = o.state;
        if (o.incidentId) li.dataset.incident = o.incidentId;
        if (o.alertId) li.dataset.alert = o.alertId;
        setText(li.firstChild, describe(o) + (o.offerWait ? ` — ${o.offerWait}` : ""));
        setText(li.lastChild, o.offerLabel || "");
        li.lastChild.hidden = !o.offerLabel;
      },
      sig: (o) => `${o.state}|${Boolean(o.sentAt)}|${o.offerLabel || ""}|${o.offerWait || ""}`,
    });
    const latest = outcomes[0];
    setText(document.getElementById("notice"), latest ? describe(latest) : "");
  }

  function settle(o, state, reason) {
    o.state = state;
    o.reason = reason || "";
    o.settledAt = Date.now();
  }

  // What a refused action offers next now: {label, act} or {wait} (nothing yet) or null.
  function offerOf(o) {
    return o.state === "refused" && o.offer ? o.offer(o) : null;
  }

  // Re-check every pending action against the current state (called after each update), and
  // what each refused one offers next.
  function check() {
    if (!context) return;
    const now = Date.now();
    let changed = false;
    for (const o of outcomes) {
      if (o.state === "pending" && o.sentAt) {
        if (o.expect && o.expect(context.state, o)) { settle(o, "done"); changed = true; }
        else {
          const why = o.refusal ? o.refusal(context.state, now - o.sentAt, o) : null;
          if (why) { settle(o, "refused", why); changed = true; }
          else if (now - o.sentAt > settings.timeoutS * 1000) { settle(o, "unconfirmed"); changed = true; }
        }
      }
      const next = offerOf(o);
      const offerLabel = next && next.label ? next.label : "";
      const offerWait = next && next.wait ? next.wait : "";
      if (offerLabel !== (o.offerLabel || "") || offerWait !== (o.offerWait || "")) {
        o.offerLabel = offerLabel;
        o.offerWait = offerWait;
        changed = true;
      }
    }
    if (changed) { render(); if (context.onSettled) context.onSettled(); }
  }

  // POST an action and track it: spec = {label, path, body, expect(state, outcome),
  // refusal(state, ms, outcome), offer(outcome), refuseNow} (the outcome carries the action's
  // command id, once sent; ``offer`` says what to offer once refused: {label, act} or {wait};
  // with ``refuseNow`` nothing is sent and the action shows refused with that reason).
  async function run(spec) {
    const o = { id: ++seq, label: spec.label, state: "pending", expect: spec.expect,
                refusal: spec.refusal, offer: spec.offer, incidentId: spec.incidentId,
                alertId: spec.alertId, startedAt: Date.now() };
    outcomes.unshift(o);
    outcomes.splice(settings.keep);
    if (spec.refuseNow) { settle(o, "refused", spec.refuseNow); check(); render(); return o; }
    render();
    try {
      const res = await api(spec.path, { method: "POST", body: spec.body || {} });
      o.commandId = res && res.id;
      o.sentAt = Date.now();
      if (!o.expect) settle(o, "done");
    } catch (err) {
      settle(o, "refused", err.message);
    }
    check();
    render();
    return o;
  }

  // Ask before a destructive action: resolves {reason} on confirm, null on cancel or Esc.
  function confirm(opts) {
    const dialog = document.getElementById("confirm");
    const reasonBox = dialog.querySelector(".reason-box");
    const input = dialog.querySelector("input[name=reason]");
    setText(dialog.querySelector(".message"), opts.message);
    setText(dialog.querySelector("button.ok"), opts.okLabel || "Confirm");
    reasonBox.hidden = !opts.reason;
    input.required = opts.reason === "required";
    input.value = "";
    input.placeholder = opts.reason === "required" ? "사유 reason (required)" : "사유 reason (optional)";
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        resolve(dialog.returnValue === "ok" ? { reason: input.value.trim() } : null);
      }, { once: true });
      dialog.showModal();
      (opts.reason ? input : dialog.querySelector("button.cancel")).focus();
    });
  }

  function start(ctx) {
    context = ctx;
    setInterval(check, 250);
  }

  return { run, confirm, check, start, settings, outcomes };
})();
