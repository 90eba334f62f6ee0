"""HubConfig: environment variables, overrides, and the messages for bad values."""

from __future__ import annotations

import gc
import platform
from pathlib import Path

import pytest

from hub.config import GC_THRESHOLDS, ConfigError, HubConfig, parse_bool, tune_allocator, tune_gc


def test_defaults() -> None:
    config = HubConfig.from_env({})
    assert config.data_dir == Path("./hub-data")
    assert (config.host, config.port) == ("127.0.0.1", 8083)
    assert config.auto_create_topics is False
    assert config.url == "http://127.0.0.1:8083"


def test_environment_then_overrides() -> None:
    env = {
        "HUB_DATA_DIR": "/srv/hub",
        "HUB_HOST": "0.0.0.0",
        "HUB_PORT": "9000",
        "HUB_AUTO_CREATE_TOPICS": "yes",
        "HUB_AUTO_CREATE_PARTITIONS": "4",
    }
    config = HubConfig.from_env(env)
    assert config.data_dir == Path("/srv/hub")
    assert config.port == 9000
    assert config.auto_create_topics is True
    assert config.auto_create_partitions == 4
    assert config.url == "http://127.0.0.1:9000"  # 0.0.0.0 is reached through loopback
    overridden = HubConfig.from_env(env, port=9100, data_dir="/tmp/x", host=None)
    assert overridden.port == 9100
    assert overridden.data_dir == Path("/tmp/x")
    assert overridden.host == "0.0.0.0"  # None means "not given"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"HUB_PORT": "http"}, "HUB_PORT='http' must be a positive integer"),
        ({"HUB_PORT": "-1"}, "HUB_PORT"),
        ({"HUB_AUTO_CREATE_TOPICS": "maybe"}, "use true or false"),
        ({"HUB_AUTO_CREATE_PARTITIONS": "0"}, "HUB_AUTO_CREATE_PARTITIONS"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        HubConfig.from_env(env)


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("On", True), ("false", False), ("", False)]
)
def test_parse_bool(raw: str, value: bool) -> None:
    assert parse_bool("X", raw) is value


def test_ipv6_url() -> None:
    assert HubConfig(host="::1", port=1).url == "http://[::1]:1"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_tune_allocator_on_glibc() -> None:
    assert tune_allocator() is True


def test_tune_gc_freezes_startup_objects_and_raises_the_thresholds() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
