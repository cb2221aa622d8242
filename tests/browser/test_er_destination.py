"""Emergency rooms in the pages, fed through the real broker to a real console and Chromium:
the crew's destination card on a 390×844 phone (accept or choose another, one tap each, the
choice pending until a destinations record confirms it), the stale flag, and the console's
hospital board and mass-casualty distribution panel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from playwright.async_api import Browser, Page

from access import Role
from geo import City, load_city
from stack.settings import Settings
from streams.contract import Command, Destination, MciPlan, decode
from streams.topics import Topics
from tests.browser.conftest import new_page, screenshot_path, sign_in
from tests.browser.live import console_page, rendered, stream
from tests.browser.scene import route_between
from tests.browser.test_mobile import ON_SCREEN, PHONE
from tests.conftest import Process
from tests.console.console_samples import assignment, incident, token, unit_status
from tests.console.hospital_samples import er_status, refused_choice
from tests.kafka_io import read_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.integration]

KEYS = {"er-status": "hospital_id", "destinations": "incident_id", "mci-plans": "incident_id"}
Hospital = dict[str, Any]


def emergency_rooms(city: City) -> list[Hospital]:
    """The console city's emergency rooms (id as the console's registry names it)."""
    return [
        {
            "hospital_id": f.id.removeprefix("ER-"),
            "name": f.name,
            "level": getattr(f, "level", "") or "지역응급의료센터",
            "lonlat": (f.lon, f.lat),
        }
        for f in city.facilities
        if f.kind == "emergency_room"
    ]


def ranked_for(city: City, scene: tuple[float, float], stale_id: str) -> list[dict[str, Any]]:
    """The city's emergency rooms by drive time from the scene (``stale_id``'s status old)."""
    out = []
    for h in emergency_rooms(city):
        route = route_between(city, scene, h["lonlat"])
        assert route is not None
        stale = h["hospital_id"] == stale_id
        out.append(
            {
                "hospital_id": h["hospital_id"],
                "name": h["name"],
                "level": h["level"],
                "drive_s": round(route.eta_s, 1),
                "beds_available": 2 if stale else 5,
                "status_age_s": 2400.0 if stale else 90.0,
                "stale": stale,
                "capable": True,
                "reason": "PCI 가능 · 정보 오래됨" if stale else "PCI 가능",
                "route": route.geometry,
            }
        )
    return sorted(out, key=lambda r: r["drive_s"])


def destination_record(
    incident_id: str,
    unit_id: str,
    ranked: list[dict[str, Any]],
    chosen: dict[str, Any],
    status: str,
    version: int,
    command_id: str | None = None,
) -> dict[str, Any]:
    """A ``destinations`` record for the unit's cardiac-arrest patient (contract-valid)."""
    minutes = round(chosen["drive_s"] / 60)
    data = {
        "incident_id": incident_id,
        "unit_id": unit_id,
        "version": version,
        "issued_at": datetime.now(UTC).isoformat(),
        "condition": "cardiac_arrest",
        "severity": "critical",
        "needs": ["pci"],
        "status": status,
        "hospital_id": chosen["hospital_id"],
        "hospital_name": chosen["name"],
        "eta_s": chosen["drive_s"],
        "route": chosen["route"],
        "reason": f"PCI 가능 · {minutes}분 · 병상 {chosen['beds_available']}",
        "ranked": [{k: v for k, v in r.items() if k != "route"} for r in ranked],
        "command_id": command_id,
    }
    return Destination.model_validate(data).model_dump(mode="json")


def send(live: Any, base: str, items: list[dict[str, Any]]) -> None:
    """Produce records keyed as the worker keys them."""
    topic = live.topics.name(base)
    for item in items:
        live.producer.send(topic, key=str(item[KEYS[base]]).encode(), value=orjson.dumps(item))
    live.producer.flush()


async def commands_after(settings: Settings, count: int) -> list[Command]:
    """The commands produced so far, once there are ``count``."""
    topic = Topics(settings.topic_prefix).commands
    records = await read_until(settings.kafka_bootstrap, topic, lambda r: len(r) >= count)
    return [decode(Command, orjson.dumps(r)) for r in records]


async def text(page: Page, selector: str) -> str:
    """The text of one element."""
    return (await page.locator(selector).text_content()) or ""


