"use strict";
// Dispatcher actions with visible outcomes. An action is "pending" from the click until its
// effect shows on the socket (done), a refusal shows there or comes back from the API
// (refused: why), or nothing happens for ``timeoutS`` (not confirmed). Destructive actions ask
// first, in an in-page dialog that never blocks live updates; cancelling it sends nothing.

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
      create: () => el("li"),
      update: (li, o) => {
        li.className = `outcome ${o.state}`;
        li.dataset.state = o.state;
        if (o.incidentId) li.dataset.incident = o.incidentId;
        if (o.alertId) li.dataset.alert = o.alertId;
        setText(li, describe(o));
      },
      sig: (o) => `${o.state}|${Boolean(o.sentAt)}`,
    });
    const latest = outcomes[0];
    setText(document.getElementById("notice"), latest ? describe(latest) : "");
  }

  function settle(o, state, reason) {
    o.state = state;
    o.reason = reason || "";
    o.settledAt = Date.now();
  }

  // Re-check every pending action against the current state (called after each update).
  function check() {
    if (!context) return;
    const now = Date.now();
    let changed = false;
    for (const o of outcomes) {
      if (o.state !== "pending" || !o.sentAt) continue;
      if (o.expect && o.expect(context.state, o)) { settle(o, "done"); changed = true; continue; }
      const why = o.refusal ? o.refusal(context.state, now - o.sentAt, o) : null;
      if (why) { settle(o, "refused", why); changed = true; continue; }
      if (now - o.sentAt > settings.timeoutS * 1000) { settle(o, "unconfirmed"); changed = true; }
    }
    if (changed) { render(); if (context.onSettled) context.onSettled(); }
  }

  // POST an action and track it: spec = {label, path, body, expect(state, outcome),
  // refusal(state, ms, outcome)} (the outcome carries the action's command id, once sent).
  async function run(spec) {
    const o = { id: ++seq, label: spec.label, state: "pending", expect: spec.expect,
                refusal: spec.refusal, incidentId: spec.incidentId, alertId: spec.alertId,
                startedAt: Date.now() };
    outcomes.unshift(o);
    outcomes.splice(settings.keep);
    render();
    try {
      const res = await api(spec.path, { method: "POST", token: context.token, body: spec.body || {} });
      o.commandId = res && res.id;
      o.sentAt = Date.now();
      if (!o.expect) settle(o, "done");
    } catch (err) {
      settle(o, "refused", err.message);
    }
    render();
    check();
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
