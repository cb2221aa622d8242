"""Bearer tokens: standard JWTs with roles, units, expiry, key rotation; forgeries refused."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from access import AUDIENCE, ISSUER, Role, TokenAuthority, TokenError
from access.tokens import _signing_key, key_id

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


def test_a_token_is_a_standard_jwt_with_issuer_audience_expiry_and_key_id() -> None:
    token = TokenAuthority(SECRET).mint(Role.DISPATCHER, "d", ttl_s=60)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256" and header["kid"] == key_id(SECRET)
    claims = jwt.decode(
        token, _signing_key(SECRET), algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )
    assert claims["role"] == "dispatcher" and claims["sub"] == "d" and claims["jti"]
    assert 59 <= claims["exp"] - claims["iat"] <= 61


def test_a_rotated_secret_still_verifies_until_it_is_dropped() -> None:
    old, new = b"the-old-deployment-secret", b"the-new-deployment-secret"
    token = TokenAuthority(old).mint(Role.SUPERVISOR, "s")
    rotated = TokenAuthority(new, previous_secrets=[old])
    assert rotated.verify(token).role is Role.SUPERVISOR
    assert jwt.get_unverified_header(rotated.mint(Role.SERVICE, "x"))["kid"] == key_id(new)
    with pytest.raises(TokenError, match="unknown signing key"):
        TokenAuthority(new).verify(token)


def _signed(claims: dict[str, object], **header: str) -> str:
    headers = {"kid": key_id(SECRET), **header}
    return jwt.encode(claims, _signing_key(SECRET), algorithm="HS256", headers=headers)


GOOD = {"iss": ISSUER, "aud": AUDIENCE, "sub": "d", "jti": "j1", "exp": 4e9, "role": "dispatcher"}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"aud": "another-service"}, "(?i)audience"),
        ({"iss": "someone-else"}, "(?i)issuer"),
        ({"exp": None}, "exp"),
        ({"jti": None}, "jti"),
        ({"role": "mayor"}, "payload"),
        ({"role": "crew"}, "unit"),
    ],
)
def test_a_token_with_the_right_key_but_wrong_claims_is_refused(
    change: dict[str, object], why: str
) -> None:
    claims = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert TokenAuthority(SECRET).verify(_signed(GOOD)).role is Role.DISPATCHER
    with pytest.raises(TokenError, match=why):
        TokenAuthority(SECRET).verify(_signed(claims))


def test_an_unsigned_token_is_refused() -> None:
    unsigned = jwt.encode(GOOD, None, algorithm="none", headers={"kid": key_id(SECRET)})
    with pytest.raises(TokenError):
        TokenAuthority(SECRET).verify(unsigned)
