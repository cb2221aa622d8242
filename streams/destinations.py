"""Patient destinations in the dispatch stage: the emergency rooms' live status, the ER
each patient a crew reports goes to, and each mass-casualty incident's distribution plan.

The decisions are ``dispatch.destination.rank`` and ``dispatch.mci.distribute``; this
module keeps what they decide over in the dispatch stage's tables (Faust tables in the
worker, dicts in tests), so a restart keeps every plan:

- ``er-status``: each hospital's last report (id, time, beds, capabilities) with how its
  beds have been moving over its reports (``dispatch.destination.observe``);
- ``patients``: each unit's patient and where it goes (by unit id while the crew has it;
  the ERs it was moved from when one's new report said it could no longer take it,
  ``dispatch.diversion``),
  and the patients handed over since their hospital last reported (``done|…``), because
  until it reports again its beds are fewer than its last report says, and each unit's
  latest contact time (``contact|…``);
- ``mci``: each mass-casualty incident's plan (``streams.mci_plans``).

Replays change nothing: a unit's contact is known by its report time, a command by its id
(the stage's ``commands-seen``), a status by its id (so a report moves a patient once);
an older status than the one held is refused to the dead-letter topic.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, MutableMapping
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dispatch.destination import ErReport, Option, assess, observe, rank
from dispatch.diversion import Heading, divert_to, follow_report
from dispatch.hospitals import SEVERITIES, ErRules, Hospital, registry
from geo import City, RoadGraph
from streams.contract import (
    Command,
    ContractError,
    Destination,
    DestinationStatus,
    ErStatus,
    Position,
    UnitStatus,
    UnitStatusValue,
    encode,
)
from streams.contract.hospitals import RankedHospital
from streams.fusion import ACTIVE
from streams.mci_plans import MciPlans
from streams.zone import Effect

Store = MutableMapping[str, Any]
ACTIVE_VALUES = frozenset(status.value for status in ACTIVE)
DONE = "done|"
DONE_KEPT_S = 6 * 3600.0
"""A handed-over patient counts against an ER that never reports again for this long (an ER
bed is held a few hours), then the record goes: the table never grows without bound."""
CONTACT = "contact|"
"""Each unit's latest patient contact (its report time): a replayed contact is known after
its patient was handed over and forgotten (one key per unit: bounded by the fleet)."""
CAUSE_WORDS = {
    "capability_lost": "필요 처치 불가 보고",
    "zero_beds": "병상 0 보고",
    "no_bed_on_arrival": "도착 시 병상 없음 예상",
}
"""How a destination's reason names why its unit was moved from an ER."""
DRIVE_CACHE = 64
"""Scenes whose drive times to every ER are kept (a mass-casualty scene is asked often)."""


def _counts() -> dict[str, int]:
    return dict.fromkeys(SEVERITIES, 0)


