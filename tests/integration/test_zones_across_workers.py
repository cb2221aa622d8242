"""Two workers over eight fusion zones on the real broker: emergencies reported on both
sides of zone borders end as one incident each, no report or patient counted twice, and
dispatcher commands and dispatch feedback reach each incident's own zone."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from geo import load_city
from stack.embedded import EmbeddedBroker, EmbeddedCache, local_settings
from stack.settings import Settings
from streams.contract import Command, IncidentStatus, encode
from streams.fusion import ACTIVE
from streams.topics import Topics, ensure_topics
from streams.zones import ZoneMap, owner_of
from tests.conftest import start_worker
from tests.integration.scenario_events import KST, at, call, final_states
from tests.integration.test_restart_and_scaleout import beats, send, wait_beat
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

M_LAT = 1 / 111_320
KINDS = ("fire", "medical", "traffic")


def border_clusters(grid: ZoneMap) -> list[list[tuple[float, float]]]:
    """Places on zone borders and corners, ≥ 1 km apart, each with six reports within
    30 m of the border, alternating sides."""
    w, s, e, n = grid.bbox
    m_lon = 1 / (111_320 * math.cos(math.radians((s + n) / 2)))
    xs = [w + (e - w) * c / grid.cols for c in range(1, grid.cols)]
    ys = [s + (n - s) * r / grid.rows for r in range(1, grid.rows)]
    places = [(x, s + (n - s) * f) for x in xs for f in (0.2, 0.8)]  # on vertical borders
    places += [(w + (e - w) * f, y) for y in ys for f in (0.1, 0.6)]  # on horizontal ones
    places += [(x, y) for x in xs[:1] for y in ys]  # a corner of four zones
    clusters = []
    for lon, lat in places:
        offsets = [(-25, 10), (25, -10), (-15, -20), (20, 25), (-5, 5), (10, -25)]
        clusters.append([(lon + dx * m_lon, lat + dy * M_LAT) for dx, dy in offsets])
    return clusters


@pytest.mark.timeout(300)
async def test_two_workers_eight_zones_one_incident_per_emergency(
    broker: EmbeddedBroker, cache: EmbeddedCache, tmp_path: Path
) -> None:
    prefix = f"z{uuid.uuid4().hex[:10]}-"
    settings: Settings = local_settings(
        broker.bootstrap, cache.url, tmp_path, topic_prefix=prefix, partitions=8
    ).replace(zones="4x2", data_dir=None)
    ensure_topics(settings.kafka_bootstrap, Topics(prefix), settings.partitions)
    grid = ZoneMap.parse(settings.zones, load_city(None).bbox)
    clusters = border_clusters(grid)
    items: list[tuple[str, bytes, bytes | dict[str, Any]]] = []
    want: list[set[str]] = []
    hurt: dict[str, int] = {}  # two reports of one patient each per place (under a mass casualty)
    for c, points in enumerate(clusters):
        ids = set()
        for i, (lon, lat) in enumerate(points):
            eid = f"zc{c:02d}-{i}"
            hurt[eid] = int(i % 3 == 0)
            value = call(eid, lon, lat, KINDS[c % 3], at(i - 60), patients=hurt[eid])
            items.append(("calls", eid.encode(), value))
            ids.add(eid)
        want.append(ids)
        homes = {grid.home(lon, lat) for lon, lat in points}
        assert len(homes) >= 2, f"cluster {c} does not cross a border"

    w1 = start_worker(settings, tmp_path / "w1")
    s2 = settings.replace(worker_id="w2", worker_state_dir=tmp_path / "w2-state")
    w2 = start_worker(s2, tmp_path / "w2")
    try:
        wait_beat(
            settings, lambda b: len(b) == 2 and all(x["assigned"] > 0 for x in b.values()), 60
        )
        send(settings, items)
        t = Topics(prefix)
        every = set().union(*want)

        def settled(records: list[dict[str, Any]]) -> bool:
            states = final_states(records)
            active = [s for s in states.values() if IncidentStatus(s["status"]) in ACTIVE]
            held = [ref["id"] for s in active for ref in s["evidence"]]
            return len(active) == len(clusters) and sorted(held) == sorted(every)

        records = await read_until(settings.kafka_bootstrap, t.incidents, settled, 120)
        states = final_states(records)
        active = {i: s for i, s in states.items() if IncidentStatus(s["status"]) in ACTIVE}
        groups = sorted(sorted(ref["id"] for ref in s["evidence"]) for s in active.values())
        assert groups == sorted(sorted(ids) for ids in want)
        for s in active.values():
            assert s["patients"] == sum(hurt[ref["id"]] for ref in s["evidence"]), s["id"]
        merged = [s for s in states.values() if s["merged_into"]]
        assert merged, "no border was crossed"
        for gone in merged:  # closed, holding nothing, and its chain ends in a survivor
            assert gone["evidence"] == [] and gone["status"] == "closed"
            into = gone["merged_into"]
            while into not in active:
                into = states[into]["merged_into"]
        assert {owner_of(i) for i in states} <= set(grid.names)
        assert len({owner_of(i) for i in active}) >= 3  # the work is spread over zones
        workers = beats(settings)
        assert {w for w, b in workers.items() if b["fusion_assigned"] > 0} == {"worker-1", "w2"}

        # a dispatcher command reaches its incident's zone, whichever worker reads it
        target = sorted(active)[0]
        close = Command.model_validate(
            {
                "id": "zone-close-1",
                "at": datetime.now(KST).isoformat(),
                "action": "close_incident",
                "by": "dispatcher-lee",
                "role": "dispatcher",
                "incident_id": target,
                "reason": "handled",
            }
        )
        produce(settings.kafka_bootstrap, t.commands, [(b"city", encode(close))])

        def closed(records: list[dict[str, Any]]) -> bool:
            return final_states(records).get(target, {}).get("status") == "closed"

        await read_until(settings.kafka_bootstrap, t.incidents, closed, 60)
        # fires are priority 1: units are sent at once, and the dispatch stage's feedback
        # ("dispatched") reaches each fire's own zone
        fires = [i for i, s in active.items() if s["type"] == "fire" and i != target]

        def dispatched(records: list[dict[str, Any]]) -> bool:
            states = final_states(records)
            return all(states[i]["status"] in ("dispatched", "on_scene") for i in fires)

        await read_until(settings.kafka_bootstrap, t.incidents, dispatched, 60)
        assert w1.alive() and w2.alive()
    finally:
        for w in (w1, w2):
            w.stop()
