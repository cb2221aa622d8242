"""Mass-casualty distribution plans in the dispatch stage: from 5 patients (or a mass
casualty) an incident's patients are planned over the emergency rooms by
``dispatch.mci.distribute``, and the plan is published again (``mci-plans``) as crews are
sent, take patients and as the rooms report. An ER's room is what the destination ranking
counts on: the patients its fresh status assures a bed on their arrival from the scene
(``dispatch.destination.room_on_arrival``, after every patient already heading there).
Each plan lives in the stage's ``mci`` table: its scene, patient count, the patients sent
and taken per hospital, and its last form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from datetime import datetime
from typing import Any, Protocol

from dispatch.destination import ErReport, room_on_arrival
from dispatch.hospitals import SEVERITIES, ErRules, Hospital
from dispatch.mci import Room, distribute, split_untriaged
from streams.contract import MciPlan, encode
from streams.contract.hospitals import MciAllocation, SeverityCounts
from streams.fusion import ACTIVE
from streams.zone import Effect

__all__ = ["EmergencyRooms", "MciPlans"]

ACTIVE_VALUES = frozenset(status.value for status in ACTIVE)


def _counts() -> dict[str, int]:
    return dict.fromkeys(SEVERITIES, 0)


class EmergencyRooms(Protocol):
    """What a plan needs to know of the rooms (``streams.destinations`` keeps it)."""

    hospitals: dict[str, Hospital]

    @property
    def reports(self) -> Mapping[str, ErReport]: ...

    def incoming(self) -> dict[str, int]: ...

    def stale(self, report: ErReport, now: datetime) -> bool: ...

    def times_from(self, lon: float, lat: float, now: datetime) -> dict[str, float]: ...


class MciPlans:
    """The open mass-casualty incidents' plans, over the ``mci`` table."""

    def __init__(
        self, rooms: EmergencyRooms, rules: ErRules, store: MutableMapping[str, Any]
    ) -> None:
        self._er, self._rules, self._store = rooms, rules, store
        self._plans: dict[str, dict[str, Any]] = dict(store.items())

    def sent(self, incident_id: str) -> int:
        """Patients of the incident sent to some hospital so far."""
        plan = self._plans.get(incident_id) or {"sent": {}}
        return sum(sum(c.values()) for c in plan["sent"].values())

    def active(self, incident_id: str) -> bool:
        """Whether the incident has a plan in force."""
        plan = self._plans.get(incident_id)
        return plan is not None and bool(plan["active"])

    def on_incident(self, raw: Mapping[str, Any], now: datetime) -> list[Effect]:
        """Follow an incident's patient count: from ``mci_min_patients`` (or a mass
        casualty) on, it has a distribution plan until it is no longer active."""
        incident_id = raw.get("id")
        if not isinstance(incident_id, str):
            return []
        plan = self._plans.get(incident_id)
        active = raw.get("status") in ACTIVE_VALUES
        patients = int(raw.get("patients") or 0)
        many = patients >= self._rules.mci_min_patients or bool(raw.get("mass_casualty"))
        mci = active and many
        if plan is None:
            if not mci:
                return []
            where = raw["location"]
            plan = {
                "incident_id": incident_id,
                "scene": [float(where["lon"]), float(where["lat"])],
                "patients": max(patients, self._rules.mci_min_patients),
                "sent": {},
                "taken": {},
                "version": 0,
                "active": True,
                "last": None,
            }
        elif not active:
            if plan["active"]:
                plan["active"] = False
                self._save_plan(incident_id, plan)
            return []
        else:
            # the count follows the incident's, down too (a split takes patients away with
            # their reports, to be planned by the new incident's plan), never below the
            # patients sent already nor below a plan's least
            least = max(self._rules.mci_min_patients, self.sent(incident_id))
            if max(patients, least) == plan["patients"]:
                return []
            plan["patients"] = max(patients, least)
        return self._publish(incident_id, plan, now)

    def forget(self, incident_id: str) -> None:
        """The incident was forgotten by the zone: so is its plan."""
        if self._plans.pop(incident_id, None) is not None:
            del self._store[incident_id]

    def planned_pick(
        self, incident_id: str, severity: str, times: Mapping[str, float]
    ) -> str | None:
        """The nearest ER the plan still holds a place at for a patient of ``severity``."""
        plan = self._plans[incident_id]
        last = plan.get("last") or {}
        places = {
            a["hospital_id"]: a["planned"][severity]
            - plan["sent"].get(a["hospital_id"], _counts())[severity]
            for a in last.get("allocations", [])
        }
        free = [hid for hid, n in places.items() if n > 0]
        if not free:
            spare = {
                a["hospital_id"]
                for a in last.get("allocations", [])
                if sum(a["planned"].values())
                > sum(plan["sent"].get(a["hospital_id"], _counts()).values())
            }
            free = sorted(spare)
        return min(free, key=lambda h: times.get(h, math.inf)) if free else None

    def send(self, rec: dict[str, Any], now: datetime) -> list[Effect]:
        """Count a patient sent under its incident's plan, and publish the plan again."""
        plan = self._plans[rec["incident_id"]]
        sent = plan["sent"].setdefault(rec["hospital_id"], _counts())
        sent[rec["severity"]] += rec["count"]
        if rec.get("transported"):  # a crew on its way changed hospital
            taken = plan["taken"].setdefault(rec["hospital_id"], _counts())
            taken[rec["severity"]] += rec["count"]
        total_sent = sum(sum(c.values()) for c in plan["sent"].values())
        plan["patients"] = max(plan["patients"], total_sent)
        return self._publish(rec["incident_id"], plan, now)

    def unsend(self, rec: dict[str, Any], now: datetime, replan: bool = True) -> list[Effect]:
        plan = self._plans.get(rec["incident_id"])
        if plan is None:
            return []
        sent = plan["sent"].get(rec["hospital_id"])
        if sent is not None:
            sent[rec["severity"]] = max(0, sent[rec["severity"]] - rec["count"])
        if rec.get("transported"):
            taken = plan["taken"].get(rec["hospital_id"])
            if taken is not None:
                taken[rec["severity"]] = max(0, taken[rec["severity"]] - rec["count"])
        return self._publish(rec["incident_id"], plan, now) if replan else []

    def taken(self, rec: dict[str, Any], now: datetime) -> list[Effect]:
        plan = self._plans.get(rec["incident_id"])
        if not rec.get("mci") or plan is None:
            return []
        taken = plan["taken"].setdefault(rec["hospital_id"], _counts())
        taken[rec["severity"]] += rec["count"]
        return self._publish(rec["incident_id"], plan, now)

    def replan_all(self, now: datetime) -> list[Effect]:
        effects: list[Effect] = []
        for incident_id, plan in list(self._plans.items()):
            if plan["active"]:
                effects += self._publish(incident_id, plan, now)
        return effects

    def _publish(self, incident_id: str, plan: dict[str, Any], now: datetime) -> list[Effect]:
        """Plan the patients not yet sent over the room left; publish when it changed."""
        times = self._er.times_from(plan["scene"][0], plan["scene"][1], now)
        incoming = self._er.incoming()
        sent_by_severity = {s: sum(c[s] for c in plan["sent"].values()) for s in SEVERITIES}
        expected = split_untriaged(plan["patients"], self._rules)
        left = {s: max(0, expected[s] - sent_by_severity[s]) for s in SEVERITIES}
        short = plan["patients"] - sum(sent_by_severity.values()) - sum(left.values())
        left["minor"] += max(0, short)
        rooms, rules = [], self._rules
        for hid, hospital in self._er.hospitals.items():
            report = self._er.reports.get(hid)
            free = 0  # a stale or missing status gives no room
            if report is not None and not self._er.stale(report, now):
                age_s = (now - report.at).total_seconds()
                free = room_on_arrival(report, incoming.get(hid, 0), age_s + times[hid], rules)
            sent = sum(plan["sent"].get(hid, {}).values())
            rooms.append(Room(hid, times[hid], hospital.rank, max(0, free), sent))
        room = {r.hospital_id: r.sent + r.capacity for r in rooms}
        planned, unallocated = distribute(left, rooms, self._rules)
        allocations = []
        for hid in set(planned) | set(plan["sent"]):
            counts = _counts()
            for source in (planned.get(hid, {}), plan["sent"].get(hid, {})):
                for s in SEVERITIES:
                    counts[s] += source.get(s, 0)
            allocations.append(
                MciAllocation(
                    hospital_id=hid,
                    name=self._er.hospitals[hid].name[:120],
                    drive_s=round(times[hid], 1) if math.isfinite(times[hid]) else 0.0,
                    capacity=room[hid],
                    planned=SeverityCounts(**counts),
                    transported=SeverityCounts(**plan["taken"].get(hid, _counts())),
                )
            )
        allocations.sort(key=lambda a: (a.drive_s, a.hospital_id))
        body = {
            "patients_total": plan["patients"],
            "allocations": [a.model_dump(mode="json") for a in allocations],
            "unallocated": sum(unallocated.values()),
        }
        if plan.get("last") == body:
            self._save_plan(incident_id, plan)  # its counts moved, if not its places
            return []
        plan["version"] += 1
        plan["last"] = body
        self._save_plan(incident_id, plan)
        record = MciPlan.model_validate(
            {**body, "incident_id": incident_id, "version": plan["version"], "updated_at": now}
        )
        return [Effect("mci-plans", incident_id, encode(record))]

    def _save_plan(self, incident_id: str, plan: dict[str, Any]) -> None:
        self._plans[incident_id] = plan
        self._store[incident_id] = dict(plan)  # a table write per change (its changelog)
