"""The zone sequencer over plain dict stores: lifecycle, replays, restarts, ageing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from streams.contract import Command, CommandAction, ContractError, UnitStatus
from streams.zone import RETAIN_CLOSED, Effect, Zone
from tests.streams.samples import T0, call_evidence, camera_evidence


def zone(incidents: dict[str, Any] | None = None, seen: dict[str, Any] | None = None) -> Zone:
    return Zone(
        incidents if incidents is not None else {},
        seen if seen is not None else {},
        lambda lon, lat: "중구",
    )


def states(effects: list[Effect]) -> list[dict[str, Any]]:
    return [orjson.loads(e.value) for e in effects if e.topic == "incidents"]


def test_replayed_evidence_has_no_second_effect() -> None:
    z = zone()
    first = z.evidence(call_evidence(1), T0)
    assert len(states(first)) == 1
    assert z.evidence(call_evidence(1), T0) == []


def test_a_restarted_zone_rebuilds_from_its_stores_and_keeps_fusing() -> None:
    incidents: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    z = zone(incidents, seen)
    opened = states(z.evidence(call_evidence(1), T0))[0]
    restarted = zone(incidents, seen)  # a new worker recovering the same tables
    assert restarted.evidence(call_evidence(1), T0) == []
    joined = states(restarted.evidence(call_evidence(2, at_s=30), T0))
    assert joined[0]["id"] == opened["id"] and len(joined[0]["evidence"]) == 2


def test_replayed_first_evidence_does_not_open_a_twin() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents, {})
    z.evidence(call_evidence(1), T0)
    assert zone(incidents, {}).evidence(call_evidence(1), T0) == []


def test_lifecycle_by_unit_status_and_commands() -> None:
    z = zone()
    inc_id = states(z.evidence(call_evidence(1), T0))[0]["id"]

    def unit(status: str) -> UnitStatus:
        return UnitStatus.model_validate(
            {
                "unit_id": "E-1",
                "at": T0.isoformat(),
                "kind": "engine",
                "status": status,
                "incident_id": inc_id,
            }
        )

    assert states(z.unit_status(unit("en_route"), T0))[0]["status"] == "dispatched"
    assert states(z.unit_status(unit("on_scene"), T0))[0]["status"] == "on_scene"
    assert z.unit_status(unit("en_route"), T0) == []  # never goes backwards

    def command(n: int, action: CommandAction) -> Command:
        return Command(
            id=f"cmd-{n}", at=T0, action=action, by="d1", role="dispatcher", incident_id=inc_id
        )

    assert (
        states(z.command(command(1, CommandAction.RESOLVE_INCIDENT), T0))[0]["status"] == "resolved"
    )
    assert z.command(command(1, CommandAction.RESOLVE_INCIDENT), T0) == []  # same command id
    assert states(z.command(command(2, CommandAction.CLOSE_INCIDENT), T0))[0]["status"] == "closed"


def test_stale_and_unverified_incidents_age_out() -> None:
    z = zone()
    camera = states(z.evidence(camera_evidence(1, 0.5), T0))[0]
    call = states(z.evidence(call_evidence(2, lon=127.05), T0))[0]
    assert camera["unverified"] and not call["unverified"]
    closed = states(z.tick(T0 + timedelta(minutes=31)))
    assert [c["id"] for c in closed] == [camera["id"]]
    closed = states(z.tick(T0 + timedelta(hours=2, minutes=1)))
    assert [c["id"] for c in closed] == [call["id"]] and closed[0]["status"] == "closed"
    assert z.active_count == 0


def test_resolved_incidents_close_after_a_while() -> None:
    z = zone()
    inc_id = states(z.evidence(call_evidence(1), T0))[0]["id"]
    z.command(
        Command(
            id="c1",
            at=T0,
            action=CommandAction.RESOLVE_INCIDENT,
            by="d",
            role="d",
            incident_id=inc_id,
        ),
        T0,
    )
    assert z.tick(T0 + timedelta(minutes=10)) == []
    assert states(z.tick(T0 + timedelta(minutes=31)))[0]["status"] == "closed"


class Recorder:
    """A follower that records the incident states it is shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, int, int | None]] = []

    def on_incident(self, state: Any, previous: Any, now: Any) -> list[Effect]:
        inc = state.incident
        self.shown.append((inc.id, inc.version, previous.version if previous else None))
        return []

    def on_unit_status(self, status: Any, now: Any) -> list[Effect]:
        return []

    def on_command(self, command: Any, incident: Any, now: Any) -> list[Effect]:
        return []

    def forget(self, incident_id: str) -> None:
        self.shown.append((incident_id, -1, None))  # -1: forgotten


