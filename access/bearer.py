"""How a browser presents a token on a WebSocket without putting it in the URL."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BEARER_SUBPROTOCOL", "subprotocol_token"]

BEARER_SUBPROTOCOL = "gt.bearer"
"""A browser cannot set headers on a WebSocket, so it offers ``["gt.bearer", <token>]`` as
subprotocols: the token travels in a header, never in the URL (logs, history, Referer).
The server accepts the socket with ``gt.bearer`` and never echoes the token."""


def subprotocol_token(subprotocols: Sequence[str] | None) -> str | None:
    """The token a client offered after ``gt.bearer`` among its WebSocket subprotocols."""
    offered = list(subprotocols or [])
    if BEARER_SUBPROTOCOL in offered:
        i = offered.index(BEARER_SUBPROTOCOL)
        if i + 1 < len(offered):
            return offered[i + 1]
    return None
