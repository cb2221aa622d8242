"use strict";
// Sign-in: a pasted token, a one-time link (#code=…) or the city's SSO, each ending in a
// session cookie the server sets (HttpOnly: no script, this one included, can read it). The
// token is sent once and kept nowhere in the browser: not in a URL, storage or a cookie.
(function () {
  const status = document.getElementById("status");

  function fail(message) { status.textContent = message; status.classList.add("error"); }

  // where a signed-in person goes: a crew to its unit's view, dispatchers to the console
  function enter(who) { location.replace(who.role === "crew" ? "/crew" : "/"); }

  async function signIn(token) {
    const res = await fetch("/api/session", { method: "POST", headers: { Authorization: "Bearer " + token } });
    if (!res.ok) { fail(`토큰이 유효하지 않습니다 / token refused (${res.status})`); return; }
    enter(await res.json());
  }

  document.getElementById("sign-in").addEventListener("submit", (e) => {
    e.preventDefault();
    const field = document.getElementById("token");
    const token = field.value.trim();
    field.value = "";
    if (token) signIn(token);
  });

  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const redirectUri = location.origin + location.pathname;

  // The city's SSO: authorization code with PKCE; the console redeems the code. The verifier
  // waits in this tab's sessionStorage for the provider's answer only, and is removed then.
  async function toProvider(provider) {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    sessionStorage.setItem("gt-oidc", JSON.stringify({ verifier, state }));
    const q = new URLSearchParams({ response_type: "code", client_id: provider.client_id,
      redirect_uri: redirectUri, scope: provider.scope, state, code_challenge: challenge,
      code_challenge_method: "S256" });
    location.assign(`${provider.authorize_url}?${q}`);
  }

  async function fromProvider(query) {
    const pending = JSON.parse(sessionStorage.getItem("gt-oidc") || "{}");
    sessionStorage.removeItem("gt-oidc");
    if (!pending.state || pending.state !== query.get("state")) { fail("로그인 상태 불일치 / sign-in state mismatch"); return; }
    status.textContent = "로그인 중… / Signing in…";
    const res = await fetch("/api/session/oidc", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: query.get("code"), code_verifier: pending.verifier, redirect_uri: redirectUri }),
    });
    if (!res.ok) { fail(`SSO 로그인 실패 / SSO sign-in refused (${res.status})`); return; }
    enter(await res.json());
  }

  fetch("/api/session/provider").then((r) => r.json()).then((provider) => {
    if (!provider.enabled) return;
    const sso = document.getElementById("sso");
    sso.hidden = false;
    sso.addEventListener("click", () => toProvider(provider));
  }, () => {});

  const query = new URLSearchParams(location.search);
  const code = new URLSearchParams(location.hash.slice(1)).get("code");
  history.replaceState(null, "", location.pathname);  // codes leave the address bar at once
  if (query.get("code")) fromProvider(query);
  if (code) {
    status.textContent = "로그인 중… / Signing in…";
    fetch("/api/login-links/exchange", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code }),
    }).then(async (res) => {
      if (!res.ok) { fail("이 링크는 이미 사용되었거나 만료되었습니다 / this link was used or has expired"); return; }
      enter(await res.json());
    }, () => fail("연결 실패 / cannot reach the console"));
  }
})();
