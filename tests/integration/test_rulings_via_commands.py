"""A dispatcher's merge, split and retype, sent on the commands topic to a real worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from stack.settings import Settings
from streams.contract import Command, encode
from streams.rulings import split_id
from streams.topics import Topics
from tests.conftest import Process
from tests.integration.scenario_events import KST, TOWER, at, call, final_states
from tests.kafka_io import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

M_PER_DEG_LON = 111_320.0 * 0.7927  # at 37.5° N


def ruling(cid: str, action: str, **values: Any) -> Command:
    return Command.model_validate(
        {
            "id": cid,
            "at": datetime.now(KST).isoformat(),
            "action": action,
            "by": "dispatcher-lee",
            "role": "dispatcher",
            "reason": "one building, seen from the CCTV wall",
            **values,
        }
    )


def owner(records: list[dict[str, Any]], evidence_id: str) -> str:
    """The one incident whose latest state counts ``evidence_id``."""
    (found,) = [
        inc["id"]
        for inc in final_states(records).values()
        if any(ref["id"] == evidence_id for ref in inc["evidence"])
    ]
    return found


@pytest.mark.timeout(180)
async def test_merge_split_and_retype_through_the_commands_topic(
    settings: Settings, worker: Process
) -> None:
    t = Topics(settings.topic_prefix)
    lon, lat = TOWER
    calls = [
        call("r-fire-1", lon, lat, "fire", at(0)),
        call("r-fire-2", lon + 20 / M_PER_DEG_LON, lat, "fire", at(5)),
        call("r-flood-1", lon + 40 / M_PER_DEG_LON, lat, "flood", at(10)),  # never fuses
    ]
    produce(settings.kafka_bootstrap, t.calls, [(c["id"].encode(), c) for c in calls])
    ids = {c["id"] for c in calls}
    records = await read_until(
        settings.kafka_bootstrap,
        t.incidents,
        lambda r: {e["id"] for i in final_states(r).values() for e in i["evidence"]} >= ids,
        60,
    )
    fire, flood = owner(records, "r-fire-1"), owner(records, "r-flood-1")
    assert fire != flood
    assert final_states(records)[flood]["possibly_related"] == [fire]  # a merge to offer

    merge = ruling("cmd-it-merge", "merge_incident", incident_id=flood, into_incident_id=fire)
    split = ruling("cmd-it-split", "split_evidence", incident_id=fire, evidence_ids=["r-fire-2"])
    retype = ruling("cmd-it-retype", "retype_incident", incident_id=fire, priority=1)
    commands = [merge, merge, split, retype]  # the merge sent twice: applied once
    produce(settings.kafka_bootstrap, t.commands, [(b"city", encode(c)) for c in commands])

    def done(r: list[dict[str, Any]]) -> bool:
        states = final_states(r)
        survivor = states.get(fire, {})
        return {x["command_id"] for x in survivor.get("rulings", [])} >= {
            "cmd-it-merge",
            "cmd-it-split",
            "cmd-it-retype",
        }

    states = final_states(await read_until(settings.kafka_bootstrap, t.incidents, done, 60))
    survivor, gone, new = states[fire], states[flood], states[split_id(split)]
    assert gone["status"] == "closed" and gone["merged_into"] == fire and gone["evidence"] == []
    assert [e["id"] for e in survivor["evidence"]] == ["r-fire-1", "r-flood-1"]
    assert [e["id"] for e in new["evidence"]] == ["r-fire-2"] and new["split_from"] == fire
    assert survivor["priority"] == 1
    actions = [(x["action"], x["by"]) for x in survivor["rulings"]]
    assert actions == [
        ("merge_incident", "dispatcher-lee"),
        ("split_evidence", "dispatcher-lee"),
        ("retype_incident", "dispatcher-lee"),
    ]
