"""The one frozen settings object of a process, built from ``GT_…`` environment variables."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEOUL_DATA = REPO_ROOT.parent / "shared" / "data" / "seoul"
"""The team's full Seoul reference data, when it sits beside the checkout."""
SEOUL_PACK = REPO_ROOT / "geo" / "data" / "seoul"
"""Seoul as shipped inside the package (geo.pack): the city of a fresh clone or install."""


def default_data_dir() -> Path | None:
    """The city used when ``GT_DATA_DIR`` is unset: Seoul beside the checkout, else the pack."""
    if (DEFAULT_SEOUL_DATA / "seoul_nodelink_nodes.csv").exists():
        return DEFAULT_SEOUL_DATA
    if (SEOUL_PACK / "pack.json").exists():
        return SEOUL_PACK
    return None


class SettingsError(ValueError):
    """An environment variable holds a value GoldenTime cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a GoldenTime process needs to know about its deployment."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str = "redis://127.0.0.1:6379/0"
    topic_prefix: str = ""
    partitions: int = 4
    replication_factor: int = 1
    data_dir: Path | None = None
    console_host: str = "127.0.0.1"
    console_port: int = 8080
    video_port: int = 8090
    ws_client_buffer_mb: int = 32
    auth_secret: str = field(default="", repr=False)
    rebalance_timeout_s: float = 3.0
    fetch_max_wait_ms: int = 20
    worker_id: str = "worker-1"
    worker_state_dir: Path = Path("/tmp/goldentime-worker")
    log_level: str = "info"
    alert_webhook_url: str = ""
    zones: str = "1"
    """Fusion zones (``streams.zones``): ``1`` (the city as one zone), ``8`` or ``4x2``."""
    sim_speed: float = 1.0
    sim_start: str = ""
    sim_scenario: str = ""
    sim_seed: int = 119
    trusted_proxies: str = ""
    """Comma-separated networks of the reverse proxies whose forwarding header is believed."""
    proxy_header: str = "x-forwarded-for"
    """The header those proxies set: ``x-forwarded-for`` or ``forwarded`` (RFC 7239)."""
    video_pull_hosts: str = ""
    """Comma-separated camera hosts a run-time camera's pull URL may name (``*.example``)."""
    video_pull_networks: str = ""
    """Comma-separated networks the video relay may pull from even when private."""
    auth_previous_secrets: str = field(default="", repr=False)
    """Comma-separated former ``GT_AUTH_SECRET`` values still accepted (key rotation)."""
    oidc_issuer: str = ""
    """Issuer (``iss``) of the OpenID Connect provider whose tokens sign people in."""
    oidc_jwks: str = ""
    """That provider's keys: a JWKS file path or its ``jwks_uri``."""
    oidc_audience: str = ""
    """The ``aud`` its tokens must carry (``goldentime`` when empty)."""
    oidc_role_claim: str = "roles"
    """Claim with the role value(s); dotted for nested claims (``realm_access.roles``)."""
    oidc_roles: str = ""
    """Claim value → role, ``value=role,…`` (the role names themselves when empty)."""
    oidc_unit_claim: str = "unit"
    """Claim naming a crew's unit."""
    oidc_client_id: str = ""
    """The console's client id at the provider (enables "sign in with the city's SSO")."""
    oidc_authorize_url: str = ""
    """The provider's authorization endpoint (authorization code flow with PKCE)."""
    oidc_token_url: str = ""
    """The provider's token endpoint (the console redeems the code there)."""
    """Comma-separated networks the video relay may pull from even when private."""

    @property
    def namespace(self) -> str:
        """Key prefix of this deployment's data in Redis."""
        return f"gt:{self.topic_prefix}"

    @property
    def console_url(self) -> str:
        """Base URL of the console service."""
        return f"http://{self.console_host}:{self.console_port}"

    def replace(self, **changes: object) -> Settings:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """Return the ``GT_…`` variables that rebuild these settings in a child process."""
        env = {}
        for name, var in ENV_VARS.items():
            value = getattr(self, name)
            env[var] = "" if value is None else str(value)  # "" data dir: the built-in city
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping (unknown ``GT_`` names are refused).

        ``GT_DATA_DIR`` unset means Seoul: the data next to this checkout when it exists,
        else the Seoul city pack shipped inside the package; set to an empty string it means
        the generated grid city (a fast fixture for tests).
        """
        unknown = sorted(k for k in env if k.startswith("GT_") and k not in _VAR_TO_FIELD)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        values: dict[str, object] = {}
        for var, name in _VAR_TO_FIELD.items():
            if var in env and env[var] != "":
                values[name] = _convert(name, env[var])
        settings = cls(**values)  # type: ignore[arg-type]
        if "GT_DATA_DIR" not in env:
            settings = settings.replace(data_dir=default_data_dir())
        if settings.partitions < 1:
            raise SettingsError("GT_PARTITIONS must be at least 1")
        if settings.sim_speed <= 0:
            raise SettingsError("GT_SIM_SPEED must be positive")
        if settings.ws_client_buffer_mb < 1:
            raise SettingsError("GT_WS_CLIENT_BUFFER_MB must be at least 1")
        return settings

    def with_secret(self) -> Settings:
        """Return these settings with an auth secret, generating one when unset."""
        return self if self.auth_secret else self.replace(auth_secret=secrets.token_urlsafe(32))


ENV_VARS: dict[str, str] = {f.name: f"GT_{f.name.upper()}" for f in dataclasses.fields(Settings)}
"""Field name → environment variable. compose.yaml must use only these."""
_VAR_TO_FIELD = {v: k for k, v in ENV_VARS.items()}


def _convert(name: str, raw: str) -> object:
    kind = {f.name: f.type for f in dataclasses.fields(Settings)}[name]
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind in ("Path", "Path | None"):
            return Path(raw)
    except ValueError as exc:
        raise SettingsError(f"{ENV_VARS[name]}={raw!r}: {exc}") from None
    return raw
