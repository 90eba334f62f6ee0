"""Derived-schema caching and trusted struct copies in the transforms keep Kafka's results."""

from typing import Any

import pytest

from connectors.api import DataError, Schema, SchemaBuilder, Struct
from connectors.transforms.base import SchemaCache
from connectors.transforms.fields import HoistFieldValue
from connectors.transforms.insert_field import InsertFieldValue
from connectors.transforms.replace_field import ReplaceFieldValue
from tests.unit.connectors.transforms.helpers import configured, value_record


def schema_named(name: str, *fields: tuple[str, Schema]) -> Schema:
    builder = SchemaBuilder.struct().name(name)
    for field_name, field_schema in fields:
        builder.field(field_name, field_schema)
    return builder.build()


def test_schema_cache_builds_once_per_schema_and_never_mixes_equal_names() -> None:
    cache = SchemaCache(size=2)
    a = schema_named("same", ("x", Schema.INT32_SCHEMA))
    b = schema_named("same", ("y", Schema.STRING_SCHEMA))
    built: list[Schema] = []

    def build(schema: Schema) -> Any:
        built.append(schema)
        return ("derived", schema.fields[0].name)

    assert cache.get_or_build(a, lambda: build(a)) == ("derived", "x")
    assert cache.get_or_build(a, lambda: build(a)) == ("derived", "x")
    assert cache.get_or_build(b, lambda: build(b)) == ("derived", "y")
    equal_to_a = schema_named("same", ("x", Schema.INT32_SCHEMA))
    assert cache.get_or_build(equal_to_a, lambda: build(equal_to_a)) == ("derived", "x")
    assert built == [a, b]
    c = schema_named("c", ("z", Schema.INT8_SCHEMA))
    cache.get_or_build(c, lambda: build(c))  # evicts b (least recently used)
    assert cache.get_or_build(b, lambda: build(b)) == ("derived", "y")
    assert built == [a, b, c, b]


def test_chain_over_two_schemas_with_equal_names_keeps_each_shape() -> None:
    insert = configured(InsertFieldValue, static_field="origin", static_value="bench")
    rename = configured(ReplaceFieldValue, renames="x:renamed")
    a = schema_named("same", ("x", Schema.INT32_SCHEMA))
    b = schema_named("same", ("x", Schema.STRING_SCHEMA), ("w", Schema.OPTIONAL_INT64_SCHEMA))
    for schema, value in ((a, 1), (b, "one"), (a, 2)):
        out = rename.apply(insert.apply(value_record(Struct(schema, {"x": value}), schema)))
        assert [f.name for f in out.value_schema.fields] == [
            *(["renamed", "w"] if schema is b else ["renamed"]),
            "origin",
        ]
        assert out.value_schema.field("renamed").schema == schema.field("x").schema
        assert out.value.get("renamed") == value and out.value.get("origin") == "bench"
        out.value.validate()


def test_trusted_copy_still_refuses_a_required_field_never_set() -> None:
    schema = schema_named("s", ("a", Schema.INT32_SCHEMA), ("b", Schema.STRING_SCHEMA))
    incomplete = Struct(schema, {"a": 1})
    insert = configured(InsertFieldValue, static_field="origin", static_value="v")
    with pytest.raises(DataError, match=r"field 'b'.*required"):
        insert.apply(value_record(incomplete, schema))
    rename = configured(ReplaceFieldValue, renames="b:bee")
    with pytest.raises(DataError, match=r"field 'bee'.*required"):
        rename.apply(value_record(incomplete, schema))
    dropped = configured(ReplaceFieldValue, exclude="b").apply(value_record(incomplete, schema))
    assert dropped.value.get("a") == 1


@pytest.mark.parametrize("replace_null", [True, False])
def test_trusted_copy_keeps_replace_null_with_default(replace_null: bool) -> None:
    with_default = SchemaBuilder.int32().default_value(7).build()
    schema = schema_named("s", ("a", with_default), ("b", Schema.OPTIONAL_STRING_SCHEMA))
    record = value_record(Struct(schema), schema)
    for transform in (
        configured(InsertFieldValue, static_field="o", replace_null_with_default=replace_null),
        configured(ReplaceFieldValue, renames="a:aa", replace_null_with_default=replace_null),
    ):
        out = transform.apply(record).value
        name = "aa" if "aa" in [f.name for f in out.schema.fields] else "a"
        assert out.get_without_default(name) == (7 if replace_null else None)
        assert out.get(name) == 7


def test_struct_of_another_schema_than_the_record_takes_the_checked_path() -> None:
    declared = schema_named("s", ("a", Schema.INT32_SCHEMA))
    actual = schema_named("s", ("a", Schema.STRING_SCHEMA))
    record = value_record(Struct(actual, {"a": "text"}), declared)
    with pytest.raises(DataError, match="field 'a'"):
        configured(InsertFieldValue, static_field="o", static_value="v").apply(record)
    with pytest.raises(DataError, match="field 'b': str given"):
        configured(ReplaceFieldValue, renames="a:b").apply(record)


def test_hoist_still_validates_the_hoisted_value() -> None:
    hoist = configured(HoistFieldValue, field="line")
    out = hoist.apply(value_record("text", Schema.STRING_SCHEMA))
    assert out.value.get("line") == "text" and out.value_schema.field("line") is not None
    with pytest.raises(DataError, match="field 'line'"):
        hoist.apply(value_record(12, Schema.STRING_SCHEMA))
