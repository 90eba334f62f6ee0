"""JsonSchemaConverter and AvroConverter against the registry over HTTP."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.api import DataError, Date, Decimal, Schema, SchemaBuilder, Struct, StructColumns
from schemas.converters import AvroConverter, JsonSchemaConverter
from schemas.serde import unframe

Converter = type[JsonSchemaConverter] | type[AvroConverter]
KINDS = [JsonSchemaConverter, AvroConverter]

ADDRESS = SchemaBuilder.struct().name("ex.Address").field("city", Schema.STRING_SCHEMA).build()
USER = (
    SchemaBuilder.struct()
    .name("ex.User")
    .field("id", Schema.INT64_SCHEMA)
    .field("small", Schema.INT8_SCHEMA)
    .field("score", Schema.FLOAT64_SCHEMA)
    .field("ok", Schema.BOOLEAN_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("nick", Schema.OPTIONAL_STRING_SCHEMA)
    .field("blob", Schema.BYTES_SCHEMA)
    .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
    .field("attrs", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
    .field("home", ADDRESS)
    .field("born", Date.SCHEMA)
    .field("price", Decimal.schema(2))
    .build()
)


def user(**over: Any) -> Struct:
    values = {
        "id": 7,
        "small": 3,
        "score": 1.5,
        "ok": True,
        "name": "ada",
        "nick": None,
        "blob": b"\x00\xff",
        "tags": ["a", "b"],
        "attrs": {"x": 1},
        "home": Struct(ADDRESS, {"city": "Paris"}),
        "born": dt.date(1990, 5, 17),
        "price": decimal.Decimal("12.34"),
        **over,
    }
    return Struct(USER, values)


@pytest.fixture
def make() -> Iterator[Any]:
    """Builds configured converters and closes them all after the test."""
    made: list[Any] = []

    def build(kind: Converter, url: str, is_key: bool = False, **config: Any) -> Any:
        conv = kind()
        conv.configure({"schema.registry.url": url, **config}, is_key)
        made.append(conv)
        return conv

    yield build
    for conv in made:
        conv.close()


@pytest.fixture(params=KINDS, ids=["json", "avro"])
def conv(request: pytest.FixtureRequest, registry_url: str, make: Any) -> Any:
    return make(request.param, registry_url)


def test_round_trip_and_wire_format(conv: Any, client: httpx.Client) -> None:
    data = conv.from_connect_data("users", USER, user())
    schema_id, _ = unframe(data)
    assert data[0] == 0
    latest = client.get("/subjects/users-value/versions/latest").json()
    assert latest["id"] == schema_id
    assert latest["schemaType"] == ("JSON" if isinstance(conv, JsonSchemaConverter) else "AVRO")
    back = conv.to_connect_data("users", data)
    assert back.value.to_dict() == user().to_dict()
    assert conv.to_connect_data("users", None).value is None
    assert conv.from_connect_data("users", USER, None) is None


def test_a_fresh_converter_reads_by_id_only(conv: Any, registry_url: str, make: Any) -> None:
    data = conv.from_connect_data("users", USER, user(nick="a"))
    reader = make(type(conv), registry_url)
    assert reader.to_connect_data("users", data).value.get("nick") == "a"


@pytest.mark.parametrize("kind", KINDS, ids=["json", "avro"])
@pytest.mark.parametrize(
    ("strategy", "subject"),
    [
        ("TopicNameStrategy", "t-key"),
        ("io.confluent.kafka.serializers.subject.RecordNameStrategy", "ex.User"),
        ("TopicRecordNameStrategy", "t-ex.User"),
    ],
)
def test_subject_name_strategies(
    kind: Converter, strategy: str, subject: str, registry_url: str, client: httpx.Client, make: Any
) -> None:
    conv = make(kind, registry_url, is_key=True, **{"key.subject.name.strategy": strategy})
    conv.from_connect_data("t", USER, user())
    assert client.get("/subjects").json() == [subject]


@pytest.mark.parametrize("kind", KINDS, ids=["json", "avro"])
def test_auto_register_off_needs_a_registered_schema(
    kind: Converter, registry_url: str, make: Any
) -> None:
    strict = make(kind, registry_url, **{"auto.register.schemas": "false"})
    with pytest.raises(DataError, match=r"auto\.register\.schemas=false"):
        strict.from_connect_data("t", USER, user())
    make(kind, registry_url).from_connect_data("t", USER, user())
    assert strict.from_connect_data("t", USER, user())[0] == 0


def test_schema_evolution_adds_an_optional_field(conv: Any, client: httpx.Client) -> None:
    conv.from_connect_data("t", USER, user())
    wider = SchemaBuilder.struct().name("ex.User")
    for f in USER.fields:
        wider.field(f.name, f.schema)
    wider.field("email", Schema.OPTIONAL_STRING_SCHEMA)
    schema2 = wider.build()
    values = {f.name: user().get(f.name) for f in USER.fields}
    conv.from_connect_data("t", schema2, Struct(schema2, {**values, "email": "a@b"}))
    assert client.get("/subjects/t-value/versions").json() == [1, 2]


def test_incompatible_change_is_a_data_error(conv: Any) -> None:
    conv.from_connect_data("t", USER, user())
    other = SchemaBuilder.struct().name("ex.User").field("id", Schema.STRING_SCHEMA).build()
    with pytest.raises(DataError, match="incompatible"):
        conv.from_connect_data("t", other, Struct(other, {"id": "x"}))


def test_value_not_matching_schema_names_the_path(registry_url: str, make: Any) -> None:
    conv = make(JsonSchemaConverter, registry_url)
    schema = SchemaBuilder.struct().name("P").field("n", Schema.INT32_SCHEMA).build()
    with pytest.raises(DataError) as err:
        conv.from_connect_data("t", schema, {"n": "seven"})
    assert "n" in str(err.value)


def test_garbage_bytes_are_a_data_error(conv: Any) -> None:
    with pytest.raises(DataError, match="magic"):
        conv.to_connect_data("t", b"{}")
    with pytest.raises(DataError, match=r"40403|not found"):
        conv.to_connect_data("t", b"\x00\x00\x00\x00\x63{}")


def test_schemaless_value_is_refused(conv: Any) -> None:
    with pytest.raises(DataError, match="needs a schema"):
        conv.from_connect_data("t", None, {"a": 1})


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("io.confluent.connect.avro.AvroConverter", AvroConverter),
        ("io.confluent.connect.json.JsonSchemaConverter", JsonSchemaConverter),
        ("AvroConverter", AvroConverter),
        ("JsonSchema", JsonSchemaConverter),
    ],
)
def test_converters_resolve_by_confluent_and_short_names(name: str, cls: type) -> None:
    from connectors.api import PluginType
    from connectors.plugins import resolve

    assert resolve(PluginType.CONVERTER, name) is cls


def test_struct_columns_convert_as_their_structs(conv: Any) -> None:
    """A columnar batch (StructColumns) through the registry converters' batch method."""
    rows = [user(id=i, nick=None if i % 2 else f"n{i}") for i in range(5)]
    names = [f.name for f in USER.fields]
    columns = StructColumns(USER, {n: [r.get(n) for r in rows] for n in names}, len(rows))
    expected = [conv.from_connect_data("users", USER, r) for r in rows]
    assert conv.from_connect_batch("users", USER, columns) == expected
    assert [conv.to_connect_data("users", d).value.to_dict() for d in expected] == [
        r.to_dict() for r in rows
    ]
