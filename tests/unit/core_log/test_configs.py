from __future__ import annotations

import pytest

from hub.core_log import InvalidConfigurationError, InvalidTopicError
from hub.core_log.configs import (
    TOPIC_CONFIGS,
    TopicConfig,
    effective_configs,
    validate_config,
    validate_configs,
    validate_topic_name,
)


def test_unknown_key_names_it_and_lists_known_keys() -> None:
    with pytest.raises(InvalidConfigurationError, match=r"'retention\.msec'") as err:
        validate_config("retention.msec", "10")
    assert "retention.ms" in str(err.value) and err.value.error_code == 40


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("cleanup.policy", "compact, delete", "delete,compact"),
        ("cleanup.policy", "compact", "compact"),
        ("compression.type", "zstd", "zstd"),
        ("retention.ms", " -1 ", "-1"),
        ("segment.bytes", 1048576, "1048576"),
        ("min.cleanable.dirty.ratio", "0.25", "0.25"),
        ("fsync.on.append", "TRUE", "true"),
        ("fsync.on.append", True, "true"),
        ("message.timestamp.type", "LogAppendTime", "LogAppendTime"),
    ],
)
def test_valid_values_are_normalized(name: str, value: object, expected: str) -> None:
    assert validate_config(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value", "mentions"),
    [
        ("cleanup.policy", "purge", "delete, compact"),
        ("cleanup.policy", "", "delete, compact"),
        ("compression.type", "brotli", "producer, none, gzip, snappy, lz4, zstd"),
        ("retention.ms", "ten", "an integer"),
        ("retention.ms", "-2", "between -1"),
        ("segment.bytes", "1", "between 14"),
        ("min.cleanable.dirty.ratio", "1.5", "between 0 and 1"),
        ("fsync.on.append", "yes", "true, false"),
        ("message.timestamp.type", "createtime", "CreateTime, LogAppendTime"),
    ],
)
def test_invalid_values_name_key_and_allowed_values(name: str, value: str, mentions: str) -> None:
    with pytest.raises(InvalidConfigurationError) as err:
        validate_config(name, value)
    assert repr(name) in str(err.value)
    assert mentions in str(err.value)


def test_effective_layers_defaults_then_log_defaults_then_overrides() -> None:
    eff = effective_configs({"retention.ms": "5"}, {"retention.ms": "7", "segment.ms": "9"})
    assert eff["retention.ms"] == "5" and eff["segment.ms"] == "9"
    assert set(eff) == set(TOPIC_CONFIGS)
    assert eff["flush.ms"] == "1000"  # cdchub's sane default: fsync every second


def test_topic_config_parse_types() -> None:
    overrides = validate_configs({"cleanup.policy": "compact,delete", "fsync.on.append": "true"})
    config = TopicConfig.parse(effective_configs(overrides))
    assert config.cleanup_compact and config.cleanup_delete and config.fsync_on_append
    assert config.segment_bytes == 1073741824 and config.min_cleanable_dirty_ratio == 0.5


@pytest.mark.parametrize("name", ["orders", "a.b_c-D9", "x" * 249, "_internal"])
def test_legal_topic_names(name: str) -> None:
    validate_topic_name(name)


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("", "non-empty"),
        (".", "'.'"),
        ("..", "'..'"),
        ("x" * 250, "249"),
        ("a b", "illegal"),
        ("a/b", "illegal"),
        ("é", "illegal"),
    ],
)
def test_illegal_topic_names(name: str, mentions: str) -> None:
    with pytest.raises(InvalidTopicError, match=mentions):
        validate_topic_name(name)
