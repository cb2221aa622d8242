"""The real client address: believed from a trusted proxy, ignored from anyone else."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.audit import AuditLog, AuditRecord
from console.proxies import CLIENT_ADDRESS, forwarded_chain, real_client
from stack.embedded import EmbeddedCache
from stack.settings import Settings
from tests.conftest import Process, start_console

PROXIES = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("192.0.2.7/32")]


def xff(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-forwarded-for", v.encode()) for v in values]


def test_a_peer_that_is_no_trusted_proxy_is_the_client_whatever_it_claims() -> None:
    chain = forwarded_chain(xff("198.51.100.9"), "x-forwarded-for")
    assert real_client("203.0.113.5", chain, PROXIES) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_forwarded_client_counts() -> None:
    chain = forwarded_chain(xff("198.51.100.9"), "x-forwarded-for")
    assert real_client("10.0.0.3", chain, PROXIES) == "198.51.100.9"


def test_an_address_the_client_prepends_is_not_believed() -> None:
    # the client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer
    chain = forwarded_chain(xff("1.2.3.4, 198.51.100.9"), "x-forwarded-for")
    assert real_client("10.0.0.3", chain, PROXIES) == "198.51.100.9"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    chain = forwarded_chain(xff("198.51.100.9", "192.0.2.7"), "x-forwarded-for")
    assert chain == ["198.51.100.9", "192.0.2.7"]
    assert real_client("10.0.0.3", chain, PROXIES) == "198.51.100.9"


def test_a_malformed_hop_stops_at_the_proxy_that_added_it() -> None:
    chain = forwarded_chain(xff("198.51.100.9, unknown"), "x-forwarded-for")
    assert real_client("10.0.0.3", chain, PROXIES) == "10.0.0.3"


def test_the_forwarded_header_is_read_with_ports_quotes_and_ipv6() -> None:
    headers = [
        (b"forwarded", b'for=1.2.3.4;proto=https, for="[2001:db8::17]:4711";by=10.0.0.3'),
        (b"forwarded", b"for=198.51.100.9:80"),
    ]
    chain = forwarded_chain(headers, "forwarded")
    assert chain == ["1.2.3.4", "2001:db8::17", "198.51.100.9"]
    assert real_client("10.0.0.3", chain, PROXIES) == "198.51.100.9"
    assert forwarded_chain(xff("1.2.3.4"), "forwarded") == []  # the other header is ignored


@given(st.text(max_size=120), st.sampled_from(["x-forwarded-for", "forwarded"]))
def test_any_header_text_gives_an_address_of_the_request(text: str, header: str) -> None:
    raw = text.encode("utf-8", "replace")
    chain = forwarded_chain([(header.encode(), raw)], header)
    assert real_client("10.0.0.3", chain, PROXIES) in {"10.0.0.3", *[h for h in chain if h]}


async def test_an_audit_record_names_the_real_client(cache: EmbeddedCache) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(cache.url)
    log = AuditLog(client, "gt:proxytest.")
    CLIENT_ADDRESS.set("198.51.100.9")
    record = AuditRecord("2026-01-01T00:00:00Z", "d1", "dispatcher", "ack", "inc-1", "cmd-1")
    await log.append(record)
    assert (await log.recent(1))[0]["client"] == "198.51.100.9"
    await client.delete(log.key)
    await client.aclose()


async def refused_after(base: str, forwarded_for: list[str]) -> int:
    """How many of these public requests, one per forwarded address, got 429."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        statuses = [
            (await client.get("/api/public/alerts", headers={"X-Forwarded-For": a})).status_code
            for a in forwarded_for
        ]
    return statuses.count(429)


MANY_CITIZENS = [f"198.51.{i // 250}.{i % 250 + 1}" for i in range(120)]


@pytest.mark.integration
async def test_without_trusted_proxies_forwarded_headers_do_not_split_the_bucket(
    settings: Settings, console: Process
) -> None:
    assert await refused_after(settings.console_url, MANY_CITIZENS) > 0


@pytest.mark.integration
async def test_behind_a_trusted_proxy_each_citizen_has_a_bucket(
    settings: Settings, tmp_path: Path
) -> None:
    proxied = settings.replace(trusted_proxies="127.0.0.1/32")
    proc = start_console(proxied, tmp_path)
    try:
        assert await refused_after(proxied.console_url, MANY_CITIZENS) == 0
        assert await refused_after(proxied.console_url, ["198.51.100.9"] * 120) > 0
    finally:
        proc.stop()
