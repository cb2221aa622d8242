"""The calibration benchmark puts the model next to Seoul's published response times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import calibration

KEYS = (
    "station_to_scene_mean_s",
    "station_to_scene_by_gu_s",
    "named_gu_within_25pct",
    "fires_within_7min_share",
    "call_to_arrival_mean_s",
    "unit_busy_share",
)


@pytest.mark.slow
def test_quick_run_prints_one_json_object_with_the_published_anchors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fires = calibration.FIRES_2021 if calibration.FIRES_2021.is_file() else tmp_path / "none"
    assert calibration.main(["--quick", "--fires", str(fires)]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in KEYS:
        assert key in out and key in out["reference_model"]
    assert set(calibration.STATION_TO_SCENE_BY_GU_S) <= set(out["station_to_scene_by_gu_s"])
    assert 0 <= out["named_gu_within_25pct"] <= 10
    assert 0.0 < out["unit_busy_share"] < 1.0
    # the calibrated city is slower than the reference one (0.8 x the legal limit)
    assert out["station_to_scene_mean_s"] > out["reference_model"]["station_to_scene_mean_s"]
    assert out["call_to_arrival_mean_s"] > out["station_to_scene_mean_s"]
    # and it stays calibrated: the three targets of the model hold on the quick run
    assert out["targets_met"] == {
        "station_to_scene_within_15pct": True,
        "named_gu_8_of_10": True,
        "within_7min_4_points": True,
    }
