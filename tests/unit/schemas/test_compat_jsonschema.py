"""JSON Schema compatibility rule table (COMPAT.md 3.5), both directions, at every level."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.errors import IncompatibleSchemaError
from schemas.models import CompatibilityLevel, Schema, SchemaType
from schemas.registry import SchemaRegistry
from tests.unit.schemas.compat_cases import LEVELS, expected, reasons


def obj(props: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props or {}, **extra}


INT, STR, NUM = {"type": "integer"}, {"type": "string"}, {"type": "number"}
CLOSED: dict[str, Any] = {"additionalProperties": False}
PARTIAL_STR: dict[str, Any] = {"additionalProperties": STR}

# (rule, old, new, BACKWARD ok (new accepts all old accepted), FORWARD ok (the reverse))
RULES: list[tuple[str, Any, Any, bool, bool]] = [
    (
        "add optional property to open model",
        obj({"a": INT}),
        obj({"a": INT, "b": STR}),
        False,
        True,
    ),
    ("add {}-typed property to open model", obj({"a": INT}), obj({"a": INT, "b": {}}), True, True),
    (
        "add optional property to closed model",
        obj({"a": INT}, **CLOSED),
        obj({"a": INT, "b": STR}, **CLOSED),
        True,
        False,
    ),
    (
        "add required property with default to closed model",
        obj({"a": INT}, **CLOSED),
        obj({"a": INT, "b": {**STR, "default": ""}}, required=["b"], **CLOSED),
        True,
        False,
    ),
    (
        "add required property without default",
        obj({"a": INT}, **CLOSED),
        obj({"a": INT, "b": STR}, required=["b"], **CLOSED),
        False,
        False,
    ),
    (
        "add property covered by partially open model",
        obj({"a": INT}, **PARTIAL_STR),
        obj({"a": INT, "b": STR}, **PARTIAL_STR),
        True,
        True,
    ),
    (
        "add property not covered by partially open model",
        obj({"a": INT}, **PARTIAL_STR),
        obj({"a": INT, "b": INT}, **PARTIAL_STR),
        False,
        False,
    ),
    (
        "add property covered by patternProperties",
        obj({"a": INT}, patternProperties={"^s_": STR}),
        obj({"a": INT, "s_x": STR}, patternProperties={"^s_": STR}),
        True,
        True,
    ),
    ("remove property, new model open", obj({"a": INT, "b": STR}), obj({"a": INT}), True, False),
    (
        "remove property from closed model",
        obj({"a": INT, "b": STR}, **CLOSED),
        obj({"a": INT}, **CLOSED),
        False,
        True,
    ),
    (
        "remove property whose schema was false",
        obj({"a": INT, "b": False}, **CLOSED),
        obj({"a": INT}, **CLOSED),
        True,
        True,
    ),
    ("required to optional", obj({"a": INT}, required=["a"]), obj({"a": INT}), True, False),
    (
        "optional to required with default",
        obj({"a": INT}),
        obj({"a": {**INT, "default": 0}}, required=["a"]),
        True,
        True,
    ),
    ("open to closed", obj({"a": INT}), obj({"a": INT}, **CLOSED), False, True),
    ("open to partially open", obj({"a": INT}), obj({"a": INT}, **PARTIAL_STR), False, True),
    ("widen integer to number", obj({"a": INT}), obj({"a": NUM}), True, False),
    ("change string to integer", obj({"a": STR}), obj({"a": INT}), False, False),
    (
        "add a type to a union",
        obj({"a": STR}),
        obj({"a": {"type": ["string", "null"]}}),
        True,
        False,
    ),
    ("add an enum value", {"enum": ["x", "y"]}, {"enum": ["x", "y", "z"]}, True, False),
    ("add an enum to a string", STR, {"type": "string", "enum": ["x"]}, False, True),
    ("raise maxLength", {**STR, "maxLength": 5}, {**STR, "maxLength": 9}, True, False),
    ("add maxLength", STR, {**STR, "maxLength": 9}, False, True),
    ("lower minimum", {**INT, "minimum": 5}, {**INT, "minimum": 1}, True, False),
    (
        "raise maxItems",
        {"type": "array", "maxItems": 1},
        {"type": "array", "maxItems": 2},
        True,
        False,
    ),
    ("drop pattern", {**STR, "pattern": "^a"}, STR, True, False),
    ("add uniqueItems", {"type": "array"}, {"type": "array", "uniqueItems": True}, False, True),
    (
        "change description and title",
        {**STR, "description": "x"},
        {**STR, "title": "t"},
        True,
        True,
    ),
    (
        "widen array items",
        {"type": "array", "items": INT},
        {"type": "array", "items": NUM},
        True,
        False,
    ),
    (
        "add anyOf branch",
        {"anyOf": [STR, INT]},
        {"anyOf": [STR, INT, {"type": "null"}]},
        True,
        False,
    ),
    ("type to oneOf containing it", STR, {"oneOf": [STR, INT]}, True, False),
    (
        "narrowing through a local $ref",
        {"$defs": {"v": NUM}, "type": "object", "properties": {"a": {"$ref": "#/$defs/v"}}},
        {"$defs": {"v": INT}, "type": "object", "properties": {"a": {"$ref": "#/$defs/v"}}},
        False,
        True,
    ),
    (
        "nested object closed",
        obj({"n": obj({"x": INT})}),
        obj({"n": obj({"x": INT}, **CLOSED)}),
        False,
        True,
    ),
]


@pytest.mark.parametrize("level", LEVELS, ids=[lv.value for lv in LEVELS])
@pytest.mark.parametrize(("rule", "old", "new", "back", "fwd"), RULES, ids=[r[0] for r in RULES])
def test_rule(
    level: CompatibilityLevel, rule: str, old: Any, new: Any, back: bool, fwd: bool
) -> None:
    found = reasons(level, SchemaType.JSON, old, new)
    assert (not found) is expected(level, back, fwd), found


def test_reason_names_rule_and_path() -> None:
    found = reasons(
        CompatibilityLevel.BACKWARD, SchemaType.JSON, obj({"a": INT}), obj({"a": INT, "b": STR})
    )
    assert "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" in found[0]
    assert "#/properties/b" in found[0]


def test_every_reason_is_reported() -> None:
    old = obj({"a": STR, "b": STR}, **CLOSED)
    new = obj({"a": INT}, required=["c"], **CLOSED)
    found = " ".join(reasons(CompatibilityLevel.BACKWARD, SchemaType.JSON, old, new))
    assert "TYPE_NARROWED" in found and "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" in found
    assert "REQUIRED_ATTRIBUTE_ADDED" in found


# v2 was registered under NONE (it breaks v1); v3 passes against v2 only.
CHAINS = [
    (CompatibilityLevel.BACKWARD, STR, INT, NUM),
    (CompatibilityLevel.FORWARD, STR, NUM, INT),
    (CompatibilityLevel.FULL, STR, INT, {**INT, "description": "same values"}),
]


@pytest.mark.parametrize(("plain", "v1", "v2", "v3"), CHAINS, ids=[c[0].value for c in CHAINS])
def test_transitive_levels_check_every_version(
    registry: SchemaRegistry, plain: CompatibilityLevel, v1: Any, v2: Any, v3: Any
) -> None:
    def schema(doc: Any) -> Schema:
        return Schema(json.dumps(doc), SchemaType.JSON)

    registry.set_level("s", CompatibilityLevel.NONE)
    registry.register("s", schema(v1))
    registry.register("s", schema(v2))
    registry.set_level("s", CompatibilityLevel(f"{plain.value}_TRANSITIVE"))
    with pytest.raises(IncompatibleSchemaError) as err:
        registry.register("s", schema(v3))
    assert "{oldSchemaVersion: 1}" in err.value.reasons
    registry.set_level("s", plain)
    assert registry.register("s", schema(v3)).version == 3
