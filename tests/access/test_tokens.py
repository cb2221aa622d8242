"""Bearer tokens: roles, units, expiry, forgery."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from access import Role, TokenAuthority, TokenError

SECRET = b"0123456789abcdef0123456789abcdef"


def test_round_trip_keeps_role_and_unit() -> None:
    authority = TokenAuthority(SECRET)
    who = authority.verify(authority.mint(Role.CREW, "crew-a", unit_id="E-1"))
    assert who.role is Role.CREW and who.unit_id == "E-1" and not who.can_dispatch()


def test_expired_tokens_are_refused() -> None:
    now = [1000.0]
    authority = TokenAuthority(SECRET, clock=lambda: now[0])
    token = authority.mint(Role.DISPATCHER, "d", ttl_s=60)
    assert authority.verify(token).can_dispatch()
    now[0] += 61
    with pytest.raises(TokenError, match="expired"):
        authority.verify(token)


def test_a_token_from_another_secret_or_tampered_is_refused() -> None:
    token = TokenAuthority(b"another-secret-of-16+bytes").mint(Role.DISPATCHER, "d")
    with pytest.raises(TokenError, match="signature"):
        TokenAuthority(SECRET).verify(token)
    good = TokenAuthority(SECRET).mint(Role.CREW, "c", unit_id="E-1")
    version, body, sig = good.split(".")
    with pytest.raises(TokenError):
        TokenAuthority(SECRET).verify(f"{version}.{body[:-2]}xx.{sig}")


def test_crew_tokens_must_name_a_unit() -> None:
    with pytest.raises(ValueError):
        TokenAuthority(SECRET).mint(Role.CREW, "c")


@given(st.text(max_size=300))
def test_arbitrary_strings_raise_only_token_error(text: str) -> None:
    with pytest.raises(TokenError):
        TokenAuthority(SECRET).verify(text)
