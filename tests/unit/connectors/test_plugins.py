from collections.abc import Mapping
from importlib.metadata import EntryPoint
from typing import Any

import pytest

import connectors.plugins as plugins_module
from connectors.api import (
    ConfigDef,
    ConnectRecord,
    Converter,
    Headers,
    PluginNotFoundError,
    PluginSpec,
    PluginType,
    Schema,
    SchemaAndValue,
    SinkConnector,
    Transformation,
)
from connectors.converters.bytes import ByteArrayConverter
from connectors.converters.json import JsonConverter
from connectors.converters.string import StringConverter
from connectors.plugins import PluginRegistry, converter_from_config, names_of


class UpperConverter(Converter):
    def version(self) -> str:
        return "9.9"

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        return str(value).upper().encode()

    def to_connect_data(
        self, topic: str, data: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        return SchemaAndValue(None, data)


class NoopSinkConnector(SinkConnector):
    def version(self) -> str:
        return "1.2.3"

    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def start(self, config: Mapping[str, str]) -> None: ...

    def task_class(self) -> type:
        return object

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def stop(self) -> None: ...


class Identity(Transformation[ConnectRecord]):
    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return record


NOT_A_PLUGIN = 5


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> PluginRegistry:
    eps = [
        EntryPoint("upper", f"{__name__}:UpperConverter", "cdchub.connectors"),
        EntryPoint("noop", f"{__name__}:NoopSinkConnector", "cdchub.connectors"),
        EntryPoint("broken", "no.such.module:Thing", "cdchub.connectors"),
        EntryPoint("notplugin", f"{__name__}:NOT_A_PLUGIN", "cdchub.connectors"),
    ]
    monkeypatch.setattr(
        plugins_module, "entry_points", lambda group: [e for e in eps if e.group == group]
    )
    return PluginRegistry()


@pytest.mark.parametrize(
    "name",
    [
        "org.apache.kafka.connect.json.JsonConverter",
        "JsonConverter",
        "Json",
        "connectors.converters.json.JsonConverter",
        "connectors.converters.json:JsonConverter",
        " JsonConverter ",
    ],
)
def test_json_converter_by_every_name(registry: PluginRegistry, name: str) -> None:
    assert registry.resolve(PluginType.CONVERTER, name) is JsonConverter


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("org.apache.kafka.connect.storage.StringConverter", StringConverter),
        ("org.apache.kafka.connect.converters.ByteArrayConverter", ByteArrayConverter),
        ("ByteArray", ByteArrayConverter),
    ],
)
def test_kafka_converter_names(registry: PluginRegistry, name: str, cls: type) -> None:
    assert registry.resolve(PluginType.CONVERTER, name) is cls
    assert registry.resolve(PluginType.HEADER_CONVERTER, name) is cls


def test_header_converter_names(registry: PluginRegistry) -> None:
    cls = registry.resolve(
        PluginType.HEADER_CONVERTER, "org.apache.kafka.connect.storage.SimpleHeaderConverter"
    )
    assert cls.__name__ == "SimpleHeaderConverter"
    with pytest.raises(PluginNotFoundError):
        registry.resolve(PluginType.CONVERTER, "SimpleHeaderConverter")


def test_entry_points_by_name_and_class(registry: PluginRegistry) -> None:
    assert registry.resolve(PluginType.CONVERTER, "upper") is UpperConverter
    assert registry.resolve(PluginType.CONVERTER, "UpperConverter") is UpperConverter
    assert registry.resolve(PluginType.CONVERTER, "Upper") is UpperConverter
    assert registry.connector_class("noop") is NoopSinkConnector
    assert registry.connector_class("NoopSink") is NoopSinkConnector
    assert registry.connector_class(f"{__name__}.NoopSinkConnector") is NoopSinkConnector


def test_broken_entry_point_reported_not_fatal(registry: PluginRegistry) -> None:
    with pytest.raises(PluginNotFoundError, match="failed to load"):
        registry.resolve(PluginType.CONVERTER, "broken")
    with pytest.raises(PluginNotFoundError, match="failed to load"):
        registry.resolve(PluginType.CONVERTER, "notplugin")
    assert registry.resolve(PluginType.CONVERTER, "Json") is JsonConverter


def test_dotted_path_of_unregistered_class(registry: PluginRegistry) -> None:
    assert registry.resolve(PluginType.TRANSFORMATION, f"{__name__}.Identity") is Identity
    assert registry.resolve(PluginType.TRANSFORMATION, f"{__name__}:Identity") is Identity


