"""Every route and socket × every role on a running console: nothing beyond the role.

Roles: dispatcher, supervisor, crew (own unit / another unit), service, none, and
expired / forged / revoked tokens. The matrix is checked against the app's own route list
(OpenAPI), so a new route without a row here fails the test. Each is checked with the token
as a script presents it (``Authorization``, the ``gt.bearer`` subprotocol) and through a
page's session cookie; a token in a URL is refused everywhere.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import redis
import websockets

from access import BEARER_SUBPROTOCOL, Role, TokenAuthority
from access.sessions import SESSION_COOKIE
from stack.settings import Settings
from tests.conftest import Process
from tests.console.conftest import bearer, eventually, publish
from tests.console.console_samples import (
    CITY_HALL,
    assignment,
    gas_leak_alerts,
    incident,
    overlay,
    token,
    unit_status,
)
from tests.console.hospital_samples import KANGBUK, destination

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DISPATCH = {"dispatcher", "supervisor"}
CREW = {"crew_own", "crew_other"}
EVERYONE = "public"
UNAUTHENTICATED = {"none", "expired", "forged", "revoked"}
ROLES = ["dispatcher", "supervisor", "crew_own", "crew_other", "service", *sorted(UNAUTHENTICATED)]
INC, OWN_UNIT, OTHER_UNIT = "inc-matrix-1", "E-1", "E-2"
STRUCTURE = "ST-U-G686-G687"  # an underpass of the built-in city (geo.structures)


def tokens(settings: Settings) -> dict[str, str | None]:
    """One token per role under test."""
    revoked = token(settings, Role.DISPATCHER)
    principal = TokenAuthority(settings.auth_secret.encode()).verify(revoked)
    r = redis.Redis.from_url(settings.redis_url)
    r.sadd(f"{settings.namespace}:revoked-tokens", principal.token_id)
    r.close()
    return {
        "dispatcher": token(settings, Role.DISPATCHER),
        "supervisor": token(settings, Role.SUPERVISOR),
        "crew_own": token(settings, Role.CREW, OWN_UNIT),
        "crew_other": token(settings, Role.CREW, OTHER_UNIT),
        "service": token(settings, Role.SERVICE),
        "none": None,
        "expired": token(settings, Role.DISPATCHER, ttl_s=-5),
        "forged": TokenAuthority(b"not-the-deployment-secret").mint(Role.DISPATCHER, "mallory"),
        "revoked": revoked,
    }


def call_body(call_id: str) -> dict[str, Any]:
    return {
        "id": call_id,
        "received_at": datetime.now(UTC).isoformat(),
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1], "accuracy_m": 30},
        "category": "fire",
        "description": "smoke",
        "caller": {"phone": "+82-10-1234-5678", "language": "ko"},
    }


def cctv_body(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "detected_at": datetime.now(UTC).isoformat(),
        "camera_id": "CAM-1",
        "kind": "smoke",
        "confidence": 0.9,
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1]},
    }


def sensor_body(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "measured_at": datetime.now(UTC).isoformat(),
        "sensor_id": "SMK-1",
        "kind": "smoke_detector",
        "value": 1.0,
        "unit": "alarm",
        "threshold": 1.0,
        "location": {"lon": CITY_HALL[0], "lat": CITY_HALL[1]},
    }


def silence_body() -> dict[str, Any]:
    x, y = CITY_HALL
    ring = [[x - 0.01, y - 0.01], [x + 0.01, y - 0.01], [x + 0.01, y + 0.01], [x - 0.01, y - 0.01]]
    area = {"type": "Polygon", "coordinates": [ring]}
    return {"hazard": "gas", "area": area, "duration_s": 600, "reason": "공사 중 점검"}


def supervisor_only(status: int) -> dict[str, int]:
    """A supervisor's route that answers ``status`` here; everyone else is refused."""
    return {r: status if r == "supervisor" else expected(r, {"supervisor"}) or 0 for r in ROLES}


