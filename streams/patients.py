"""Patients counted per report: an incident's patient count is the sum of what each report
it holds said, each report once.

An incident keeps each report's figure (evidence key → patients; reports of none are left
out), not only the total. Two incidents can hold the same report for a moment (a merge
across a zone border is on its way while another begins, ``streams.zone``), so combining
them pools the figures by report instead of adding totals; a split moves each report's
patients with the report.

Pure functions over plain mappings, used by fusion (``streams.fusion``) and the
dispatcher's rulings (``streams.rulings``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["UNATTRIBUTED", "covers", "only", "pooled", "total", "unattributed", "without"]

PatientsByReport = Mapping[str, int]

UNATTRIBUTED = "unattributed:"
"""Key prefix (then the incident id) of a total known only as a total: an incident state
stored with its patient count but not the figure of each report."""


def total(by_report: PatientsByReport) -> int:
    """The patients an incident counts: each report's figure once.

    >>> total({"call:c1": 2, "call:c2": 1})
    3
    """
    return sum(by_report.values())


def pooled(a: PatientsByReport, b: PatientsByReport) -> dict[str, int]:
    """The figures of two incidents taken together, each report once: a report both hold
    said the same thing to both, and an unattributed total seen twice is the same
    incident's, the larger being the later (a count only grows).

    >>> pooled({"call:c1": 1, "call:c2": 1}, {"call:c2": 1, "call:c3": 2})
    {'call:c1': 1, 'call:c2': 1, 'call:c3': 2}
    >>> total(pooled({"unattributed:INC-A": 3}, {"unattributed:INC-A": 4, "call:c9": 1}))
    5
    """
    if not b:
        return dict(a)
    out = dict(a)
    for key, patients in b.items():
        out[key] = max(out.get(key, 0), patients)
    return out


def covers(by_report: PatientsByReport, other: PatientsByReport) -> bool:
    """Whether ``by_report`` counts everything ``other`` does (pooling them changes nothing).

    >>> covers({"call:c1": 1, "call:c2": 2}, {"call:c2": 2}), covers({}, {"call:c2": 2})
    (True, False)
    """
    return all(by_report.get(key, 0) >= n for key, n in other.items())


def without(by_report: PatientsByReport, keys: Iterable[str]) -> dict[str, int]:
    """The figures of every report but ``keys`` (evidence keys).

    >>> without({"call:c1": 1, "call:c2": 2, "unattributed:INC-A": 3}, ["call:c2"])
    {'call:c1': 1, 'unattributed:INC-A': 3}
    """
    gone = set(keys)
    return {key: n for key, n in by_report.items() if key not in gone}


def only(by_report: PatientsByReport, keys: Iterable[str]) -> dict[str, int]:
    """The figures of the reports ``keys`` (evidence keys) alone.

    >>> only({"call:c1": 1, "call:c2": 2, "unattributed:INC-A": 3}, ["call:c2", "call:c4"])
    {'call:c2': 2}
    """
    return {key: by_report[key] for key in keys if key in by_report}


def unattributed(incident_id: str, patients: int) -> dict[str, int]:
    """The figures of an incident stored with only its total: the total under a key of its
    own (which reports it came from is not known), so taking that state in twice still
    counts it once.

    ASSUMPTION: the total is not spread over the incident's reports (any spread would be a
    guess, and a split would then move a guessed share); it stays with the incident.

    >>> unattributed("INC-A", 3), unattributed("INC-B", 0)
    ({'unattributed:INC-A': 3}, {})
    """
    return {UNATTRIBUTED + incident_id: patients} if patients > 0 else {}
