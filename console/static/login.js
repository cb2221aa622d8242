"use strict";
// Sign-in: a pasted token, or a one-time link (#code=…) exchanged once for a token. The token
// is kept in this tab's sessionStorage only: never in a URL, a cookie or another tab.
(function () {
  const status = document.getElementById("status");

  function fail(message) { status.textContent = message; status.classList.add("error"); }

  async function signIn(token) {
    const res = await fetch("/api/session/check", { headers: { Authorization: "Bearer " + token } });
    if (!res.ok) { fail(`토큰이 유효하지 않습니다 / token refused (${res.status})`); return; }
    const who = await res.json();
    if (who.role === "crew") {
      sessionStorage.setItem("gt-crew-token", token);
      location.replace("/crew");
    } else {
      sessionStorage.setItem("gt-token", token);
      location.replace("/");
    }
  }

  document.getElementById("sign-in").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = document.getElementById("token").value.trim();
    if (token) signIn(token);
  });

  const code = new URLSearchParams(location.hash.slice(1)).get("code");
  history.replaceState(null, "", location.pathname);  // the code leaves the address bar at once
  if (code) {
    status.textContent = "로그인 중… / Signing in…";
    fetch("/api/login-links/exchange", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code }),
    }).then(async (res) => {
      if (!res.ok) { fail("이 링크는 이미 사용되었거나 만료되었습니다 / this link was used or has expired"); return; }
      signIn((await res.json()).token);
    }, () => fail("연결 실패 / cannot reach the console"));
  }
})();
