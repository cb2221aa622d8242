"""Precision and recall of the caller's-words classifier on the labelled descriptions.

    python -m tests.streams.classifier_report [--misses]

Reads the labelled sets ``tests/streams/descriptions*.tsv`` (type, tab, description; ``#``
comments) and prints one JSON object: per type over all sets the examples, precision and
recall, and each set's accuracy. A reading of nothing counts as ``other``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from streams.contract import IncidentType
from streams.words import read

LABELLED = Path(__file__).with_name("descriptions.tsv")
SETS = sorted(Path(__file__).parent.glob("descriptions*.tsv"))


@dataclass(frozen=True)
class Score:
    """One type's figures over the labelled set."""

    examples: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.examples if self.examples else 1.0


def labelled(path: Path = LABELLED) -> list[tuple[IncidentType, str]]:
    """The (type, description) pairs of the labelled set."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, text = line.split("\t", 1)
            rows.append((IncidentType(kind), text))
    return rows


def predicted(text: str) -> IncidentType:
    """The classifier's type for a description (``other`` when it reads nothing)."""
    return read(text).type or IncidentType.OTHER


def scores(rows: list[tuple[IncidentType, str]]) -> dict[IncidentType, Score]:
    """Per labelled type: examples, predictions and correct predictions."""
    guesses = [(kind, predicted(text)) for kind, text in rows]
    kinds = sorted({k for k, _ in guesses} | {g for _, g in guesses}, key=list(IncidentType).index)
    return {
        k: Score(
            examples=sum(1 for t, _ in guesses if t is k),
            predicted=sum(1 for _, g in guesses if g is k),
            correct=sum(1 for t, g in guesses if t is k and g is k),
        )
        for k in kinds
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="also list each wrong reading")
    args = parser.parse_args()
    sets = {path.name: labelled(path) for path in SETS}
    rows = [row for rows in sets.values() for row in rows]
    by_type = scores(rows)
    report: dict[str, object] = {
        "examples": len(rows),
        "accuracy": {
            name: round(sum(predicted(t) is k for k, t in items) / len(items), 3)
            for name, items in sets.items()
        },
        "per_type": {
            k.value: {
                "examples": s.examples,
                "precision": round(s.precision, 3),
                "recall": round(s.recall, 3),
            }
            for k, s in by_type.items()
        },
    }
    if args.misses:
        report["misses"] = [
            {"label": k.value, "read": predicted(t).value, "text": t}
            for k, t in rows
            if predicted(t) is not k
        ]
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
