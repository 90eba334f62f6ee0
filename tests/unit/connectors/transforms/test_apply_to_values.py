"""``apply_to_values`` gives exactly what ``apply`` gives record by record, or declines.

The runtime uses it on a SourceRecordBatch instead of building records; any difference from
``apply`` (a value, a schema, a missing error) would change what lands in the log.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.api import Schema, SchemaBuilder, Struct, Transformation, TransformationChain
from connectors.api.transform import TransformationStage
from connectors.transforms.cast import CastValue
from connectors.transforms.fields import ExtractFieldValue, HoistFieldKey, HoistFieldValue
from connectors.transforms.flatten import FlattenValue
from connectors.transforms.insert_field import InsertFieldValue
from connectors.transforms.mask_field import MaskFieldValue
from connectors.transforms.replace_field import ReplaceFieldValue
from connectors.transforms.routers import RegexRouter
from tests.unit.connectors.transforms.helpers import configured, value_record

ROW = (
    SchemaBuilder.struct().name("row")
    .field("id", Schema.INT64_SCHEMA)
    .field("name", Schema.OPTIONAL_STRING_SCHEMA)
    .field("note", SchemaBuilder.string().optional().default_value("none").build())
    .build()
)  # fmt: skip
ROWS = [
    Struct(ROW, {"id": 1, "name": "a", "note": "x"}),
    Struct(ROW, {"id": 2, "name": "b"}),  # note unset: its default decides
    Struct(ROW, {"id": 3, "name": None, "note": "z"}),
]
MAPS = [{"id": 1, "name": "a"}, {"id": 2, "name": None}]
FULL = [Struct(ROW, {"id": n, "name": f"n{n}", "note": "x"}) for n in range(3)]  # no nulls

CASES: list[tuple[str, type[Transformation[Any]], dict[str, Any], Schema | None, list[Any]]] = [
    ("hoist text", HoistFieldValue, {"field": "line"}, Schema.STRING_SCHEMA, ["a", "b"]),
    ("hoist schemaless", HoistFieldValue, {"field": "line"}, None, ["a", None, 3]),
    ("hoist a null", HoistFieldValue, {"field": "line"}, Schema.STRING_SCHEMA, ["a", None]),
    ("hoist wrong type", HoistFieldValue, {"field": "n"}, Schema.INT32_SCHEMA, [1, "x"]),
    ("insert static", InsertFieldValue, {"static_field": "o", "static_value": "s"}, ROW, ROWS),
    ("insert maps", InsertFieldValue, {"static_field": "o", "static_value": "s"}, None, MAPS),
    ("insert topic", InsertFieldValue, {"topic_field": "t"}, ROW, ROWS),
    ("rename", ReplaceFieldValue, {"renames": "id:key,name:who"}, ROW, ROWS[:1]),
    ("rename with nulls", ReplaceFieldValue, {"renames": "id:key"}, ROW, ROWS),
    ("exclude", ReplaceFieldValue, {"exclude": "note"}, ROW, ROWS),
    ("rename full rows", ReplaceFieldValue, {"renames": "id:key,name:who"}, ROW, FULL),
    ("rename one of full rows", ReplaceFieldValue, {"renames": "id:key"}, ROW, FULL),
    ("exclude from full rows", ReplaceFieldValue, {"exclude": "note"}, ROW, FULL),
    ("include one of full rows", ReplaceFieldValue, {"include": "name"}, ROW, FULL),
    (
        "insert into full rows",
        InsertFieldValue,
        {"static_field": "o", "static_value": "s"},
        ROW,
        FULL,
    ),
    ("rename maps", ReplaceFieldValue, {"renames": "id:key"}, None, MAPS),
    ("rename non-struct", ReplaceFieldValue, {"renames": "id:key"}, ROW, [ROWS[0], "x"]),
    ("mask", MaskFieldValue, {"fields": "name"}, ROW, ROWS),
    ("extract", ExtractFieldValue, {"field": "id"}, ROW, ROWS),
    ("flatten", FlattenValue, {}, None, [{"a": {"b": 1}}, {"a": {"b": 2}}]),
    ("cast", CastValue, {"spec": "id:string"}, ROW, ROWS),
    ("null passed through", CastValue, {"spec": "id:string"}, ROW, [ROWS[0], None]),
]


def one_by_one(t: Transformation[Any], schema: Schema | None, values: list[Any]) -> Any:
    try:
        out = [t.apply(value_record(v, schema)) for v in values]
    except Exception as exc:  # any error: the batch must fail too
        return type(exc)
    schemas = {id(r.value_schema): r.value_schema for r in out}
    return list(schemas.values()), [r.value for r in out]


DECLINED = {"insert topic", "null passed through"}
"""Cases where apply_to_values must answer None (the others must answer or raise)."""


@pytest.mark.parametrize(
    ("name", "cls", "config", "schema", "values"), CASES, ids=[c[0] for c in CASES]
)
def test_columns_equal_records(
    name: str, cls: Any, config: dict[str, Any], schema: Schema | None, values: list[Any]
) -> None:
    expected = one_by_one(configured(cls, **config), schema, values)
    t = configured(cls, **config)
    try:
        got = t.apply_to_values(schema, values)
    except Exception as exc:
        assert expected is type(exc), f"{name}: batch raised {exc!r}, records gave {expected}"
        return
    assert (got is None) == (name in DECLINED), name
    if got is None:
        return  # declined: the runtime goes record by record
    assert not isinstance(expected, type), f"{name}: records raised {expected}, batch did not"
    new_schema, new_values = got
    assert expected == ([new_schema], new_values), name


def test_transforms_that_read_the_record_decline() -> None:
    assert configured(InsertFieldValue, topic_field="t").apply_to_values(ROW, ROWS) is None
    assert configured(HoistFieldKey, field="k").apply_to_values(None, ["a"]) is None
    router = configured(RegexRouter, regex="a", replacement="b")
    assert router.apply_to_values(None, ["a"]) is None


def test_chain_runs_stages_in_order_and_declines_with_a_predicate() -> None:
    hoist = configured(HoistFieldValue, field="line")
    insert = configured(InsertFieldValue, static_field="o", static_value="s")
    chain = TransformationChain([TransformationStage("h", hoist), TransformationStage("i", insert)])
    schema, values = chain.apply_to_values(Schema.STRING_SCHEMA, ["x"]) or (None, [])
    assert values[0].to_dict() == {"line": "x", "o": "s"} and schema is not None
    predicated = TransformationChain([TransformationStage("h", hoist, predicate=object())])  # type: ignore[arg-type]
    assert predicated.apply_to_values(Schema.STRING_SCHEMA, ["x"]) is None
