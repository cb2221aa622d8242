"""How the relay listens: a socket with a small send buffer, and uvicorn set up for video.

A viewer that reads slowly must make the relay's send block soon, so that its slot drops
frames instead of the kernel queueing seconds of video for it: the listening socket's
send buffer (inherited by every accepted connection, and exempt from autotuning) bounds
what is in flight per viewer. Per-message deflate is off: JPEG does not compress, and
deflating it would cost the CPU the fan-out needs.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from video_relay.config import RelayConfig

__all__ = ["listening_socket", "uvicorn_config"]


def listening_socket(host: str, port: int, send_buffer_bytes: int) -> socket.socket:
    """A bound TCP socket whose accepted connections keep ``send_buffer_bytes`` of send buffer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if send_buffer_bytes > 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def uvicorn_config(
    app: FastAPI, config: RelayConfig, *, log_level: str = "warning"
) -> uvicorn.Config:
    """A uvicorn configuration for ``app`` (serve it with ``Server.serve(sockets=[…])``)."""
    return uvicorn.Config(
        app,
        lifespan="on",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=config.max_frame_bytes + 4096,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,  # a forwarding header from any peer is not believed
    )
