"""Diversions: a unit's emergency room changed by the worker (the ER filled, lost a capability
or a closure cut the way there), told apart from a crew's or dispatcher's own choice.

The read model keeps the last few ``destinations`` records of each unit as its trail; whether
the destination in force is a diversion, from which ER and why, is decided from that trail by
:func:`diversion`, a pure function over plain records. A record may say it itself
(``diverted_from``, ``diverted_because``); one that does not is judged from the trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from console.readmodel import ReadModel

__all__ = [
    "CAUSES",
    "TRAIL",
    "TRAIL_KEPT",
    "TRAIL_KEPT_S",
    "diversion",
    "trail_entry",
    "with_diversions",
]

Record = dict[str, Any]

TRAIL = "destination-trail"
"""Read-model time series of each unit's destination records (by unit id)."""
TRAIL_KEPT = 20
"""Records kept per unit: a patient's destination changes a handful of times at most."""
TRAIL_KEPT_S = 12 * 3600.0
"""How long a record stays in its unit's trail (longer than any transport)."""
TRAIL_FIELDS = (
    "incident_id",
    "unit_id",
    "version",
    "issued_at",
    "status",
    "hospital_id",
    "hospital_name",
    "command_id",
    "reason",
    "rerouted_because",
    "diverted_from",
    "diverted_because",
)
"""What the trail keeps of a record: enough to say where the unit was going and why."""


def _ms(at: str) -> int:
    return int(datetime.fromisoformat(at).timestamp() * 1000)


def trail_entry(record: Record) -> tuple[int, bytes]:
    """A ``destinations`` record as an entry of its unit's trail: ``(issued_at ms, member)``;
    the same record always gives the same member, so a replay is kept once."""
    kept = {k: record[k] for k in TRAIL_FIELDS if record.get(k) is not None}
    return _ms(str(record["issued_at"])), orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)


def _order(record: Record) -> tuple[int, int]:
    return _ms(str(record["issued_at"])), int(record.get("version") or 0)


CAUSES = {
    "zero_beds": "병상 0 보고 reported no beds",
    "no_bed_on_arrival": "도착 시 병상 없음 예상 no bed left on arrival",
    "capability_lost": "필요 처치 불가 보고 can no longer treat the patient",
}
"""What each ``diverted_because`` of a ``destinations`` record says to a crew (an unknown one
is shown as it is)."""


def diversion(trail: list[Record], current: Record) -> Record | None:
    """Where ``current`` (a unit's destination in force) diverted the unit from, and why; None
    when its ER is the one the patient was first given, or a crew's or dispatcher's choice
    brought it there.

    The ER of ``current`` is traced back through the unit's earlier records of the same
    incident and patient to the record that first named it. That record moved the unit when
    it says so (``diverted_from``), or when it answers no command and an earlier record of the
    same patient (a lower ``version``: versions count each patient's records from 1) named
    another ER. Why is its ``diverted_because``, else its ``rerouted_because``, else its ``reason``.

    >>> a = {"incident_id": "i", "hospital_id": "H1", "hospital_name": "가", "version": 1,
    ...      "issued_at": "2026-12-06T10:00:00+00:00"}
    >>> b = {**a, "hospital_id": "H2", "hospital_name": "나", "version": 2,
    ...      "issued_at": "2026-12-06T10:05:00+00:00", "diverted_because": "zero_beds"}
    >>> diversion([a], b)["from_hospital_name"], diversion([a], b)["because"]
    ('가', '병상 0 보고 reported no beds')
    >>> diversion([a], {**b, "command_id": "cmd-1"}) is None
    True
    """
    incident = current.get("incident_id")
    before = sorted(
        (r for r in trail if r.get("incident_id") == incident and _order(r) < _order(current)),
        key=_order,
    )
    first, previous = current, None
    for record in reversed(before):
        if _version(record) > _version(first):
            break  # an earlier patient's: this patient's records count from 1 again
        if record.get("hospital_id") != current.get("hospital_id"):
            previous = record
            break
        first = record
    if first.get("command_id"):
        return None  # chosen by a crew or a dispatcher
    same_patient = previous is not None and _version(previous) < _version(first)
    from_id = first.get("diverted_from") or (previous or {}).get("hospital_id")
    if not from_id or not (first.get("diverted_from") or same_patient):
        return None
    names = {r.get("hospital_id"): r.get("name") for r in current.get("ranked") or []}
    names |= {r.get("hospital_id"): r.get("hospital_name") for r in before}
    cause = first.get("diverted_because")
    because = CAUSES.get(str(cause), cause) or first.get("rerouted_because") or first.get("reason")
    return {
        "from_hospital_id": from_id,
        "from_hospital_name": names.get(from_id) or from_id,
        "because": str(because or ""),
        "at": first.get("issued_at"),
    }


def _version(record: Record) -> int:
    return int(record.get("version") or 1)


async def with_diversions(rm: ReadModel, records: list[Record]) -> list[Record]:
    """``records`` (destinations in force), each with its ``diversion`` (None: not diverted),
    from the units' trails in one round trip."""
    if not records:
        return []
    trails = await rm.series_many(TRAIL, sorted({str(r["unit_id"]) for r in records}))
    return [{**r, "diversion": diversion(trails.get(str(r["unit_id"]), []), r)} for r in records]
