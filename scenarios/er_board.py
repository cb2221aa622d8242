"""Simulated emergency rooms: beds that fill with the patients crews bring and with those
who came otherwise, and the status each ER reports (sometimes late: then it goes stale).

Truth and report are apart on purpose: ``free`` is how many beds an ER has now, a report
is what it said at its last reporting time; the system only ever sees reports.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Mapping
from typing import Any

from dispatch.hospitals import Hospital
from scenarios.patients import load_patients_config

__all__ = ["ErBoard"]


class ErBoard:
    """The city's emergency rooms in a simulation (all times in scenario seconds)."""

    def __init__(self, hospitals: Mapping[str, Hospital], seed: int) -> None:
        cfg = load_patients_config()["er_board"]
        self._cfg = cfg
        self.hospitals = dict(hospitals)
        self._walk = random.Random(seed)  # the others' patients
        self._said = random.Random(seed + 1)  # reporting lapses, capabilities out
        beds, mean = cfg["beds"], cfg["occupied_mean"]
        self.total = {hid: int(beds.get(h.level, 8)) for hid, h in hospitals.items()}
        self._mean = {hid: float(mean.get(h.level, 0.6)) for hid, h in hospitals.items()}
        self._frac = {
            hid: self._clip(m + self._walk.gauss(0, 0.05)) for hid, m in self._mean.items()
        }
        self._stays: dict[str, list[float]] = {hid: [] for hid in hospitals}
        self._next_step_s = 0.0
        self._clock_s = 0.0
        """The latest time the board has been brought to (beds are never taken back)."""
        report_s = float(cfg["report_s"])
        self._next_report = {hid: self._said.uniform(0, report_s) for hid in sorted(hospitals)}
        self._due = sorted((at, hid) for hid, at in self._next_report.items())
        """The same reports as a heap: (due second, hospital id)."""
        self.over_capacity = 0
        """Patients handed over at an ER with no free bed."""

    def _clip(self, frac: float) -> float:
        return min(float(self._cfg["occupied_max"]), max(0.2, frac))

    def _advance(self, now_s: float) -> None:
        step = float(self._cfg["step_s"])
        sd = float(self._cfg["occupied_step_sd"])
        self._clock_s = max(self._clock_s, now_s)
        while self._next_step_s <= now_s:
            for hid in sorted(self._frac):  # back towards the mean, with noise
                frac = self._frac[hid]
                frac += 0.1 * (self._mean[hid] - frac) + self._walk.gauss(0, sd)
                self._frac[hid] = self._clip(frac)
            self._next_step_s += step
        for stays in self._stays.values():
            while stays and stays[0] <= now_s:
                heapq.heappop(stays)

    def free(self, hid: str, now_s: float) -> int:
        """Beds free at an ER now (negative: patients held beyond its beds)."""
        self._advance(now_s)
        taken = round(self._frac[hid] * self.total[hid]) + len(self._stays[hid])
        return self.total[hid] - taken

    def admit(self, hid: str, now_s: float, stay_s: float) -> bool:
        """A patient handed over; False when the ER had no free bed (over capacity)."""
        ok = self.free(hid, now_s) > 0
        if not ok:
            self.over_capacity += 1
        heapq.heappush(self._stays[hid], now_s + stay_s)
        return ok

    def draw_stay_s(self, rng: random.Random) -> float:
        """How long a patient brought in holds an ER bed."""
        low, high = self._cfg["stay_s"]
        return rng.uniform(float(low), float(high))

    def next_report_s(self) -> float:
        """When the next status report is due (it may lapse)."""
        return self._due[0][0] if self._due else float("inf")

    def reports(self, now_s: float) -> list[tuple[float, dict[str, Any]]]:
        """The status reports due by ``now_s``, in the order they fall due: (the scenario
        second its beds were counted, ``er-status`` value without its time).

        Each is counted at its own due time unless the board has already been brought
        past it (then at that time), so a caller that reads the reports as they fall due
        gets each ER's beds as they were when it reported; and whatever the calls, the
        reports, lapses and capabilities drawn are the same for every board of a seed.
        An ER with more than one report due gives only its latest."""
        cfg = self._cfg
        out: dict[str, tuple[float, dict[str, Any]]] = {}
        while self._due and self._due[0][0] <= now_s:
            due_s, hid = self._due[0]
            lapsed = self._said.random() < float(cfg["lapse_share"])
            self._next_report[hid] = due_s + float(cfg["report_s"])
            if lapsed:
                self._next_report[hid] += self._said.uniform(*cfg["lapse_s"])
            heapq.heapreplace(self._due, (self._next_report[hid], hid))
            if lapsed:
                continue
            taken_s = max(due_s, self._clock_s)
            out[hid] = (taken_s, self.status(hid, taken_s))
        return sorted(out.values(), key=lambda r: (r[0], r[1]["hospital_id"]))

    def status(self, hid: str, now_s: float) -> dict[str, Any]:
        """What an ER reports now."""
        out_share = float(self._cfg["capability_out_share"])
        caps = {
            c: self._said.random() >= out_share for c in sorted(self.hospitals[hid].capabilities)
        }
        return {
            "id": f"ers-{hid}-{int(now_s)}",
            "hospital_id": hid,
            "beds_available": max(0, self.free(hid, now_s)),
            "beds_total": self.total[hid],
            "capabilities": caps,
            "source": "simulator",
        }
