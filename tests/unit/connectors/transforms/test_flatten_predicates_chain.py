import pytest

from connectors.api import (
    ConfigError,
    DataError,
    Headers,
    PluginType,
    Schema,
    SchemaBuilder,
    Struct,
)
from connectors.plugins import build_chain, default_registry
from connectors.transforms import _PREDICATES, _TRANSFORMS, KAFKA_TRANSFORMS
from connectors.transforms.flatten import FlattenKey, FlattenValue
from connectors.transforms.predicates import HasHeaderKey, RecordIsTombstone, TopicNameMatches
from tests.unit.connectors.transforms.helpers import configured, value_record

ADDRESS = (
    SchemaBuilder.struct()
    .name("addr")
    .field("city", Schema.STRING_SCHEMA)
    .field("zip", SchemaBuilder.string().optional().default_value("00000"))
    .build()
)


def test_flatten_schemaless_nested_maps() -> None:
    out = configured(FlattenValue).apply(
        value_record(
            {"id": 1, "addr": {"city": "x", "geo": {"lat": 1.5}}, "tags": ["a"], "n": None}
        )
    )
    assert out is not None
    assert out.value == {"id": 1, "addr.city": "x", "addr.geo.lat": 1.5, "tags": ["a"], "n": None}
    out = configured(FlattenValue, delimiter="_").apply(value_record({"a": {"b": 1}}))
    assert out is not None and out.value == {"a_b": 1}
    with pytest.raises(DataError, match="does not support"):
        configured(FlattenValue).apply(value_record({"a": object()}))
    key = configured(FlattenKey).apply(value_record(1, key={"a": {"b": 2}}))
    assert key is not None and key.key == {"a.b": 2}


def test_flatten_schemaful_optional_parent_and_defaults() -> None:
    schema = (
        SchemaBuilder.struct()
        .name("person")
        .field("id", Schema.INT32_SCHEMA)
        .field("home", ADDRESS)
        .field("work", SchemaBuilder.of(ADDRESS).optional().build())
        .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
        .build()
    )
    value = Struct(schema, {"id": 1, "home": Struct(ADDRESS, {"city": "x"}), "tags": ["t"]})
    out = configured(FlattenValue).apply(value_record(value, schema))
    assert out is not None
    flat = out.value_schema
    assert flat.name == "person"
    assert [f.name for f in flat.fields] == [
        "id",
        "home.city",
        "home.zip",
        "work.city",
        "work.zip",
        "tags",
    ]
    assert not flat.field("home.city").schema.optional
    assert flat.field("work.city").schema.optional
    assert flat.field("home.zip").schema.default == "00000"
    assert flat.field("tags").schema.value_schema == Schema.STRING_SCHEMA
    assert out.value.to_dict() == {
        "id": 1,
        "home.city": "x",
        "home.zip": "00000",
        "work.city": None,
        "work.zip": "00000",
        "tags": ["t"],
    }


def test_predicates() -> None:
    matches = TopicNameMatches()
    matches.configure({"pattern": "orders-.*"})
    assert matches.test(value_record(1, topic="orders-eu"))
    assert not matches.test(value_record(1, topic="xorders-eu"))
    has = HasHeaderKey()
    has.configure({"name": "trace"})
    assert has.test(value_record(1, headers=Headers().add("trace", None)))
    assert not has.test(value_record(1))
    assert RecordIsTombstone().test(value_record(None))
    assert not RecordIsTombstone().test(value_record(0))
    with pytest.raises(ConfigError, match="pattern"):
        TopicNameMatches().configure({"pattern": "("})
    with pytest.raises(ConfigError, match="name"):
        HasHeaderKey().configure({})


@pytest.mark.parametrize(("name", "keyed"), [(n, k) for _, n, k in _TRANSFORMS])
def test_every_kafka_transform_name_resolves(name: str, keyed: bool) -> None:
    reg = default_registry()
    variants = ["Key", "Value"] if keyed else [""]
    for variant in variants:
        suffix = f"${variant}" if variant else ""
        cls = reg.resolve(PluginType.TRANSFORMATION, f"{KAFKA_TRANSFORMS}.{name}{suffix}")
        assert reg.resolve(PluginType.TRANSFORMATION, f"{name}{suffix}") is cls
        assert reg.resolve(PluginType.TRANSFORMATION, f"{cls.__module__}.{cls.__qualname__}") is cls
        if variant:
            assert cls.target == variant.lower()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", _PREDICATES)
def test_every_kafka_predicate_name_resolves(name: str) -> None:
    reg = default_registry()
    cls = reg.resolve(PluginType.PREDICATE, f"{KAFKA_TRANSFORMS}.predicates.{name}")
    assert cls.__name__ == name
    assert reg.resolve(PluginType.PREDICATE, name) is cls


def test_kafka_style_chain_with_predicates() -> None:
    chain = build_chain(
        {
            "transforms": "dropTombstones,route,addTopic",
            "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.dropTombstones.predicate": "isTombstone",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": "(.*)",
            "transforms.route.replacement": "$1-copy",
            "transforms.route.predicate": "isOrders",
            "transforms.route.negate": "true",
            "transforms.addTopic.type": "org.apache.kafka.connect.transforms.InsertField$Value",
            "transforms.addTopic.topic.field": "src",
            "predicates": "isTombstone,isOrders",
            "predicates.isTombstone.type": f"{KAFKA_TRANSFORMS}.predicates.RecordIsTombstone",
            "predicates.isOrders.type": "TopicNameMatches",
            "predicates.isOrders.pattern": "orders",
        }
    )
    assert chain.apply(value_record(None)) is None
    orders = chain.apply(value_record({"a": 1}, topic="orders"))
    assert orders is not None and orders.topic == "orders" and orders.value["src"] == "orders"
    other = chain.apply(value_record({"a": 1}, topic="users"))
    assert other is not None and other.topic == "users-copy" and other.value["src"] == "users-copy"


def test_chain_reports_transform_config_errors_with_full_keys() -> None:
    with pytest.raises(ConfigError) as exc:
        build_chain(
            {
                "transforms": "cast,mask,nope",
                "transforms.cast.type": "Cast$Value",
                "transforms.cast.spec": "a:uuid",
                "transforms.mask.type": "MaskField$Value",
                "transforms.nope.type": "NoSuchTransform",
            }
        )
    assert set(exc.value.errors) == {
        "transforms.cast.spec",
        "transforms.mask.fields",
        "transforms.nope.type",
    }
    assert "Available" in exc.value.errors["transforms.nope.type"][0]
