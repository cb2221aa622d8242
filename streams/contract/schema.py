"""JSON Schema of every contract event, generated from the models (never retyped)."""

from __future__ import annotations

import json
from pathlib import Path

from streams.contract import FEED_MODELS, INPUT_MODELS, OUTPUT_MODELS


def schemas() -> dict[str, str]:
    """Return file name → JSON Schema text for every input and output event."""
    out: dict[str, str] = {}
    for topic, model in {**INPUT_MODELS, **FEED_MODELS, **OUTPUT_MODELS}.items():
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"https://goldentime.example/schemas/{topic}.json"
        schema["description"] = f"Value of the `{topic}` topic. " + (
            schema.get("description") or ""
        )
        out[f"{topic}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return out


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into ``directory``; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
