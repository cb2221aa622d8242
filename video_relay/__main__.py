"""Entry point: ``python -m video_relay [--host H] [--port P] [--no-city]``.

Reads the deployment's ``GT_…`` variables (the same names as the other services):
``GT_AUTH_SECRET`` (required), ``GT_REDIS_URL``, ``GT_TOPIC_PREFIX``, ``GT_DATA_DIR``
(city cameras; the built-in city when unset), ``GT_VIDEO_PORT``, ``GT_LOG_LEVEL``,
``GT_VIDEO_PULL_HOSTS`` and ``GT_VIDEO_PULL_NETWORKS`` (comma-separated camera hosts and
CIDR networks a run-time camera's pull URL may reach; none by default).
``--ingest-token CAMERA_ID`` prints a fixed camera's ingest token and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from access import authority_for
from stack.settings import ENV_VARS, Settings
from video_relay.cameras import CameraLike, CameraRegistry
from video_relay.config import RelayConfig
from video_relay.service import ingest_secret_for, run

SEOUL_CCTV_FILE = "seoul_cctv_gangnam_geumcheon.csv"


def _cameras(env: Mapping[str, str], no_city: bool) -> Sequence[CameraLike]:
    """The city's cameras: read straight from the Seoul CCTV file when there is one (the
    relay needs no road graph), else those of the city geo loads (built-in or OSM)."""
    if no_city:
        return ()
    data_dir = Path(env["GT_DATA_DIR"]) if env.get("GT_DATA_DIR") else None
    cctv = data_dir / SEOUL_CCTV_FILE if data_dir is not None else None
    if cctv is not None and cctv.exists():
        from geo.seoul_points import read_cameras

        cameras, _report = read_cameras(cctv)
        return cameras
    from geo import load_city  # loaded only when the relay actually starts

    return load_city(data_dir).cameras


def _settings(env: Mapping[str, str]) -> Settings:
    """The deployment's settings (token secrets, identity provider) from its GT_ variables."""
    return Settings.from_env({k: v for k, v in env.items() if k in ENV_VARS.values()})


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the relay (or print an ingest token); return the exit status."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python -m video_relay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(env.get("GT_VIDEO_PORT") or 8090))
    parser.add_argument("--no-city", action="store_true", help="start with no fixed cameras")
    parser.add_argument("--ingest-token", metavar="CAMERA_ID", help="print it and exit")
    args = parser.parse_args(argv)
    secret = env.get("GT_AUTH_SECRET", "")
    if len(secret) < 16:
        print("GT_AUTH_SECRET must be set (at least 16 characters)", file=sys.stderr)
        return 2
    level = env.get("GT_LOG_LEVEL", "info").lower()
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(name)s %(message)s")
    config = RelayConfig(
        ingest_secret=ingest_secret_for(secret),
        topic_prefix=env.get("GT_TOPIC_PREFIX", ""),
        pull_allowed_hosts=_listed(env.get("GT_VIDEO_PULL_HOSTS")),
        pull_allowed_networks=_listed(env.get("GT_VIDEO_PULL_NETWORKS")),
    )
    cameras = _cameras(env, args.no_city)
    if args.ingest_token:
        registry = CameraRegistry(cameras, config.ingest_secret)
        print(registry.fixed_ingest_token(args.ingest_token))
        return 0
    run(
        config,
        authority_for(_settings(env)),
        env.get("GT_REDIS_URL", "redis://127.0.0.1:6379/0"),
        cameras,
        host=args.host,
        port=args.port,
        log_level=level,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