def test_wrong_kind_is_explained(registry: PluginRegistry) -> None:
    with pytest.raises(PluginNotFoundError, match="is a converter, but a transformation"):
        registry.resolve(PluginType.TRANSFORMATION, "JsonConverter")
    with pytest.raises(PluginNotFoundError, match="not a plugin"):
        registry.resolve(PluginType.CONVERTER, "collections.OrderedDict")


def test_unknown_name_lists_available(registry: PluginRegistry) -> None:
    with pytest.raises(PluginNotFoundError) as exc:
        registry.resolve(PluginType.CONVERTER, "AvroConverterX")
    assert "JsonConverter" in str(exc.value) and "Available" in str(exc.value)
    with pytest.raises(PluginNotFoundError, match="Available"):
        registry.resolve(PluginType.CONVERTER, "no.such.module.Thing")


def test_ambiguous_short_name(registry: PluginRegistry) -> None:
    registry.register(PluginSpec(PluginType.CONVERTER, f"{__name__}:UpperConverter", ("a.Same",)))
    registry.register(
        PluginSpec(PluginType.CONVERTER, "connectors.converters.json:JsonConverter", ("b.Same",))
    )
    with pytest.raises(PluginNotFoundError, match="ambiguous"):
        registry.resolve(PluginType.CONVERTER, "Same")
    assert registry.resolve(PluginType.CONVERTER, "a.Same") is UpperConverter


def test_register_class_at_runtime(registry: PluginRegistry) -> None:
    registry.register(Identity, "my.Identity")
    assert registry.resolve(PluginType.TRANSFORMATION, "my.Identity") is Identity
    with pytest.raises(PluginNotFoundError):
        registry.register(dict)


def test_list_plugins_json(registry: PluginRegistry) -> None:
    infos = {i.spec.class_name: i for i in registry.list_plugins([PluginType.SINK])}
    noop = infos[f"{__name__}.NoopSinkConnector"]
    assert noop.to_json() == {
        "class": f"{__name__}.NoopSinkConnector",
        "type": "sink",
        "version": "1.2.3",
    }
    kinds = {i.spec.kind for i in registry.list_plugins()}
    assert {PluginType.CONVERTER, PluginType.HEADER_CONVERTER} <= kinds


def test_names_of_derives_short_forms() -> None:
    spec = PluginSpec(
        PluginType.SOURCE,
        "x.y:FileSourceConnector",
        ("org.apache.kafka.connect.file.FileStreamSourceConnector",),
    )
    names = names_of(spec)
    assert {
        "FileSourceConnector",
        "FileSource",
        "FileStreamSourceConnector",
        "FileStreamSource",
        "x.y.FileSourceConnector",
    } <= names


def test_converter_from_config_strips_prefix(registry: PluginRegistry) -> None:
    conv = converter_from_config(
        {
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        },
        "value.converter",
        is_key=False,
        registry=registry,
    )
    assert isinstance(conv, JsonConverter) and conv.schemas_enabled is False
    default = converter_from_config(
        {}, "key.converter", is_key=True, default="String", registry=registry
    )
    assert isinstance(default, StringConverter)


def test_chain_config_def_exposes_transform_options_with_errors() -> None:
    from connectors.api import config_infos
    from connectors.plugins import chain_config_def

    config = {
        "transforms": "mask,bad",
        "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
        "transforms.mask.predicate": "p",
        "transforms.bad.type": "NoSuchThing",
        "predicates": "p",
        "predicates.p.type": "TopicNameMatches",
    }
    definition = chain_config_def(config)
    names = definition.names()
    assert {
        "transforms.mask.type",
        "transforms.mask.fields",
        "transforms.mask.replacement",
        "transforms.mask.negate",
        "transforms.bad.type",
        "predicates.p.type",
        "predicates.p.pattern",
    } <= set(names)
    assert definition["transforms.mask.fields"].group == "Transforms: mask"
    values = {v.name: v for v in definition.validate(config)}
    assert values["transforms.mask.fields"].errors
    assert values["predicates.p.pattern"].errors
    assert "NoSuchThing" in values["transforms.bad.type"].errors[0]
    assert not values["transforms.mask.type"].errors
    body = config_infos("X", definition, list(values.values()))
    assert "Transforms: mask" in body["groups"] and body["error_count"] == 3
