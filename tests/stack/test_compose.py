"""compose.yaml cannot run here (no Docker engine): check it agrees with the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stack.cli import parser
from stack.settings import ENV_VARS

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"


def _services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def test_compose_uses_only_settings_the_code_reads() -> None:
    known = set(ENV_VARS.values())
    for name, service in _services().items():
        for var in service.get("environment", {}) or {}:
            if var.startswith("GT_"):
                assert var in known, f"{name}: {var} is not a setting (stack/settings.py)"


def test_compose_runs_commands_the_cli_has() -> None:
    commands = set(parser()._subparsers._group_actions[0].choices)
    for name, service in _services().items():
        command = service.get("command")
        if command and command[0] == "goldentime":
            assert command[1] in commands, f"{name}: goldentime {command[1]} does not exist"


def test_goldentime_services_reach_kafka_and_redis_of_the_compose_file() -> None:
    services = _services()
    for name in ("worker", "console"):
        env = services[name]["environment"]
        host = env["GT_KAFKA_BOOTSTRAP"].split(":")[0]
        assert host in services, f"{name} points at {host}, not a compose service"
        assert env["GT_REDIS_URL"].split("//")[1].split(":")[0] in services
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in services["kafka"] and "healthcheck" in services["redis"]
