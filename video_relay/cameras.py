"""The camera registry: fixed city CCTV plus cameras registered at run time, with ingest tokens.

A fixed camera's ingest token is derived from the relay's ingest secret (HMAC of its id),
so an installer can provision a camera without the relay storing anything. A camera
registered at run time (a drone, a crew's body camera) gets a random token at
registration; the relay keeps only its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from video_relay.errors import RegistrationError, Unauthenticated, UnknownCamera

__all__ = ["CAMERA_KINDS", "CameraEntry", "CameraLike", "CameraRegistry", "check_position"]

CAMERA_KINDS = ("cctv", "drone", "body_cam", "vehicle", "other")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")


class CameraLike(Protocol):
    """What the relay needs of a city camera (``geo.Camera`` has these fields)."""

    @property
    def id(self) -> str: ...
    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def purpose(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def direction_deg(self) -> float | None: ...
    @property
    def district(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class CameraEntry:
    """A camera the relay can carry; position is WGS84, direction a compass bearing."""

    id: str
    lon: float
    lat: float
    kind: str = "cctv"
    purpose: str = ""
    owner: str = ""
    direction_deg: float | None = None
    district: str | None = None
    unit_id: str | None = None
    pull_url: str | None = None
    registered: bool = False

    def to_json(self) -> dict[str, Any]:
        """The camera as the API shows it (never its token; the pull URL may hold secrets)."""
        out = asdict(self)
        out.pop("pull_url")
        out["location"] = {"lon": out.pop("lon"), "lat": out.pop("lat")}
        out["pulled"] = self.pull_url is not None
        return out


def check_position(lon: float, lat: float, direction_deg: float | None = None) -> None:
    """Raise :class:`RegistrationError` unless the position is a finite WGS84 point."""
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        raise RegistrationError(f"position ({lon}, {lat}) is not a WGS84 lon/lat")
    if direction_deg is not None and not (
        math.isfinite(direction_deg) and 0 <= direction_deg < 360
    ):
        raise RegistrationError(f"direction_deg {direction_deg} is not in [0, 360)")


class CameraRegistry:
    """Cameras by id, each with the token its source must present to push frames."""

    def __init__(
        self,
        cameras: Iterable[CameraLike],
        ingest_secret: bytes,
        pull_urls: Mapping[str, str] | None = None,
    ) -> None:
        self._secret = ingest_secret
        self._entries: dict[str, CameraEntry] = {}
        self._token_digests: dict[str, bytes] = {}
        urls = dict(pull_urls or {})
        for cam in cameras:
            self._entries[cam.id] = CameraEntry(
                id=cam.id,
                lon=cam.lon,
                lat=cam.lat,
                purpose=cam.purpose,
                owner=cam.owner,
                direction_deg=cam.direction_deg,
                district=cam.district,
                pull_url=urls.get(cam.id),
            )

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[CameraEntry]:
        return iter(list(self._entries.values()))

    def __contains__(self, camera_id: object) -> bool:
        return camera_id in self._entries

    def get(self, camera_id: str) -> CameraEntry:
        """The camera ``camera_id``, or raise :class:`UnknownCamera`."""
        entry = self._entries.get(camera_id)
        if entry is None:
            raise UnknownCamera(f"no camera {camera_id!r}")
        return entry

    def register(self, entry: CameraEntry) -> tuple[CameraEntry, str]:
        """Add or renew a run-time camera; return it and its new ingest token."""
        if not _ID.match(entry.id):
            raise RegistrationError(f"camera id {entry.id!r} is not a valid id")
        if entry.kind not in CAMERA_KINDS:
            raise RegistrationError(f"camera kind {entry.kind!r} is not one of {CAMERA_KINDS}")
        check_position(entry.lon, entry.lat, entry.direction_deg)
        known = self._entries.get(entry.id)
        if known is not None and not known.registered:
            raise RegistrationError(f"camera {entry.id!r} is a fixed camera of the city")
        entry = replace(entry, registered=True)
        token = secrets.token_urlsafe(24)
        self._entries[entry.id] = entry
        self._token_digests[entry.id] = hashlib.sha256(token.encode()).digest()
        return entry, token

    def unregister(self, camera_id: str) -> None:
        """Remove a run-time camera (fixed cameras stay)."""
        entry = self.get(camera_id)
        if not entry.registered:
            raise RegistrationError(f"camera {camera_id!r} is a fixed camera of the city")
        del self._entries[camera_id]
        self._token_digests.pop(camera_id, None)

    def move(
        self, camera_id: str, lon: float, lat: float, direction_deg: float | None
    ) -> CameraEntry:
        """Record a new position (and facing) of a camera that moves."""
        check_position(lon, lat, direction_deg)
        entry = replace(self.get(camera_id), lon=lon, lat=lat, direction_deg=direction_deg)
        self._entries[camera_id] = entry
        return entry

    def fixed_ingest_token(self, camera_id: str) -> str:
        """The ingest token of a fixed camera, for provisioning it."""
        entry = self.get(camera_id)
        if entry.registered:
            raise RegistrationError("a run-time camera's token is only shown at registration")
        digest = hmac.new(self._secret, b"ingest:" + camera_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")

    def verify_ingest(self, camera_id: str, token: str | None) -> CameraEntry:
        """The camera whose source presents ``token``, or raise Unauthenticated/UnknownCamera."""
        entry = self.get(camera_id)
        if not token:
            raise Unauthenticated("missing ingest token")
        if entry.registered:
            expected = self._token_digests.get(camera_id, b"")
            ok = hmac.compare_digest(hashlib.sha256(token.encode()).digest(), expected)
        else:
            ok = hmac.compare_digest(token.encode(), self.fixed_ingest_token(camera_id).encode())
        if not ok:
            raise Unauthenticated(f"bad ingest token for camera {camera_id!r}")
        return entry

    def pull_targets(self) -> dict[str, str]:
        """Cameras the relay pulls from, with their MJPEG URL."""
        return {e.id: e.pull_url for e in self._entries.values() if e.pull_url is not None}
