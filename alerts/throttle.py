"""Time rules on sending: quiet hours for non-urgent alerts and per-district rate limits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from alerts.errors import RateLimitedError
from alerts.model import KST, Alert, MsgType
from alerts.policy import Policy

__all__ = ["check_rate", "quiet_until"]


def quiet_until(alert: Alert, at: datetime, policy: Policy) -> datetime | None:
    """When a quiet-hours alert may go out (None: it may go out now)."""
    if not policy.tiers[alert.tier].quiet_hours or alert.msg_type is MsgType.CANCEL:
        return None
    local = at.astimezone(KST)
    start, end = policy.quiet_start_hour, policy.quiet_end_hour
    hour = local.hour
    in_quiet = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if not in_quiet:
        return None
    release = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release


def check_rate(alert: Alert, recent: Iterable[Alert], at: datetime, policy: Policy) -> None:
    """Raise RateLimitedError when a new alert would exceed the per-district limit."""
    if not policy.tiers[alert.tier].rate_limited or alert.msg_type is not MsgType.ALERT:
        return
    window = timedelta(seconds=policy.rate_window_s)
    codes = {d.code for d in alert.districts}
    counts: dict[str, int] = {}
    for other in recent:
        if other.id == alert.id or other.sent_at is None or other.mode is not alert.mode:
            continue
        if not (at - window <= other.sent_at <= at):
            continue
        for d in other.districts:
            if d.code in codes:
                counts[d.code] = counts.get(d.code, 0) + 1
    over = sorted(code for code, n in counts.items() if n >= policy.rate_max_per_district)
    if over:
        raise RateLimitedError(
            f"districts {', '.join(over)} already had {policy.rate_max_per_district} alerts "
            f"in the last {policy.rate_window_s:.0f} s"
        )