@pytest.mark.timeout(180)
async def test_the_crew_accepts_or_chooses_another_er_with_one_tap_on_a_phone(
    browser: Browser, settings: Settings, console: Process
) -> None:
    city = load_city(settings.data_dir)  # the console's own city
    lons, lats = city.roads.node_lonlats()
    scene = (float(lons[len(lons) // 2]), float(lats[len(lats) // 2]))
    rooms = emergency_rooms(city)
    stale_id = rooms[-1]["hospital_id"]
    ranked = ranked_for(city, scene, stale_id)
    best, other = ranked[0], next(r for r in ranked[1:] if not r["stale"])
    stale_room = next(r for r in ranked if r["stale"])
    unit, inc = "A-ER-1", "inc-er-crew"
    with stream(settings) as live:
        live.send("unit-status", [unit_status(unit, "on_scene", *scene, kind="ambulance")])
        live.send(
            "incidents",
            [incident(inc, *scene, type="cardiac_arrest", address="서울 중구 세종대로 110")],
        )
        live.send("assignments", [assignment(inc, unit, "assigned", [scene, scene])])
        send(live, "destinations", [destination_record(inc, unit, ranked, best, "recommended", 1)])
        page = await new_page(browser, *PHONE, touch=True)
        await sign_in(page, settings.console_url, token(settings, Role.CREW, unit))
        await page.goto(f"{settings.console_url}/crew")
        await rendered(
            page, f"document.getElementById('dest-name').textContent === {best['name']!r}"
        )
        # the unit's status comes on its own topic: the ETA line is read once the page shows it
        await rendered(
            page,
            "document.querySelector('#status-buttons .current')?.dataset.status === 'on_scene'",
        )
        assert await text(page, "#dest-level") == best["level"]
        assert "PCI 가능" in await text(page, "#dest-reason")
        drive = f"주행 {max(1, round(best['drive_s'] / 60))}분 · 출발 전 drive, not yet left"
        assert await text(page, "#dest-eta") == drive  # on scene: the clock starts on leaving
        assert "심정지" in await text(page, "#dest-condition")
        assert "recommended" in await text(page, "#dest-state")
        buttons = await page.evaluate(ON_SCREEN)  # the card leaves the status buttons in reach
        assert all(b["inside"] and b["uncovered"] for b in buttons), buttons

        # one tap: accept the recommendation; pending until the record confirms it
        await page.tap("#dest-accept")
        await rendered(page, "document.getElementById('dest-state').className === 'pending'")
        accepted = (await commands_after(settings, 1))[-1]
        assert accepted.action.value == "choose_destination"
        assert (accepted.unit_id, accepted.hospital_id, accepted.incident_id) == (
            unit,
            best["hospital_id"],
            inc,
        )
        confirmed = destination_record(inc, unit, ranked, best, "accepted", 2, accepted.id)
        send(live, "destinations", [confirmed])
        await rendered(page, "document.getElementById('dest-state').className === 'accepted'")
        assert await page.locator("#dest-accept").is_disabled()

        # one tap opens the ranked list (drive time, beds, stale flag, reason), one tap chooses
        await page.tap("#dest-other")
        items = page.locator("#dest-ranked li")
        await items.first.wait_for()
        assert await items.count() == len(ranked)
        stale_item = page.locator(f"#dest-ranked li[data-hospital='{stale_id}']")
        assert "stale" in (await stale_item.locator(".stale-flag").text_content() or "")
        assert f"병상 {stale_room['beds_available']}" in (await stale_item.text_content() or "")
        first = await items.first.text_content() or ""
        assert f"{max(1, round(best['drive_s'] / 60))}분" in first and "PCI 가능" in first
        assert await page.locator("#dest-ranked .stale-flag").count() == 1
        await page.tap(f"#dest-ranked li[data-hospital='{other['hospital_id']}'] button")
        await rendered(page, "document.getElementById('dest-state').className === 'pending'")
        assert other["name"] in await text(page, "#dest-state")
        chosen = (await commands_after(settings, 2))[-1]
        assert (chosen.unit_id, chosen.hospital_id) == (unit, other["hospital_id"])
        assert chosen.role == "crew"
        changed = destination_record(inc, unit, ranked, other, "changed", 3, chosen.id)
        send(live, "destinations", [changed])
        await rendered(page, "document.getElementById('dest-state').className === 'changed'")
        assert await text(page, "#dest-name") == other["name"]
    assert len(await commands_after(settings, 2)) == 2  # one tap, one command each
    assert not page.errors  # type: ignore[attr-defined]


@pytest.mark.timeout(180)
async def test_a_choice_the_worker_refuses_says_why_on_the_card_at_once(
    browser: Browser, settings: Settings, console: Process
) -> None:
    city = load_city(settings.data_dir)
    lons, lats = city.roads.node_lonlats()
    scene = (float(lons[len(lons) // 3]), float(lats[len(lats) // 3]))
    ranked = ranked_for(city, scene, stale_id="")
    best, other = ranked[0], ranked[1]
    unit, inc = "A-ER-2", "inc-er-refused"
    with stream(settings) as live:
        live.send("unit-status", [unit_status(unit, "on_scene", *scene, kind="ambulance")])
        live.send("incidents", [incident(inc, *scene, type="cardiac_arrest")])
        live.send("assignments", [assignment(inc, unit, "assigned", [scene, scene])])
        send(live, "destinations", [destination_record(inc, unit, ranked, best, "recommended", 1)])
        page = await new_page(browser, *PHONE, touch=True)
        await sign_in(page, settings.console_url, token(settings, Role.CREW, unit))
        await page.goto(f"{settings.console_url}/crew")
        await rendered(page, "!document.getElementById('destination').hidden")
        await page.tap("#dest-other")
        await page.tap(f"#dest-ranked li[data-hospital='{other['hospital_id']}'] button")
        await rendered(page, "document.getElementById('dest-state').className === 'pending'")
        command = (await commands_after(settings, 1))[-1]
        as_sent = orjson.loads(command.model_dump_json())
        someone_else = {**as_sent, "id": "cmd-1-other", "unit_id": "A-ER-9"}
        why = f"unit {unit} has no patient of {inc} to take"
        letters = [
            refused_choice(someone_else, "unit A-ER-9 has no patient"),
            refused_choice(as_sent, why),
        ]
        for letter in letters:
            live.producer.send(live.topics.deadletter, value=orjson.dumps(letter))
        live.producer.flush()
        await rendered(page, "document.getElementById('dest-state').className === 'refused'")
        shown = await text(page, "#dest-state")
        assert why in shown and other["name"] in shown and "A-ER-9" not in shown
        assert not await page.locator("#dest-accept").is_disabled()  # the crew can choose again
    assert not page.errors  # type: ignore[attr-defined]


def mci_plan_over(rooms: list[Hospital], incident_id: str) -> dict[str, Any]:
    """A 30-patient crowd incident spread over the city's emergency rooms, 3 unallocated."""
    shares = [((2, 4, 5), (2, 1, 1)), ((1, 3, 5), (1, 0, 0)), ((1, 2, 4), (0, 0, 0))]
    allocations = []
    for i, (h, (planned, moved)) in enumerate(zip(rooms, shares, strict=False)):
        allocations.append(
            {
                "hospital_id": h["hospital_id"],
                "name": h["name"],
                "drive_s": 300.0 + 150 * i,
                "capacity": sum(planned),
                "planned": dict(zip(("critical", "serious", "minor"), planned, strict=True)),
                "transported": dict(zip(("critical", "serious", "minor"), moved, strict=True)),
            }
        )
    plan = {
        "incident_id": incident_id,
        "version": 3,
        "updated_at": datetime.now(UTC).isoformat(),
        "patients_total": 30,
        "allocations": allocations,
        "unallocated": 30 - sum(sum(s[0]) for s in shares[: len(allocations)]),
    }
    return MciPlan.model_validate(plan).model_dump(mode="json")


@pytest.mark.timeout(180)
async def test_the_console_flags_stale_er_status_and_shows_the_mass_casualty_distribution(
    browser: Browser, settings: Settings, console: Process
) -> None:
    city = load_city(settings.data_dir)
    rooms = emergency_rooms(city)
    fresh, full, stale = rooms[0], rooms[1], rooms[2]
    inc = "inc-er-crowd"
    crowd = incident(
        inc,
        126.9850,
        37.5640,
        type="crowd",
        patients=30,
        mass_casualty=True,
        description="인파 밀집 압사 사고 — 다수 사상자",
        address="서울 중구 명동길 14",
    )
    unit = "A-ER-7"
    route = route_between(city, (126.9850, 37.5640), fresh["lonlat"])
    assert route is not None
    coming = {
        "incident_id": inc,
        "unit_id": unit,
        "version": 1,
        "issued_at": datetime.now(UTC).isoformat(),
        "condition": "major_trauma",
        "severity": "critical",
        "needs": ["trauma"],
        "status": "accepted",
        "hospital_id": fresh["hospital_id"],
        "hospital_name": fresh["name"],
        "eta_s": round(route.eta_s, 1),
        "route": route.geometry,
        "reason": "분산 이송 계획",
        "ranked": [],
        "mass_casualty": True,
    }
    coming = Destination.model_validate(coming).model_dump(mode="json")
    plan = mci_plan_over(rooms, inc)
    with stream(settings) as live:
        live.send("incidents", [crowd])
        live.send(
            "unit-status", [unit_status(unit, "transporting", 126.9850, 37.5640, kind="ambulance")]
        )
        scene_route = [(126.9850, 37.5640), (126.9850, 37.5640)]
        order = assignment(inc, unit, "assigned", scene_route, unit_kind="ambulance")
        live.send("assignments", [order])
        send(
            live,
            "er-status",
            [
                er_status(fresh["hospital_id"], 6),
                er_status(full["hospital_id"], 0),
                er_status(stale["hospital_id"], 3, age_s=2700),
            ],
        )
        send(live, "destinations", [coming])
        send(live, "mci-plans", [plan])
        page = await console_page(browser, settings)
        row = "#hospitals li[data-hospital='{}']"
        stale_flag = f"{row.format(stale['hospital_id'])} .h-stale"
        await rendered(page, f"document.querySelector({stale_flag!r}) !== null")
        flagged = f"document.querySelector({stale_flag!r}).textContent.includes('stale')"
        await rendered(page, flagged)
        stale_row = page.locator(row.format(stale["hospital_id"]))
        assert await stale_row.get_attribute("class") == "hospital stale"
        assert "45분 전" in (await stale_row.locator(".h-stale").text_content() or "")
        assert (
            await page.locator(f"{row.format(fresh['hospital_id'])} .h-stale").text_content() == ""
        )
        assert "full" in (
            await page.locator(row.format(full["hospital_id"])).get_attribute("class") or ""
        )
        coming_list = f"{row.format(fresh['hospital_id'])} .h-coming"
        listed = f"document.querySelector({coming_list!r}).textContent.includes({unit!r})"
        await rendered(page, listed)
        assert await page.locator(".er-marker.stale").count() == 1  # on the map too
        assert "1 stale" in await text(page, "#hospital-count")

        await page.evaluate(f"GT.console.select({inc!r})")
        await rendered(page, "document.querySelectorAll('#detail .mci tbody tr').length === 3")
        summary = await text(page, "#detail .mci-summary")
        going = f"#detail tr[data-unit='{unit}'] td:first-child"
        await rendered(page, f"document.querySelector({going!r}).textContent.includes('→')")
        assert (await text(page, going)).endswith(f"→ {fresh['name']}")  # its destination
        assert "환자 30명" in summary and "미배정 unallocated 3" in summary
        assert "계획 27" in summary and "이송 5" in summary
        cells = await page.locator("#detail .mci tbody tr").evaluate_all(
            "rs => rs.map(r => [r.dataset.hospital, ...[...r.children].map(c => c.textContent)])"
        )
        by_id = {c[0]: c[1:] for c in cells}
        assert by_id[fresh["hospital_id"]][1:] == ["11 (2/4/5)", "4 (2/1/1)", "11"]
        assert by_id[full["hospital_id"]][1:] == ["9 (1/3/5)", "1 (1/0/0)", "9"]
        assert by_id[stale["hospital_id"]][1:] == ["7 (1/2/4)", "0 (0/0/0)", "7"]

        # the plan updates as crews transport
        moved = {**plan, "version": 4}
        moved["allocations"] = [
            {**a, "transported": a["planned"]} if a["hospital_id"] == full["hospital_id"] else a
            for a in plan["allocations"]
        ]
        send(live, "mci-plans", [moved])
        await rendered(
            page, "document.querySelector('#detail .mci-summary').textContent.includes('이송 13')"
        )
        done = page.locator(f"#detail .mci tbody tr[data-hospital='{full['hospital_id']}']")
        assert await done.get_attribute("class") == "done"
        await page.wait_for_timeout(300)
        await page.screenshot(path=str(screenshot_path("mci-distribution")))
    assert not page.errors  # type: ignore[attr-defined]
