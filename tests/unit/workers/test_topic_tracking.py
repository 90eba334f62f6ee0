"""``topic.tracking.enable`` / ``topic.tracking.allow.reset`` (Kafka's worker settings, KIP-558)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.api.connect import topic_tracking_from_env
from hub.config import ConfigError
from tests.unit.workers import plugins
from tests.unit.workers.helpers import herder_on, source, wait_for
from workers.exceptions import ForbiddenError


def test_tracking_disabled_answers_403_and_records_nothing(tmp_path: Path) -> None:
    with herder_on(tmp_path, topic_tracking=False) as herder:
        herder.put_connector_config("tt1", source("tt1", 5), allow_replace=False)
        wait_for(lambda: plugins.COMMITTED.get("tt1"), what="records written")
        for call in (herder.active_topics, herder.reset_active_topics):
            with pytest.raises(ForbiddenError, match=r"^Topic tracking is disabled\.$") as err:
                call("tt1")
            assert err.value.status == 403
        assert herder.statuses.topics("tt1") == []


def test_reset_disallowed_answers_403_but_listing_works(tmp_path: Path) -> None:
    with herder_on(tmp_path, topic_tracking_allow_reset=False) as herder:
        herder.put_connector_config("tt2", source("tt2", 5), allow_replace=False)
        wait_for(lambda: herder.active_topics("tt2") == ["tt2"], what="tt2 tracked")
        with pytest.raises(ForbiddenError, match="Topic tracking reset is disabled"):
            herder.reset_active_topics("tt2")
        assert herder.active_topics("tt2") == ["tt2"]


def test_settings_come_from_the_environment() -> None:
    assert topic_tracking_from_env({}) == {
        "topic_tracking": True,
        "topic_tracking_allow_reset": True,
    }
    env = {"HUB_TOPIC_TRACKING_ENABLE": "false", "HUB_TOPIC_TRACKING_ALLOW_RESET": "no"}
    assert topic_tracking_from_env(env) == {
        "topic_tracking": False,
        "topic_tracking_allow_reset": False,
    }
    with pytest.raises(ConfigError, match="HUB_TOPIC_TRACKING_ENABLE"):
        topic_tracking_from_env({"HUB_TOPIC_TRACKING_ENABLE": "maybe"})
