"""Emergency rooms as the console shows them: registry, live status, who is coming, MCI plans.

Pure functions over plain records (``er-status``, ``destinations``, ``mci-plans`` and unit
reports as the read model holds them), so the board a dispatcher sees and the card a crew
sees are decided without I/O and tested with literals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = [
    "board",
    "destination_in_force",
    "hospital_status",
    "plans_in_force",
    "status_age_s",
]

Record = dict[str, Any]


def _seconds(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def status_age_s(status: Record, now_s: float) -> float:
    """How old an ``er-status`` record is at ``now_s`` (seconds since the epoch), never below 0."""
    return max(0.0, now_s - _seconds(str(status["at"])))


def hospital_status(status: Record | None, now_s: float, max_age_s: float) -> Record | None:
    """An ``er-status`` record with its age and whether it is stale (older than ``max_age_s``):
    stale beds are shown but never counted as capacity (``beds_trusted`` is then None).

    >>> s = {"hospital_id": "A1", "at": "2026-12-06T10:00:00+00:00", "beds_available": 3}
    >>> now = datetime.fromisoformat("2026-12-06T10:20:00+00:00").timestamp()
    >>> hospital_status(s, now, 600.0)["stale"], hospital_status(s, now, 3600.0)["beds_trusted"]
    (True, 3)
    """
    if status is None:
        return None
    age = status_age_s(status, now_s)
    stale = age > max_age_s
    return {
        **status,
        "age_s": round(age),
        "stale": stale,
        "beds_trusted": None if stale else status.get("beds_available"),
    }


def destination_in_force(
    destination: Record | None, unit: Record | None, active_incidents: set[str]
) -> Record | None:
    """The destination if it still applies: its incident has not ended and the unit has not
    reported itself free (available or out of service) since it was issued."""
    if destination is None or destination.get("incident_id") not in active_incidents:
        return None
    if unit is None or unit.get("status") not in ("available", "out_of_service"):
        return destination
    freed_later = _seconds(str(unit["at"])) > _seconds(str(destination["issued_at"]))
    return None if freed_later else destination


def plans_in_force(plans: list[Record], active_incidents: set[str]) -> list[Record]:
    """The mass-casualty plans of incidents that have not ended."""
    return [p for p in plans if p.get("incident_id") in active_incidents]


def board(
    registry: list[Record],
    statuses: list[Record],
    destinations: list[Record],
    plans: list[Record],
    now_s: float,
    max_age_s: float,
) -> list[Record]:
    """One row per emergency room: registry fields, latest status (age, stale flag), the units
    coming with their ETA, and each mass-casualty plan's share of patients for it.

    ``destinations`` and ``plans`` are those in force. A hospital named by a record but missing
    from the registry still gets a row, named as the records name it (a record never
    disappears from the board)."""
    rows: dict[str, Record] = {
        str(h["hospital_id"]): {**h, "status": None, "incoming": [], "mci": []} for h in registry
    }
    named: dict[str, tuple[str, str | None]] = {}  # what records say of unregistered hospitals
    for d in destinations:
        for r in d.get("ranked", []):
            named[str(r["hospital_id"])] = (str(r["name"]), r.get("level") or None)
    for plan in plans:
        for share in plan.get("allocations", []):
            named.setdefault(str(share["hospital_id"]), (str(share.get("name")), None))

    def row(hospital_id: str) -> Record:
        if hospital_id not in rows:
            name, level = named.get(hospital_id, (hospital_id, None))
            rows[hospital_id] = {
                "hospital_id": hospital_id,
                "name": name,
                "level": level,
                "location": None,
                "status": None,
                "incoming": [],
                "mci": [],
            }
        return rows[hospital_id]

    for s in statuses:
        row(str(s["hospital_id"]))["status"] = hospital_status(s, now_s, max_age_s)
    for d in sorted(destinations, key=lambda d: (d.get("eta_s") or 0, str(d["unit_id"]))):
        target = row(str(d["hospital_id"]))
        target["incoming"].append(
            {
                "unit_id": d["unit_id"],
                "incident_id": d["incident_id"],
                "eta_s": d.get("eta_s"),
                "status": d.get("status"),
                "condition": d.get("condition"),
                "issued_at": d.get("issued_at"),
                "diversion": d.get("diversion"),
            }
        )
    for plan in plans:
        for share in plan.get("allocations", []):
            target = row(str(share["hospital_id"]))
            target["mci"].append(
                {
                    "incident_id": plan["incident_id"],
                    "planned": share.get("planned", {}),
                    "transported": share.get("transported", {}),
                    "capacity": share.get("capacity"),
                }
            )
    return sorted(rows.values(), key=lambda r: (-len(r["incoming"]), str(r["name"])))