def routes(draft_id: str, sent_id: str) -> list[tuple[str, str, Any, Any]]:
    """(method, path, body, who may) — who is a role set, EVERYONE, or {role: status}."""
    own_status = unit_status(OWN_UNIT, "available", CITY_HALL[0], CITY_HALL[1])
    draft_cap = {r: 200 if r in DISPATCH else 404 for r in ROLES}
    place_point = {"id": INC, "lon": CITY_HALL[0], "lat": CITY_HALL[1]}
    sso_body = {"code": "c", "code_verifier": "v" * 43, "redirect_uri": "http://x/login"}
    choice = {"hospital_id": KANGBUK[0]}
    return [
        ("GET", "/healthz", None, EVERYONE),
        ("GET", "/readyz", None, EVERYONE),
        ("GET", "/metrics", None, EVERYONE),
        ("GET", "/", None, EVERYONE),
        ("GET", "/crew", None, EVERYONE),
        ("GET", "/public", None, EVERYONE),
        ("GET", "/static/console.js", None, EVERYONE),
        ("GET", "/vendor/leaflet/leaflet.js", None, EVERYONE),
        ("GET", "/api/city", None, EVERYONE),
        ("GET", "/api/layers/districts", None, EVERYONE),
        ("GET", "/api/layers/dongs", None, EVERYONE),
        ("GET", "/api/layers/roads", None, EVERYONE),
        ("GET", "/api/layers/stations", None, EVERYONE),
        ("GET", "/api/layers/hydrants", None, DISPATCH | CREW),
        ("GET", "/api/layers/facilities", None, DISPATCH | CREW),
        ("GET", "/api/layers/cameras", None, DISPATCH),
        ("GET", "/api/public/alerts", None, EVERYONE),
        ("GET", "/alerts/feed", None, EVERYONE),
        ("GET", f"/api/alerts/{sent_id}/cap", None, EVERYONE),
        ("GET", f"/api/alerts/{draft_id}/cap", None, draft_cap),
        ("GET", "/api/incidents", None, DISPATCH),
        ("GET", f"/api/incidents/{INC}", None, DISPATCH),
        ("GET", f"/api/incidents/{INC}/overlay", None, DISPATCH),
        ("GET", "/api/assignments", None, DISPATCH),
        ("GET", "/api/units", None, DISPATCH),
        ("GET", "/api/scenario", None, DISPATCH),
        ("GET", "/api/alerts", None, DISPATCH),
        ("GET", "/api/audit", None, {"supervisor"}),
        ("POST", "/api/tokens/revoke", {"token_id": "tok-matrix-unused"}, {"supervisor"}),
        ("GET", "/api/session/check", None, DISPATCH | CREW | {"service"}),
        ("GET", "/api/me", None, DISPATCH | CREW | {"service"}),
        ("POST", "/api/session", None, {r: session_status(r) for r in ROLES}),
        ("POST", "/api/login-links/exchange", {"code": "x" * 32}, {r: 404 for r in ROLES}),
        ("GET", "/api/session/provider", None, EVERYONE),
        ("POST", "/api/session/oidc", sso_body, {r: 404 for r in ROLES}),
        ("GET", f"/api/crew/{OWN_UNIT}", None, DISPATCH | {"crew_own"}),
        ("POST", "/api/places", {"points": [place_point]}, DISPATCH | CREW),
        ("POST", f"/api/incidents/{INC}/accept", {}, DISPATCH),
        (
            "POST",
            f"/api/incidents/{INC}/override",
            {"unit_ids": ["E-9"], "reason": "closer"},
            DISPATCH,
        ),
        ("POST", f"/api/incidents/{INC}/resolve", {}, DISPATCH),
        ("POST", f"/api/incidents/{INC}/close", {}, DISPATCH),
        (
            "POST",
            f"/api/incidents/{INC}/merge",
            {"into_incident_id": "inc-matrix-2", "reason": "same fire"},
            DISPATCH,
        ),
        (
            "POST",
            f"/api/incidents/{INC}/split",
            {"evidence_ids": ["call-1"], "type": "medical", "reason": "other patient"},
            DISPATCH,
        ),
        (
            "POST",
            f"/api/incidents/{INC}/retype",
            {"type": "hazmat", "priority": 1, "reason": "chemicals"},
            DISPATCH,
        ),
        ("POST", f"/api/alerts/{draft_id}/approve", None, DISPATCH),
        ("POST", f"/api/alerts/{draft_id}/cancel", {"reason": "false alarm"}, DISPATCH),
        ("POST", f"/api/alerts/{sent_id}/all-clear", None, DISPATCH),
        ("GET", "/api/structures", None, DISPATCH),
        ("POST", f"/api/structures/{STRUCTURE}/confirm-closure", {}, DISPATCH),
        ("POST", f"/api/structures/{STRUCTURE}/close", {"reason": "침수 우려"}, DISPATCH),
        ("POST", f"/api/structures/{STRUCTURE}/reopen", {"reason": "배수 완료"}, DISPATCH),
        ("GET", "/api/public/closures", None, EVERYONE),
        ("POST", "/api/silences", silence_body(), {"supervisor"}),
        ("POST", "/api/silences/cmd-no-such-silence/lift", {}, supervisor_only(404)),
        ("GET", "/api/silences", None, DISPATCH),
        # before the unit reports itself back in service (its destination then ends)
        ("POST", f"/api/units/{OWN_UNIT}/destination", choice, DISPATCH | {"crew_own"}),
        ("GET", "/api/hospitals", None, DISPATCH),
        ("POST", f"/api/units/{OWN_UNIT}/out-of-service", {"reason": "pump"}, DISPATCH),
        ("POST", f"/api/units/{OWN_UNIT}/in-service", {}, DISPATCH),
        ("POST", "/api/calls", call_body("call-matrix"), DISPATCH | {"service"}),
        ("POST", "/api/cctv-events", cctv_body("cctv-matrix"), DISPATCH | {"service"}),
        ("POST", "/api/sensor-alarms", sensor_body("sen-matrix"), DISPATCH | {"service"}),
        ("POST", "/api/unit-status", own_status, DISPATCH | {"service", "crew_own"}),
        ("POST", "/logout", None, EVERYONE),  # last: it ends the cookie's session
    ]


