"""Framework config validation and config providers."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.api import ConfigError
from tests.unit.workers.plugins import registry
from workers.config_providers import ConfigProviders, reverse_transform
from workers.connector_config import (
    invalid_config_message,
    topic_creation_configs,
    validate_config,
)


def test_every_bad_key_is_reported_at_once() -> None:
    result = validate_config(registry(), {
        "name": "x", "connector.class": "CollectingSink", "tasks.max": "0",
        "errors.tolerance": "some", "transforms": "a", "value.converter": "NoSuchConverter",
    })  # fmt: skip
    errors = result.errors
    assert set(errors) >= {"tasks.max", "errors.tolerance", "transforms.a.type", "topics",
                           "topics.regex", "value.converter"}  # fmt: skip
    message = invalid_config_message(errors, "CollectingSink")
    assert message.startswith("Connector configuration is invalid and contains the following")
    for key in errors:
        assert key in message
    assert "/connector-plugins/CollectingSink/config/validate" in message


def test_validation_infos_count_errors_and_list_groups() -> None:
    infos = validate_config(registry(), {"connector.class": "CountingSource", "name": "n"}).infos(
        "CountingSource"
    )
    assert infos["name"] == "CountingSource"
    assert infos["error_count"] == 1  # topic is required
    assert infos["groups"][:2] == ["Common", "Transforms"]
    by_name = {c["definition"]["name"]: c for c in infos["configs"]}
    assert by_name["secret"]["definition"]["type"] == "PASSWORD"
    assert by_name["topic"]["value"]["errors"]


def test_unknown_connector_class_lists_available_plugins() -> None:
    errors = validate_config(registry(), {"connector.class": "Nope", "name": "n"}).errors
    assert "CountingSource" in errors["connector.class"][0]


def test_sink_needs_exactly_one_of_topics_and_regex() -> None:
    both = {"connector.class": "CollectingSink", "name": "n", "topics": "a", "topics.regex": "b"}
    assert "mutually exclusive" in validate_config(registry(), both).errors["topics"][0]
    ok = {"connector.class": "CollectingSink", "name": "n", "topics.regex": "a.*"}
    assert validate_config(registry(), ok).errors == {}


def test_topic_creation_defaults_are_checked_as_topic_configs() -> None:
    base = {"connector.class": "CountingSource", "name": "n", "topic": "t"}
    good = {**base, "topic.creation.default.compression.type": "zstd",
            "topic.creation.default.replication.factor": "3"}  # fmt: skip
    assert validate_config(registry(), good).errors == {}
    assert topic_creation_configs(good) == {"compression.type": "zstd"}
    bad = {**base, "topic.creation.default.compression.type": "brotli",
           "topic.creation.default.no.such.config": "1"}  # fmt: skip
    errors = validate_config(registry(), bad).errors
    assert "brotli" in errors["topic.creation.default.compression.type"][0]
    assert "no.such.config" in errors["topic.creation.default.no.such.config"][0]


def test_env_and_file_providers(tmp_path: Path) -> None:
    secrets = tmp_path / "db.properties"
    secrets.write_text("# comment\npassword = s3cret\nuser: admin\n")
    providers = ConfigProviders({"TOKEN": "abc"})
    resolved = providers.resolve({
        "a": "${env:TOKEN}", "b": f"${{file:{secrets}:password}}",
        "c": f"u=${{file:{secrets}:user}};t=${{env:TOKEN}}", "d": "plain",
    })  # fmt: skip
    assert resolved == {"a": "abc", "b": "s3cret", "c": "u=admin;t=abc", "d": "plain"}


def test_provider_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        ConfigProviders({}).resolve({"db.password": "${env:MISSING}"})
    assert "db.password" in str(err.value) and "MISSING" in str(err.value)
    with pytest.raises(ConfigError, match="no key"):
        (tmp_path / "p").write_text("a=1\n")
        ConfigProviders({}).resolve({"k": f"${{file:{tmp_path / 'p'}:b}}"})


def test_reverse_transform_puts_placeholders_back() -> None:
    raw = {"password": "${env:PW}", "host": "db"}
    resolved = {"password": "s3cret", "host": "db"}
    generated = {"password": "s3cret", "host": "db", "table": "t"}
    assert reverse_transform(raw, resolved, generated) == {
        "password": "${env:PW}", "host": "db", "table": "t"}  # fmt: skip


def test_validation_shows_each_transforms_own_keys() -> None:
    config = {"name": "n", "connector.class": "CollectingSink", "topics": "a",
              "transforms": "x,y", "transforms.x.type": "InsertField$Value",
              "transforms.x.static.field": "f", "transforms.y.type": "Nope"}  # fmt: skip
    result = validate_config(registry(), config)
    assert list(result.errors) == ["transforms.y.type"]
    infos = result.infos("CollectingSink")
    assert infos["error_count"] == 1
    assert "Transforms: x" in infos["groups"]
    names = {c["definition"]["name"] for c in infos["configs"]}
    assert {"transforms.x.static.field", "transforms.x.static.value"} <= names
