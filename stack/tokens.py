"""Tokens the embedded profile mints at start, so people and scripts can sign in."""

from __future__ import annotations

from typing import Any

from access import Role, TokenAuthority
from geo import City


def mint_profile_tokens(secret: str, city: City, ttl_s: float = 24 * 3600) -> dict[str, Any]:
    """A dispatcher, supervisor and service token, and one crew token per unit of the city."""
    authority = TokenAuthority(secret.encode())
    crew = {
        unit.unit_id: authority.mint(
            Role.CREW, f"crew-{unit.unit_id}", unit_id=unit.unit_id, ttl_s=ttl_s
        )
        for station in city.stations
        for unit in station.units
    }
    return {
        "dispatcher": authority.mint(Role.DISPATCHER, "dispatcher-1", ttl_s=ttl_s),
        "supervisor": authority.mint(Role.SUPERVISOR, "supervisor-1", ttl_s=ttl_s),
        "service": authority.mint(Role.SERVICE, "ingest-gateway", ttl_s=ttl_s),
        "crew": crew,
    }
