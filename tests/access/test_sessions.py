"""Session cookies and the same-origin checks: the examples run, and arbitrary header text
never crashes a check or lets a foreign origin through."""

from __future__ import annotations

import doctest

from hypothesis import given
from hypothesis import strategies as st

from access import origin, sessions
from access.origin import is_same_host, refuses_write
from access.sessions import SECURE_SESSION_COOKIE, SESSION_COOKIE, session_id_of

OWN = "https://console.example.org"


def test_the_docstring_examples_run() -> None:
    assert doctest.testmod(sessions).failed == 0
    assert doctest.testmod(origin).failed == 0


def test_over_tls_only_the_host_prefixed_cookie_counts() -> None:
    cookies = {SESSION_COOKIE: "p" * 43}
    assert session_id_of(cookies, secure=False) == "p" * 43
    assert session_id_of(cookies, secure=True) is None  # planted over plain HTTP
    assert session_id_of({SECURE_SESSION_COOKIE: "s" * 43}, secure=True) == "s" * 43
    assert session_id_of({SESSION_COOKIE: "short"}, secure=False) is None


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()), st.booleans())
def test_only_this_origin_writes(given_origin: str | None, site: str | None, cookie: bool) -> None:
    refused = refuses_write(given_origin, site, OWN, by_cookie=cookie)
    if not refused:
        assert given_origin is None or given_origin.lower() == OWN
        assert site is None or site.lower() == "same-origin"


@given(st.one_of(st.none(), st.text()), st.text())
def test_any_origin_text_is_judged_without_a_crash(given_origin: str | None, host: str) -> None:
    if is_same_host(given_origin, host):
        assert given_origin is not None and given_origin.startswith(("http://", "https://"))
