"use strict";
// The live camera panel (video relay; every viewing is audited with its incident). A feed that
// shows no picture within ``firstFrameS`` or closes says so, with a retry; Esc closes the panel.

GT.feed = (() => {
  const { el, api } = GT;
  const settings = { firstFrameS: 8 };
  let feed = null;

  function button(text, cls, onClick) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function fail(f, text) {
    f.status.textContent = text;
    f.status.classList.add("error");
    f.retry.hidden = false;
    if (f.ws) { f.ws.onclose = null; f.ws.close(); f.ws = null; }
  }

  async function connect(f) {
    f.status.textContent = `connecting to ${f.cameraId}…`;
    f.status.classList.remove("error");
    f.retry.hidden = true;
    let city;
    try { city = await api("/api/city"); }
    catch (err) { fail(f, `${f.cameraId}: ${err.message}`); return; }
    if (feed !== f) return;
    if (!city.video_port) { fail(f, "no video relay configured"); return; }
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const q = new URLSearchParams({ incident_id: f.incidentId, reason: `incident ${f.incidentId}` });
    // the session cookie rides along (cookies do not tell ports apart); the relay checks
    // that the socket comes from a page of its own host
    const ws = new WebSocket(`${proto}://${location.hostname}:${city.video_port}` +
                             `/ws/video/${encodeURIComponent(f.cameraId)}?${q}`);
    f.ws = ws;
    let frames = 0;
    ws.binaryType = "blob";
    clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      if (feed === f && !frames) fail(f, `${f.cameraId}: no picture within ${settings.firstFrameS} s`);
    }, settings.firstFrameS * 1000);
    ws.onmessage = (e) => {
      if (typeof e.data === "string") return;  // control messages
      frames += 1;
      const url = URL.createObjectURL(e.data);
      f.img.onload = () => URL.revokeObjectURL(url);
      f.img.src = url;
      f.status.textContent = `${f.cameraId} · live`;
    };
    ws.onclose = (e) => { if (feed === f) fail(f, `${f.cameraId}: closed (${e.code} ${e.reason || ""})`); };
  }

  function open(cameraId, incidentId) {
    close();
    const panel = el("div", "feed");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", `camera ${cameraId}`);
    const status = el("div", "feed-status");
    const img = document.createElement("img");
    img.alt = `camera ${cameraId}`;
    const f = { panel, status, img, cameraId, incidentId, ws: null, timer: null };
    f.retry = button("다시 시도 Retry", "retry", () => connect(f));
    const x = button("✕", "close-feed", close);
    x.setAttribute("aria-label", "close camera (Esc)");
    panel.append(x, status, f.retry, img);
    document.body.append(panel);
    feed = f;
    connect(f);
  }

  function close() {
    if (!feed) return;
    const f = feed;
    feed = null;
    clearTimeout(f.timer);
    if (f.ws) { f.ws.onclose = null; f.ws.close(); }
    f.panel.remove();
  }

  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && feed) close(); });

  return { open, close, settings, isOpen: () => Boolean(feed) };
})();
