"use strict";
// When a unit is due at its emergency room, and how that reads: one rule for the crew card
// and the console's hospital board.

GT.arrival = (() => {
  // ASSUMPTION: an ambulance within 2 min past its estimate is arriving, not late: drive-time
  // estimates from the road network are minutes apart from real drives either way.
  const ARRIVING_S = 120;
  const clock = (ms) => new Date(ms).toLocaleTimeString("ko-KR",
    { timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit", hour12: false });

  // Epoch ms the unit is due: the record's ETA from when it was issued, or from when the unit
  // left with its patient (``sinceMs`` of its "transporting") if that was later; null while
  // the unit reports another status (its crew has not left). A unit never heard of is taken
  // to be on its way.
  function dueMs(dest, status, sinceMs) {
    if (status && status !== "transporting") return null;
    const issued = Date.parse(dest.issued_at);
    return (sinceMs ? Math.max(issued, sinceMs) : issued) + (dest.eta_s || 0) * 1000;
  }

  // {left, text, cls}: minutes left and the time due, counting down; past it, arriving or
  // overdue by whole minutes (never a negative time). ``cls`` is "", "arriving" or "overdue".
  function describe(due, nowMs) {
    const leftS = (due - nowMs) / 1000;
    if (leftS > 0) return { text: `ETA ${Math.ceil(leftS / 60)}분 · ${clock(due)} 도착`, cls: "", short: `${Math.ceil(leftS / 60)}분` };
    if (-leftS < ARRIVING_S) return { text: `곧 도착 arriving · ETA ${clock(due)}`, cls: "arriving", short: "곧 도착 arriving" };
    const late = Math.floor(-leftS / 60);
    return { text: `도착 지연 overdue ${late}분 · ETA ${clock(due)}`, cls: "overdue", short: `지연 overdue ${late}분` };
  }

  return { dueMs, describe, ARRIVING_S };
})();