class DestinationFollower:
    """Keeps ER status and patient destinations; answers with ``destinations`` and
    ``mci-plans`` effects."""

    def __init__(
        self,
        city: City,
        rules: ErRules,
        er_status: Store,
        patients: Store,
        mci: Store,
        roads_at: Callable[[datetime], RoadGraph] | None = None,
    ) -> None:
        self._roads, self._rules = city.roads, rules
        self._roads_at = roads_at or (lambda now: city.roads)
        """The road graph of the moment (the dispatch stage's: travel times of the hour,
        closed structures taken out), as units are routed on it."""
        self.hospitals: dict[str, Hospital] = registry(city.facilities, rules)
        self._nodes = {
            hid: self._roads.snap(h.lon, h.lat).node for hid, h in self.hospitals.items()
        }
        self._status, self._patients = er_status, patients
        self.reports = {hid: _report(v) for hid, v in list(er_status.items())}
        self._recs: dict[str, dict[str, Any]] = {
            k: v for k, v in patients.items() if not k.startswith(CONTACT)
        }
        self._contacts: dict[str, str] = {
            k.removeprefix(CONTACT): v for k, v in patients.items() if k.startswith(CONTACT)
        }
        self.plans = MciPlans(self, rules, mci)
        self._drives: OrderedDict[int, tuple[RoadGraph, NDArray[np.float64]]] = OrderedDict()

    # -- emergency rooms -----------------------------------------------------------------
    def on_er_status(
        self,
        status: ErStatus,
        now: datetime,
        where: Callable[[str], tuple[float, float] | None] | None = None,
    ) -> list[Effect]:
        """Hold an ER's report; the patients it can no longer take are moved (``where``
        gives each unit's fresh position), and plans of open mass-casualty incidents
        follow its beds."""
        hid = status.hospital_id
        if hid not in self.hospitals:
            raise ContractError(f"unknown hospital {hid}: not an emergency room of the city")
        held = self._status.get(hid)
        if held is not None and datetime.fromisoformat(held["at"]) >= status.at:
            if held["id"] == status.id:
                return []  # a replay
            raise ContractError(
                f"status of {hid} at {status.at.isoformat()} is not newer than the one held "
                f"({held['at']})",
                status.id,
            )
        value = status.model_dump(mode="json", include={"id", "at", "beds_available"})
        value["capabilities"] = status.capabilities.model_dump(mode="json", exclude_none=True)
        before = self.reports.get(hid)
        delivered = 0 if before is None else self._delivered(hid, before.at, status.at)
        report = observe(before, _report(value), delivered, self._rules)
        value["fill_per_s"], value["var_per_s"] = report.fill_per_s, report.var_per_s
        self._status[hid] = value
        self.reports[hid] = report
        for key, rec in list(self._recs.items()):  # handed over before it counted them
            counted = key.startswith(DONE) and rec["hospital_id"] == hid
            if counted and datetime.fromisoformat(rec["delivered_at"]) <= status.at:
                self._drop(key)
        moved = self._follow(hid, status.id, now, where or (lambda unit_id: None))
        return moved + self.plans.replan_all(now)

    def _delivered(self, hid: str, after: datetime, until: datetime) -> int:
        """Patients handed over at an ER between two of its reports."""
        return sum(
            rec["count"]
            for rec in self._recs.values()
            if rec["hospital_id"] == hid
            and rec.get("delivered_at") is not None
            and after < datetime.fromisoformat(rec["delivered_at"]) <= until
        )

    def _follow(
        self,
        hid: str,
        report_id: str,
        now: datetime,
        where: Callable[[str], tuple[float, float] | None],
    ) -> list[Effect]:
        """An ER's new report over the patients heading there, on scene or on their way
        (``dispatch.diversion``): each it can no longer take gets a new recommendation
        when another ER ranks better for it, from where its unit is."""
        report = self.reports[hid]
        heading: list[Heading] = []
        starts: dict[str, tuple[float, float]] = {}
        handed_over = 0
        for key, rec in self._recs.items():
            if rec["hospital_id"] != hid:
                continue
            if (delivered := rec.get("delivered_at")) is not None:
                handed_over += rec["count"] if datetime.fromisoformat(delivered) > report.at else 0
                continue
            start, remaining_s = self._on_way(rec, where, now)
            starts[key] = start
            own = rec.get("chosen") and rec["hospital_id"] != rec["recommended_id"]
            heading.append(
                Heading(
                    key,
                    remaining_s,
                    self._rules.needs_of(rec["condition"]),
                    rec["count"],
                    movable=not own,
                    diversions=len(rec.get("diverted_from", [])),
                    left=bool(rec.get("transported")),
                )
            )
        effects: list[Effect] = []

        def move(h: Heading, cause: str, ahead: int) -> bool:
            moved = self._divert(self._recs[h.key], starts[h.key], h, cause, ahead, report_id, now)
            effects.extend(moved)
            return bool(moved)

        follow_report(report, heading, handed_over, now, self._rules, move)
        return effects

    def _on_way(
        self,
        rec: dict[str, Any],
        where: Callable[[str], tuple[float, float] | None],
        now: datetime,
    ) -> tuple[tuple[float, float], float]:
        """Where a patient's unit is and its drive left to the patient's ER: from its fresh
        position once it has left; else from the scene, less the time since it left."""
        scene = (float(rec["scene"][0]), float(rec["scene"][1]))
        node = self._nodes[rec["hospital_id"]]
        fix = where(rec["unit_id"]) if rec.get("transported") else None
        if fix is not None:
            return fix, float(self._drive_from(fix[0], fix[1], now)[node])
        drive_s = float(self._drive_from(scene[0], scene[1], now)[node])
        left_at = rec.get("transported_at")
        gone_s = 0.0 if left_at is None else (now - datetime.fromisoformat(left_at)).total_seconds()
        return scene, max(0.0, drive_s - max(0.0, gone_s))

    def _divert(
        self,
        rec: dict[str, Any],
        start: tuple[float, float],
        heading: Heading,
        cause: str,
        ahead: int,
        report_id: str,
        now: datetime,
    ) -> list[Effect]:
        """A new recommendation, from ``start``, for a patient its ER can no longer take
        (none when no other ER ranks in a better tier for it; any that ranks when no road
        leads to its ER from where the unit is)."""
        hid, severity = rec["hospital_id"], rec["severity"]
        avoid = {hid, *rec.get("diverted_from", [])}
        drive = self._drive_from(start[0], start[1], now)
        times = {h: float(drive[n]) for h, n in self._nodes.items() if h not in avoid}
        others = rank(rec["condition"], severity, times, {h: self.hospitals[h] for h in times},
                      self.reports, self.incoming(), now, self._rules)  # fmt: skip
        if math.isfinite(heading.remaining_s):
            current = assess(self.hospitals[hid], heading.remaining_s, self.reports[hid], ahead,
                             heading.needs, severity, now, self._rules)  # fmt: skip
            choice = divert_to(current, others)
        else:  # no road leads from the unit to its ER (a closure): any ER that ranks is better
            choice = others[0] if others else None
        if choice is None:
            return []
        rec["diverted_from"] = [*rec.get("diverted_from", []), hid]
        rec["chosen"] = False  # the crew's acceptance was of the ER it is moved from
        rec["diversion"] = {"from": hid, "because": cause, "er_status_id": report_id}
        moving = start if rec.get("transported") else None
        return self._move(rec, choice.hospital.id, others, drive, moving, now)

    def _move(
        self,
        rec: dict[str, Any],
        hid: str,
        ranked: list[Option],
        drive: NDArray[np.float64],
        start: tuple[float, float] | None,
        now: datetime,
    ) -> list[Effect]:
        """A patient recommended another ER (``hid``, out of ``ranked``): its new record,
        routed from ``start`` (``drive`` being from there) or else from the scene, and its
        mass-casualty plan's counts moved with it."""
        effects = self.plans.unsend(rec, now, replan=False) if rec.get("mci") else []
        rec["hospital_id"] = rec["recommended_id"] = hid
        rec["ranked"] = [_ranked(o) for o in ranked]
        record = self._record(rec, drive, DestinationStatus.RECOMMENDED, now, None, start)
        self._save(rec["unit_id"], rec)
        effects = self._destination(record) + effects
        return effects + self.plans.send(rec, now) if rec.get("mci") else effects

    def _recommend_again(self, rec: dict[str, Any], why: str, now: datetime) -> list[Effect]:
        """A new recommendation for a patient no road leads from to its ER (none when it
        stays best); ``why`` heads its reason."""
        drive = self._drive_from(rec["scene"][0], rec["scene"][1], now)
        times = {hid: float(drive[node]) for hid, node in self._nodes.items()}
        ranked = rank(rec["condition"], rec["severity"], times, self.hospitals, self.reports,
                      self.incoming(), now, self._rules)  # fmt: skip
        if not ranked or ranked[0].hospital.id == rec["hospital_id"]:
            return []
        rec["again_because"] = why
        return self._move(rec, ranked[0].hospital.id, ranked, drive, None, now)

    def reroute(
        self,
        before: RoadGraph,
        structure: str,
        where: Callable[[str], tuple[float, float] | None],
        now: datetime,
    ) -> list[Effect]:
        """The patients still to be handed over whose drive to their ER a closure cut: the
        same ER by a way around it (a new recommendation when none leads there and the crew
        neither chose it nor has left); ``before`` is the road graph before the closure,
        ``where`` each unit's fresh position (else its scene)."""
        after = self._roads_at(now)
        effects: list[Effect] = []
        for key, rec in sorted(self._recs.items()):
            if key.startswith(DONE) or rec.get("delivered_at") is not None:
                continue
            start = where(rec["unit_id"]) or (rec["scene"][0], rec["scene"][1])
            origin, target = self._roads.snap(*start).node, self._nodes[rec["hospital_id"]]
            held, route = before.route(origin, target), after.route(origin, target)
            if held is None or (route is not None and route.geometry == held.geometry):
                continue  # its way there does not cross the closure
            if route is None and not rec.get("transported") and not rec.get("chosen"):
                effects += self._recommend_again(rec, f"{structure} 통제 · 도달 경로 없음", now)
                continue
            rec["rerouted_around"] = structure
            drive = self._drive_from(start[0], start[1], now)
            record = self._record(rec, drive, _held_status(rec), now, None, start)
            self._save(rec["unit_id"], rec)
            effects += self._destination(record)
        return effects

    def incoming(self) -> dict[str, int]:
        """Patients heading to each ER, or handed over since it last reported."""
        out: dict[str, int] = {}
        for rec in self._recs.values():
            report = self.reports.get(rec["hospital_id"])
            delivered = rec.get("delivered_at")
            if delivered is None or report is None or datetime.fromisoformat(delivered) > report.at:
                out[rec["hospital_id"]] = out.get(rec["hospital_id"], 0) + rec["count"]
        return out

    # -- patients ------------------------------------------------------------------------
    def on_unit_status(
        self, status: UnitStatus, incident_id: str | None, where: Position | None, now: datetime
    ) -> list[Effect]:
        """A crew's report: patient contact gets a destination; transport, handover and
        clearing move its patient along."""
        rec = self._recs.get(status.unit_id)
        value = status.status
        # a crew that leaves with a patient it never reported on scene: the report is its contact
        contact = value is UnitStatusValue.ON_SCENE or (
            value is UnitStatusValue.TRANSPORTING and rec is None
        )
        if status.patient is not None and not contact and rec is None:
            raise ContractError(
                f"patient of {status.unit_id} reported with status {value.value}: a patient is "
                "reported on contact (on_scene) or when the crew leaves with it (transporting)",
                status.id,
            )
        if contact and status.patient is not None and incident_id:
            at = status.at.isoformat()
            if rec is not None and rec["contact_at"] == at:
                return []  # a replay
            last = self._contacts.get(status.unit_id)
            if last is not None and datetime.fromisoformat(last) >= status.at:
                return []  # a replay (its patient may be handed over and gone), or superseded
            if where is None:
                raise ContractError(f"patient contact of {status.unit_id} without a position")
            undone: list[Effect] = []
            if rec is not None:  # a new patient: the one before is no longer coming
                self._drop(status.unit_id)
                elsewhere = rec["incident_id"] != incident_id  # its plan is not sent again
                undone = self.plans.unsend(rec, now, replan=elsewhere) if rec.get("mci") else []
            contacted = undone + self._contact(status, incident_id, where, now)
            if value is UnitStatusValue.TRANSPORTING:  # and it is on its way already
                moving = status.model_copy(update={"patient": None})
                contacted += self.on_unit_status(moving, incident_id, where, now)
            return contacted
        if contact and status.patient is not None:
            raise ContractError(
                f"patient contact of {status.unit_id} on no incident: it has no destination",
                status.id,
            )
        if rec is None:
            return []
        effects: list[Effect] = []
        if value in (UnitStatusValue.TRANSPORTING, UnitStatusValue.AT_HOSPITAL):
            if not rec.get("transported"):
                rec["transported"] = True
                rec["transported_at"] = status.at.isoformat()
                effects += self.plans.taken(rec, now)
            if value is UnitStatusValue.AT_HOSPITAL and rec.get("delivered_at") is None:
                rec["delivered_at"] = status.at.isoformat()
            self._save(status.unit_id, rec)
        elif value in (UnitStatusValue.AVAILABLE, UnitStatusValue.OUT_OF_SERVICE):
            self._drop(status.unit_id)
            if rec.get("delivered_at") is not None:
                self._save(f"{DONE}{status.unit_id}|{rec['delivered_at']}", rec)
            elif rec.get("mci"):  # the crew left without its patient: plan it again
                effects += self.plans.unsend(rec, now)
            self._prune(status.at)
        return effects

    def on_choose(
        self,
        command: Command,
        now: datetime,
        where: Callable[[str], tuple[float, float] | None] | None = None,
    ) -> list[Effect]:
        """The crew's (or a dispatcher's) choice of ER for the unit's patient, routed from
        where its unit is once it has left with the patient (``where`` gives each unit's
        fresh position), else from the scene."""
        assert command.unit_id is not None and command.hospital_id is not None
        rec = self._recs.get(command.unit_id)
        if rec is None or rec["incident_id"] != command.incident_id:
            raise ContractError(
                f"unit {command.unit_id} has no patient of {command.incident_id} to take",
                command.id,
            )
        hid = command.hospital_id
        if hid not in self.hospitals:
            raise ContractError(f"unknown hospital {hid}", command.id)
        if rec.get("delivered_at") is not None:  # its bed is counted where it was handed over
            raise ContractError(
                f"unit {command.unit_id} handed its patient over at {rec['delivered_at']}: "
                "too late to choose another",
                command.id,
            )
        moved = rec.get("mci") and hid != rec["hospital_id"]
        effects = self.plans.unsend(rec, now, replan=False) if moved else []
        rec["hospital_id"] = hid
        rec["chosen"] = True  # the crew's (or a dispatcher's) word: never moved for it
        accepted = hid == rec["recommended_id"]
        status = DestinationStatus.ACCEPTED if accepted else DestinationStatus.CHANGED
        start = where(command.unit_id) if where and rec.get("transported") else None
        lon, lat = start or (rec["scene"][0], rec["scene"][1])
        drive = self._drive_from(lon, lat, now)
        record = self._record(rec, drive, status, now, command.id, start)
        self._save(command.unit_id, rec)
        effects = self._destination(record) + effects
        return effects + self.plans.send(rec, now) if moved else effects

    def _contact(
        self, status: UnitStatus, incident_id: str, where: Position, now: datetime
    ) -> list[Effect]:
        assert status.patient is not None
        patient = status.patient
        drive = self._drive_from(where.lon, where.lat, now)
        times = {hid: float(drive[node]) for hid, node in self._nodes.items()}
        condition, severity = patient.condition.value, patient.severity.value
        ranked = rank(
            condition, severity, times, self.hospitals, self.reports, self.incoming(), now,
            self._rules,
        )  # fmt: skip
        if not ranked:
            raise ContractError(f"no emergency room reachable from {status.unit_id}", status.id)
        pick: Option = ranked[0]
        mci = self.plans.active(incident_id)
        if mci:  # the plan's place for the severity, unless it cannot treat the condition
            planned = self.plans.planned_pick(incident_id, severity, times)
            if planned is not None:
                option = next((o for o in ranked if o.hospital.id == planned), None)
                option = option or self._option_for(planned, condition, severity, times, now)
                if option is not None and (option.capable or not pick.capable):
                    pick = option
        self._contacts[status.unit_id] = self._patients[f"{CONTACT}{status.unit_id}"] = (
            status.at.isoformat()
        )
        rec = {
            "incident_id": incident_id,
            "unit_id": status.unit_id,
            "condition": condition,
            "severity": severity,
            "count": patient.count,
            "contact_at": status.at.isoformat(),
            "scene": [where.lon, where.lat],
            "hospital_id": pick.hospital.id,
            "recommended_id": pick.hospital.id,
            "ranked": [_ranked(o) for o in ranked],
            "version": 0,
            "mci": mci,
            "transported": False,
            "delivered_at": None,
        }
        record = self._record(rec, drive, DestinationStatus.RECOMMENDED, now, None)
        self._save(status.unit_id, rec)  # before the plan: its patient counts as incoming
        effects = self._destination(record)
        return effects + self.plans.send(rec, now) if mci else effects

    def _option_for(
        self, hid: str, condition: str, severity: str, times: Mapping[str, float], now: datetime
    ) -> Option | None:
        """The ranking's view of one ER (the plan's pick, outside the first ten); None when
        no road leads there from the patient."""
        one = {hid: self.hospitals[hid]}
        incoming = self.incoming()
        ranked = rank(condition, severity, times, one, self.reports, incoming, now, self._rules)
        return ranked[0] if ranked else None

    def _record(
        self,
        rec: dict[str, Any],
        drive: NDArray[np.float64],
        status: DestinationStatus,
        now: datetime,
        command_id: str | None,
        start: tuple[float, float] | None = None,
    ) -> Destination:
        """The destination record of a patient, its route and ETA from ``start`` (where the
        unit is, ``drive`` being from there) or else from the scene."""
        hid = rec["hospital_id"]
        hospital = self.hospitals[hid]
        node = self._nodes[hid]
        lon, lat = start or rec["scene"]
        route = self._roads_at(now).route(self._roads.snap(lon, lat).node, node)
        eta = float(drive[node])
        rec["version"] += 1
        listed = next((r for r in rec["ranked"] if r["hospital_id"] == hid), None)
        why = listed["reason"] if listed else f"{hospital.name} · 선택"
        if again := rec.pop("again_because", None):
            why = f"{again} · 재추천 · " + why
        diversion = rec.pop("diversion", None)
        if diversion is not None:
            name = self.hospitals[diversion["from"]].name
            why = f"{name} {CAUSE_WORDS[diversion['because']]} · 병원 변경 · " + why
        elif listed and listed["stale"] and status is DestinationStatus.RECOMMENDED:
            why = "최신 현황으로 수용 가능한 병원 없음 · 오래된 현황으로 선택 · " + why
        if closed := rec.pop("rerouted_around", None):
            why = f"{closed} 통제 · 우회 경로 · " + why
        if status is DestinationStatus.CHANGED:
            why = "대원 선택 · " + why
        elif rec["mci"]:
            why = "다수사상자 분산 계획 · " + why
        needs = list(self._rules.needs_of(rec["condition"]))
        record = Destination.model_validate(
            {
                "incident_id": rec["incident_id"],
                "unit_id": rec["unit_id"],
                "version": rec["version"],
                "issued_at": now,
                "condition": rec["condition"],
                "severity": rec["severity"],
                "needs": needs,
                "status": status,
                "hospital_id": hid,
                "hospital_name": hospital.name[:120],
                "eta_s": round(eta, 1) if math.isfinite(eta) else 0.0,
                "reason": why[:300],
                "ranked": rec["ranked"],
                "command_id": command_id,
                "mass_casualty": rec["mci"],
                "diverted_from": (diversion or {}).get("from"),
                "diverted_because": (diversion or {}).get("because"),
                "er_status_id": (diversion or {}).get("er_status_id"),
            }
        )
        return record if route is None else record.model_copy(update={"route": route.geometry})

    @staticmethod
    def _destination(record: Destination) -> list[Effect]:
        return [Effect("destinations", record.incident_id, encode(record))]

    # -- stores --------------------------------------------------------------------------
    def on_incident(self, raw: Mapping[str, Any], now: datetime) -> list[Effect]:
        """An incident's state: its mass-casualty plan begins, grows or ends."""
        return self.plans.on_incident(raw, now)

    def forget(self, incident_id: str) -> None:
        """The incident was forgotten by the zone: so is its plan."""
        self.plans.forget(incident_id)

    def times_from(self, lon: float, lat: float, now: datetime) -> dict[str, float]:
        """Drive seconds from a place to each emergency room, on the graph of the moment."""
        drive = self._drive_from(lon, lat, now)
        return {hid: float(drive[node]) for hid, node in self._nodes.items()}

    def stale(self, report: ErReport, now: datetime) -> bool:
        """Whether a report is older than the stated maximum age."""
        return (now - report.at).total_seconds() > self._rules.stale_after_s

    def _drive_from(self, lon: float, lat: float, now: datetime) -> NDArray[np.float64]:
        """Drive seconds from a place to every road node, on the graph of the moment."""
        graph = self._roads_at(now)
        node = self._roads.snap(lon, lat).node
        held = self._drives.get(node)
        if held is not None and held[0] is graph:
            return held[1]
        times = graph.times_from(node)
        self._drives[node] = (graph, times)
        self._drives.move_to_end(node)
        if len(self._drives) > DRIVE_CACHE:
            self._drives.popitem(last=False)
        return times

    def _save(self, key: str, rec: dict[str, Any]) -> None:
        self._recs[key] = rec
        self._patients[key] = dict(rec)  # a table write per change (its changelog)

    def _prune(self, now: datetime) -> None:
        """Forget handovers, and contacts of units without a patient, older than
        ``DONE_KEPT_S`` (long past any replay)."""
        for key, rec in list(self._recs.items()):
            if key.startswith(DONE):
                age_s = (now - datetime.fromisoformat(rec["delivered_at"])).total_seconds()
                if age_s > DONE_KEPT_S:
                    self._drop(key)
        for unit_id, at in list(self._contacts.items()):
            age_s = (now - datetime.fromisoformat(at)).total_seconds()
            if age_s > DONE_KEPT_S and unit_id not in self._recs:
                del self._contacts[unit_id]
                del self._patients[f"{CONTACT}{unit_id}"]

    def _drop(self, key: str) -> None:
        if self._recs.pop(key, None) is not None:
            del self._patients[key]


def _held_status(rec: Mapping[str, Any]) -> DestinationStatus:
    """Whether a patient's ER is the recommendation, or the crew's acceptance or choice."""
    if not rec.get("chosen"):
        return DestinationStatus.RECOMMENDED
    if rec["hospital_id"] == rec["recommended_id"]:
        return DestinationStatus.ACCEPTED
    return DestinationStatus.CHANGED


def _report(value: Mapping[str, Any]) -> ErReport:
    return ErReport(
        datetime.fromisoformat(value["at"]),
        int(value["beds_available"]),
        dict(value.get("capabilities") or {}),
        float(value.get("fill_per_s") or 0.0),
        None if value.get("var_per_s") is None else float(value["var_per_s"]),
    )


def _ranked(option: Option) -> dict[str, Any]:
    return RankedHospital(
        hospital_id=option.hospital.id,
        name=option.hospital.name[:120],
        level=option.hospital.level,
        drive_s=round(option.drive_s, 1),
        beds_available=option.beds_available,
        status_age_s=None if option.status_age_s is None else round(option.status_age_s, 1),
        stale=option.stale,
        capable=option.capable,
        reason=option.reason[:300],
    ).model_dump(mode="json")
