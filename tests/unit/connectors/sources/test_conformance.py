"""One conformance suite for every bundled source and sink (the contract the runtime relies on)."""

from __future__ import annotations

import pytest

from connectors.api import (
    ConfigError,
    ConfigType,
    Connector,
    SinkConnector,
    SinkTask,
    SourceConnector,
    SourceTask,
)
from connectors.plugins import default_registry
from connectors.sinks import PLUGINS as SINKS
from connectors.sources import PLUGINS as SOURCES

SPECS = [*SOURCES, *SINKS]
SECRET_WORDS = ("password", "token", "secret")


def _connector(target: str) -> Connector:
    cls = default_registry().connector_class(target)
    connector = cls()
    assert isinstance(connector, Connector)
    return connector


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.target)
def test_every_name_resolves_to_the_same_class(spec: object) -> None:
    target = spec.target  # type: ignore[attr-defined]
    cls = default_registry().connector_class(target)
    for alias in spec.aliases:  # type: ignore[attr-defined]
        assert default_registry().connector_class(alias) is cls
    short = target.rsplit(":", 1)[1]
    assert default_registry().connector_class(short) is cls
    assert default_registry().connector_class(short.removesuffix("Connector")) is cls


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.target)
def test_task_class_matches_the_connector_kind(spec: object) -> None:
    connector = _connector(spec.target)  # type: ignore[attr-defined]
    task = connector.task_class()()
    if isinstance(connector, SourceConnector):
        assert isinstance(task, SourceTask)
    else:
        assert isinstance(connector, SinkConnector) and isinstance(task, SinkTask)
    assert connector.version() and task.version()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.target)
def test_config_is_declared_as_data(spec: object) -> None:
    definition = _connector(spec.target).config_def()  # type: ignore[attr-defined]
    assert len(definition) > 0
    for key in definition:
        assert key.documentation, f"{key.name} has no documentation"
        assert key.group, f"{key.name} has no group"
        if any(word in key.name for word in SECRET_WORDS):
            assert key.type is ConfigType.PASSWORD, f"{key.name} must be PASSWORD typed"
    schema = definition.json_schema()
    assert set(schema["properties"]) == set(definition.names())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.target)
def test_an_empty_config_reports_every_required_key_at_once(spec: object) -> None:
    connector = _connector(spec.target)  # type: ignore[attr-defined]
    values = connector.validate({})
    required = {k.name for k in connector.config_def() if k.required}
    failing = {v.name for v in values if v.errors}
    assert required <= failing
    with pytest.raises(ConfigError) as info:
        connector.start({})
    assert required <= set(info.value.errors)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.target)
def test_task_refuses_a_bad_config_before_touching_anything(spec: object) -> None:
    task = _connector(spec.target).task_class()()  # type: ignore[attr-defined]
    with pytest.raises(ConfigError):
        task.start({"batch.size": "-1"})