def session_status(role: str) -> int:
    """What ``POST /api/session`` answers a role's token: sessions are for roles with pages."""
    if role in UNAUTHENTICATED:
        return 401
    return 403 if role == "service" else 200


def expected(role: str, who: Any) -> int | None:
    """The status a role must get (None: any success below 400)."""
    if isinstance(who, dict):
        return int(who[role])
    if who == EVERYONE or role in who:
        return None
    return 401 if role in UNAUTHENTICATED else 403


def seed(settings: Settings) -> dict[str, dict[str, Any]]:
    """An incident with overlay and assignment, both units, a draft and a sent alert."""
    steps = gas_leak_alerts("inc-gas-matrix")
    draft = {**steps["draft"], "id": "alert-draft-1"}
    sent = {**steps["sent"], "id": "alert-sent-1"}
    publish(settings, "incidents", [incident(INC)])
    publish(settings, "overlays", [overlay(INC)], key="incident_id")
    route = [(126.970, 37.560), CITY_HALL]
    publish(
        settings, "assignments", [assignment(INC, OWN_UNIT, "assigned", route)], key="incident_id"
    )
    units = [unit_status(u, "available", 126.97, 37.56) for u in (OWN_UNIT, OTHER_UNIT)]
    publish(settings, "unit-status", units, key="unit_id")
    publish(settings, "alerts", [draft, sent])
    publish(settings, "destinations", [destination(INC, OWN_UNIT)], key="incident_id")
    return {"draft": draft, "sent": sent}


async def page_sessions(settings: Settings, toks: dict[str, str | None]) -> dict[str, str]:
    """A session cookie per role as a signed-in page holds it. Service tokens get none (no
    pages), and no unauthenticated token does: those present a cookie naming no session, and
    the revoked role a session whose token is revoked after signing in."""
    cookies = {r: secrets.token_urlsafe(32) for r in ROLES}
    own = {"Origin": settings.console_url}
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=20) as http:
        for role in ("dispatcher", "supervisor", "crew_own", "crew_other"):
            answer = await http.post("/api/session", headers={**bearer(toks[role]), **own})
            cookies[role] = answer.cookies[SESSION_COOKIE]
        victim = token(settings, Role.DISPATCHER)
        answer = await http.post("/api/session", headers={**bearer(victim), **own})
        cookies["revoked"] = answer.cookies[SESSION_COOKIE]
    principal = TokenAuthority(settings.auth_secret.encode()).verify(victim)
    r = redis.Redis.from_url(settings.redis_url)
    r.sadd(f"{settings.namespace}:revoked-tokens", principal.token_id)
    r.close()
    return cookies


def credentials(
    settings: Settings, presented: str, role: str, tok: str | None, cookie: str
) -> dict[str, str]:
    """The headers carrying a role's credentials as a script (bearer) or a page (cookie)."""
    if presented == "bearer":
        return bearer(tok)
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", "Origin": settings.console_url}


def expected_as(presented: str, role: str, path: str, who: Any) -> int | None:
    """The status a role must get, presented as a script or as a page."""
    if presented == "cookie" and path == "/api/session":
        return 401  # it takes a bearer token, never the cookie
    if presented == "cookie" and role == "service":
        return expected("none", who)  # no page session exists for a service token
    return expected(role, who)


