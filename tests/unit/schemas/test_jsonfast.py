"""The compiled JSON Schema fast path never accepts what jsonschema rejects."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema.validators import validator_for

from schemas.jsonfast import compile_schema

SCHEMAS: list[Any] = [
    {"type": "integer"},
    {"type": ["string", "null"], "maxLength": 3},
    {"type": "number", "minimum": 0, "exclusiveMaximum": 10},
    {"enum": [1, "a", None, True]},
    {"const": 2},
    {"type": "string", "pattern": "^a+$", "minLength": 2},
    {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2},
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "nick": {"oneOf": [{"type": "null"}, {"type": "string"}]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "inner": {
                "type": "object",
                "properties": {"x": {"type": "boolean"}},
                "required": ["x"],
            },
        },
        "required": ["id"],
        "additionalProperties": False,
    },
    {"type": "object", "additionalProperties": {"type": "integer"}},
    {"type": "object", "required": ["a"]},
    {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 1}]},
    {"allOf": [{"type": "integer"}, {"minimum": 3}]},
    {"not": {"type": "string"}},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"oneOf": [{"type": "null"}, {"type": ["integer", "null"]}]},
]
DOCS: list[Any] = [
    None, True, False, 0, 1, 2, 1.0, 2.5, -1, 12, "", "a", "aa", "abcd", "b", [], [1], [1, 2, 3],
    ["x"], {}, {"id": 1}, {"id": "1"}, {"id": 1, "nick": None}, {"id": 1, "nick": 3},
    {"id": 1, "extra": 1}, {"id": 1, "tags": ["a", 1]}, {"id": 1, "inner": {}},
    {"id": 1, "inner": {"x": True}}, {"a": 1}, {"a": "x"}, {"b": 2},
]  # fmt: skip


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_agrees_with_jsonschema(schema: Any) -> None:
    fast = compile_schema(schema)
    assert fast is not None
    validator = validator_for(schema)(schema)
    for doc in DOCS:
        assert fast(doc) == validator.is_valid(doc), doc


def test_unknown_keywords_fall_back() -> None:
    assert compile_schema({"$ref": "#/definitions/x"}) is None
    assert compile_schema({"type": "object", "patternProperties": {"^a": {}}}) is None
    assert compile_schema({"dependentRequired": {"a": ["b"]}}) is None
