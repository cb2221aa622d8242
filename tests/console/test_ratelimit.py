"""The public endpoints' token buckets, on a fake clock."""

from __future__ import annotations

from console.ratelimit import TokenBuckets


def test_a_burst_is_served_then_refused_then_served_again_as_tokens_refill() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate_per_s=2.0, burst=3.0, clock=lambda: now[0])
    assert [buckets.allow("1.2.3.4")[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait_s = buckets.allow("1.2.3.4")
    assert not allowed and 0 < wait_s <= 0.5
    assert buckets.allow("5.6.7.8")[0]  # another client has its own bucket
    now[0] += 0.5
    assert buckets.allow("1.2.3.4")[0]


def test_forgotten_clients_do_not_grow_memory_without_bound() -> None:
    buckets = TokenBuckets(rate_per_s=1.0, burst=1.0, max_keys=10, clock=lambda: 0.0)
    for i in range(100):
        buckets.allow(f"10.0.0.{i}")
    assert len(buckets._buckets) == 10
