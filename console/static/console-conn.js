"use strict";
// Honest connection state. The server pings an idle console socket every second, so silence
// means the link is down: after ``staleMs`` without a frame the badge says so, countdowns grey
// out and a banner warns; after ``restartMs`` the socket is replaced. Incidents that change
// while the console is stale are counted, and once live again the banner says
// "N changes while you were away", naming the P1s among them.

GT.conn = (() => {
  const { el, label, setText } = GT;
  const settings = { staleMs: 2500, restartMs: 6000, settleMs: 2500 };
  let link = null;
  let stale = false;
  let staleSince = 0;
  let away = null;     // {since, changed: Map id -> incident} while stale and until settled
  let liveAgainAt = 0;

  function badge(text, cls) {
    const conn = document.getElementById("conn");
    setText(conn, text);
    conn.className = `conn ${cls}`;
  }

  function banner(parts, cls) {
    const box = document.getElementById("banner");
    if (!parts) { box.hidden = true; box.replaceChildren(); return; }
    box.className = cls;
    box.replaceChildren(...parts);
    box.hidden = false;
  }

  function goStale(now) {
    stale = true;
    staleSince = link.lastFrameAt || now;
    if (!away) away = { since: staleSince, changed: new Map() };
    liveAgainAt = 0;
    document.body.classList.add("stale");
  }

  function summary() {
    const changed = [...away.changed.values()];
    const p1 = changed.filter((i) => i.priority === 1);
    const names = p1.slice(0, 5).map((i) => `P1 ${label("type", i.type)} ${i.place || i.address || i.district || ""} (${i.id})`);
    const text = `${changed.length} changes while you were away` + (p1.length ? ` — ${p1.length} P1: ${names.join("; ")}` + (p1.length > 5 ? " …" : "") : "");
    const ok = el("button", "dismiss", "확인 OK");
    ok.type = "button";
    ok.addEventListener("click", () => banner(null));
    banner([el("span", "away", text), ok], "away");
  }

  function check() {
    if (!link) return;
    const now = Date.now();
    const silentMs = now - (link.lastFrameAt || now);
    if (link.open && link.heard && silentMs <= settings.staleMs) {
      if (stale) {
        stale = false;
        liveAgainAt = now;
        document.body.classList.remove("stale");
        badge("live", "up");
        banner([el("span", "", "다시 연결됨 reconnected — catching up…")], "info");
      }
      if (away && liveAgainAt && now - liveAgainAt > settings.settleMs) {
        if (away.changed.size) summary(); else banner(null);
        away = null;
      }
      return;
    }
    if (!stale && (link.open ? silentMs > settings.staleMs : link.lastFrameAt > 0)) goStale(now);
    if (!stale) return;
    const quiet = Math.round((now - staleSince) / 1000);
    badge(`stale — no data for ${quiet} s`, "stale");
    banner([el("span", "", `연결 끊김 Connection lost: nothing received for ${quiet} s. What you see may be out of date. Reconnecting…`)], "lost");
    if (link.open && silentMs > settings.restartMs) link.restart();
  }

  // Note an incident state applied while the console is (or just was) away.
  function noteChange(inc) {
    if (away) away.changed.set(inc.id, inc);
  }

  function start(handle) {
    link = handle;
    setInterval(check, 200);
  }

  function onState(st, reason) {
    if (st === "live") { if (!stale) badge("live", "up"); return; }
    if (st === "refused") { badge(`refused (${reason})`, "down"); return; }
    if (!stale && link && link.lastFrameAt) goStale(Date.now());
    if (!stale) badge("connecting…", "down");
  }

  return { start, onState, noteChange, check, settings, isStale: () => stale };
})();