@pytest.mark.parametrize("presented", ["bearer", "cookie"])
async def test_every_route_for_every_role(
    settings: Settings, console: Process, presented: str
) -> None:
    alerts = seed(settings)
    toks = tokens(settings)
    cookies = await page_sessions(settings, toks)
    table = routes(alerts["draft"]["id"], alerts["sent"]["id"])
    async with httpx.AsyncClient(base_url=settings.console_url, timeout=20) as http:
        dispatcher = bearer(toks["dispatcher"])

        async def seeded() -> bool:
            units = (await http.get("/api/units", headers=dispatcher)).json()
            alerts_now = (await http.get("/api/alerts", headers=dispatcher)).json()
            crew = (await http.get(f"/api/crew/{OWN_UNIT}", headers=dispatcher)).json()
            return len(units) == 2 and len(alerts_now) == 2 and crew["destination"] is not None

        await eventually(seeded)
        paths = set((await http.get("/openapi.json")).json()["paths"])
        covered = {_template(p) for _, p, _, _ in table}
        assert paths - covered <= {"/openapi.json", "/docs", "/redoc"}, paths - covered
        failures = []
        for method, path, body, who in table:
            for role in ROLES:
                http.cookies.clear()
                given = credentials(settings, presented, role, toks[role], cookies[role])
                response = await http.request(
                    method,
                    path,
                    headers={**given, "Content-Type": "application/json"},
                    content=None if body is None else orjson.dumps(body),
                )
                want = expected_as(presented, role, path, who)
                got = response.status_code
                if (want is None and got >= 400) or (want is not None and got != want):
                    failures.append(f"{method} {path} as {role}: {got} (want {want or '<400'})")
        assert not failures, "\n".join(failures)
        # nothing readable leaked: a crew's own view never carries another unit's data
        own = (await http.get(f"/api/crew/{OWN_UNIT}", headers=bearer(toks["crew_own"]))).json()
        assert (
            own["assignment"]["unit_id"] == OWN_UNIT
            and OTHER_UNIT not in orjson.dumps(own).decode()
        )


def _template(path: str) -> str:
    parts = path.split("/")
    names = {
        "incidents": "{incident_id}",
        "alerts": "{alert_id}",
        "units": "{unit_id}",
        "crew": "{unit_id}",
        "layers": "{name}",
        "silences": "{silence_id}",
        "structures": "{structure_id}",
    }
    out = []
    for i, part in enumerate(parts):
        prev = parts[i - 1] if i else ""
        if prev in names and part not in ("cap",) and i == 3:
            out.append(names[prev])
        else:
            out.append(part)
    return "/".join(out)


SOCKETS = {
    "/ws/console": DISPATCH,
    f"/ws/crew/{OWN_UNIT}": DISPATCH | {"crew_own"},
    "/ws/public": EVERYONE,
}


@pytest.mark.parametrize("presented", ["subprotocol", "cookie", "query"])
async def test_every_socket_for_every_role(
    settings: Settings, console: Process, presented: str
) -> None:
    """Scripts offer the token as a subprotocol, pages carry the session cookie; a token in
    the URL is never read (the socket is then unauthenticated)."""
    toks = tokens(settings)
    cookies = await page_sessions(settings, toks)
    base = settings.console_url.replace("http", "ws")
    failures = []
    for path, who in SOCKETS.items():
        for role in ROLES:
            tok = toks[role]
            query = f"?token={tok}" if tok and presented == "query" else ""
            offer = [BEARER_SUBPROTOCOL, tok] if tok and presented == "subprotocol" else None
            page = credentials(settings, "cookie", role, tok, cookies[role])
            headers = page if presented == "cookie" else None
            async with websockets.connect(
                base + path + query,
                subprotocols=offer,  # type: ignore[arg-type]
                additional_headers=headers,
            ) as ws:
                if offer and who != EVERYONE:
                    assert ws.subprotocol == BEARER_SUBPROTOCOL  # the token is never echoed
                if presented == "query" and who != EVERYONE:
                    want: int | None = 401  # a token in the URL is never read
                else:
                    want = expected_as(presented, role, path, who)
                try:
                    first = orjson.loads(await ws.recv())
                    got: Any = first["type"]
                except websockets.ConnectionClosed as closed:
                    got = closed.rcvd.code if closed.rcvd else None
                wanted = "snapshot" if want is None else {401: 4401, 403: 4403}[want]
                if got != wanted:
                    failures.append(f"{path} as {role}: {got} (want {wanted})")
    assert not failures, "\n".join(failures)