def test_a_batch_publishes_each_changed_incident_once_in_its_latest_state() -> None:
    z, seen = zone(), Recorder()
    z.add_follower(seen)
    z.begin_batch()
    for n in range(1, 6):
        assert z.evidence(call_evidence(n, at_s=10 * n), T0) == []
    (published,) = states(z.flush(T0))
    assert len(published["evidence"]) == 5
    assert seen.shown == [(published["id"], published["version"], None)]
    assert states(z.evidence(call_evidence(6, at_s=70), T0))[0]["version"] > published["version"]


def test_changes_pending_from_an_interrupted_batch_are_published_by_the_next_flush() -> None:
    z = zone()
    z.begin_batch()
    z.evidence(call_evidence(1), T0)
    z.begin_batch()  # the batch was retried after an error: nothing pending is forgotten
    z.evidence(call_evidence(2, at_s=5), T0)
    (published,) = states(z.flush(T0))
    assert len(published["evidence"]) == 2


def test_republish_after_recovery_shows_followers_every_active_incident() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents, {})
    z.evidence(call_evidence(1), T0)
    recovered, seen = zone(incidents, {}), Recorder()
    recovered.add_follower(seen)
    effects = recovered.republish(T0)
    assert [s["id"] for s in states(effects)] == [i for i, _, _ in seen.shown] == list(incidents)


def test_intake_batches_are_cut_into_records_under_the_size_limit() -> None:
    from streams.records import chunks

    items = [b"x" * 1000] * 700  # 700 inputs of 1 KB
    cut = chunks(items, 256 * 1024)
    assert [i for c in cut for i in c] == items
    assert all(sum(len(i) + 1 for i in c) <= 256 * 1024 for c in cut) and len(cut) == 3


def test_closed_incidents_are_forgotten_after_the_retention_and_older_replays_refused() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    follower = Recorder()
    z.add_follower(follower)
    inc_id = states(z.evidence(call_evidence(1), T0))[0]["id"]
    closed_at = T0 + timedelta(hours=2, minutes=1)
    assert states(z.tick(closed_at))[0]["status"] == "closed"
    restarted = zone(incidents)  # a worker taking over knows what is closed, and since when
    restarted.add_follower(follower)
    restarted.tick(closed_at + RETAIN_CLOSED - timedelta(minutes=1))
    assert inc_id in incidents  # kept: a replay of its evidence is still accepted (a no-op)
    assert restarted.evidence(call_evidence(1), closed_at + RETAIN_CLOSED) == []
    restarted.tick(closed_at + RETAIN_CLOSED + timedelta(minutes=1))
    assert incidents == {} and (inc_id, -1, None) in follower.shown
    # its evidence is now older than the zone remembers: refused, never a second incident
    with pytest.raises(ContractError, match="older than the zone remembers"):
        restarted.evidence(call_evidence(1), closed_at + RETAIN_CLOSED + timedelta(minutes=2))


def test_active_incidents_are_never_forgotten() -> None:
    incidents: dict[str, Any] = {}
    z = zone(incidents)
    inc_id = states(z.evidence(call_evidence(1), T0))[0]["id"]
    z.forget(inc_id)
    assert inc_id in incidents and z.active_count == 1
