"""Settings come from GT_… variables, once, at the entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.settings import ENV_VARS, Settings, SettingsError


def test_round_trip_through_the_environment() -> None:
    s = Settings(
        kafka_bootstrap="k:1",
        redis_url="redis://r:2/0",
        topic_prefix="x-",
        partitions=3,
        data_dir=Path("/data"),
        auth_secret="s" * 20,
    )
    assert Settings.from_env(s.to_env()) == s


def test_unknown_and_malformed_variables_are_refused() -> None:
    with pytest.raises(SettingsError, match="GT_PARTITONS"):
        Settings.from_env({"GT_PARTITONS": "4"})
    with pytest.raises(SettingsError, match="GT_PARTITIONS"):
        Settings.from_env({"GT_PARTITIONS": "four"})
    with pytest.raises(SettingsError):
        Settings.from_env({"GT_PARTITIONS": "0"})


def test_every_field_has_a_variable() -> None:
    assert ENV_VARS["kafka_bootstrap"] == "GT_KAFKA_BOOTSTRAP"
    assert all(v.startswith("GT_") for v in ENV_VARS.values())


def test_secret_is_never_in_repr() -> None:
    assert "hunter2hunter2" not in repr(Settings(auth_secret="hunter2hunter2"))


def test_an_empty_data_dir_means_the_built_in_city_even_where_seoul_data_exists() -> None:
    assert Settings.from_env({"GT_DATA_DIR": ""}).data_dir is None
    assert Settings.from_env(Settings(data_dir=None).to_env()).data_dir is None
