"""A camera feed: drop-oldest slots, and demand with a grace period (clock given by the test)."""

from __future__ import annotations

import asyncio

from video_relay.feed import CameraFeed, Frame, ViewerSlot
from video_relay.hub import FeedHub


async def test_a_slot_holds_only_the_newest_frame() -> None:
    slot = ViewerSlot()
    for seq in range(1, 6):
        slot.offer(Frame(seq, b"x", 0.0))
    assert (await slot.next_frame()).seq == 5
    assert slot.dropped == 4 and not slot.holding
    slot.offer(Frame(6, b"x", 0.0))
    held = await slot.next_frame()
    slot.offer(Frame(7, b"x", 0.0))
    assert slot.take_newer(held).seq == 7
    assert slot.take_newer(Frame(8, b"x", 0.0)).seq == 8


async def test_next_frame_waits_for_an_offer() -> None:
    slot = ViewerSlot()
    waiter = asyncio.create_task(slot.next_frame())
    await asyncio.sleep(0)
    assert not waiter.done()
    slot.offer(Frame(1, b"a", 0.0))
    assert (await asyncio.wait_for(waiter, 1)).data == b"a"


def test_frames_flow_only_while_wanted_and_during_grace() -> None:
    feed = CameraFeed("CAM-1", grace_s=5.0)
    assert not feed.wanted
    assert feed.publish(b"a", 0.0) is None and feed.frames_paused == 1
    slot = feed.attach(now_s=1.0, stale_after_s=2.0)
    assert feed.wanted
    frame = feed.publish(b"b", 1.1)
    assert frame is not None and frame.seq == 1 and slot.holding
    feed.detach(slot, now_s=2.0)
    assert feed.wanted  # grace period
    assert feed.publish(b"c", 3.0) is not None
    assert not feed.refresh(6.9)
    assert feed.refresh(7.0) and not feed.wanted
    assert feed.latest is None


def test_a_new_viewer_gets_the_kept_frame_only_when_fresh() -> None:
    feed = CameraFeed("CAM-1", grace_s=5.0)
    first = feed.attach(0.0, stale_after_s=2.0)
    feed.publish(b"a", 0.5)
    assert feed.attach(2.0, stale_after_s=2.0).holding
    assert not feed.attach(2.6, stale_after_s=2.0).holding
    assert first.holding


async def test_demand_change_wakes_a_waiting_source() -> None:
    feed = CameraFeed("CAM-1", grace_s=1.0)
    changed = feed.demand_changed()
    slot = feed.attach(0.0, 2.0)
    assert changed.is_set()
    changed = feed.demand_changed()
    assert not changed.is_set()
    feed.detach(slot, 0.5)
    hub = FeedHub(grace_s=1.0)
    hub._feeds["CAM-1"] = feed
    assert hub.tick(1.0) == [] and hub.tick(1.5) == [feed]
    assert changed.is_set()
    assert hub.feed("CAM-1") is feed and hub.get("CAM-2") is None
