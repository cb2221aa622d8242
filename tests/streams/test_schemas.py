"""The committed JSON Schemas are generated from the models and must stay current."""

from __future__ import annotations

from pathlib import Path

from streams.contract.schema import schemas

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def test_committed_schemas_are_current() -> None:
    for name, text in schemas().items():
        path = SCHEMA_DIR / name
        assert path.exists(), f"{path} missing: run `goldentime schema`"
        assert path.read_text(encoding="utf-8") == text, f"{name} stale: run `goldentime schema`"


def test_every_contract_topic_has_a_schema() -> None:
    names = set(schemas())
    for topic in (
        "calls",
        "cctv-events",
        "sensor-alarms",
        "unit-status",
        "incidents",
        "assignments",
        "overlays",
        "alerts",
        "deadletter",
        "er-status",
        "destinations",
        "mci-plans",
        "road-closures",
    ):
        assert f"{topic}.schema.json" in names
