"""Avro compatibility rule table: every rule, both directions, at every level."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.errors import IncompatibleSchemaError
from schemas.models import CompatibilityLevel, Schema, SchemaType
from schemas.registry import SchemaRegistry
from tests.unit.schemas.compat_cases import LEVELS, expected, reasons


def rec(*fields: Any, name: str = "R", **extra: Any) -> dict[str, Any]:
    out = {"type": "record", "name": name, "fields": [f for f in fields], **extra}
    return out


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "E", "symbols": list(symbols), **extra}


A = f("a", "int")
# (rule, old, new, BACKWARD ok (new reads old data), FORWARD ok (old reads new data))
RULES: list[tuple[str, Any, Any, bool, bool]] = [
    ("add field with default", rec(A), rec(A, f("b", "string", default="")), True, True),
    ("add field without default", rec(A), rec(A, f("b", "string")), False, True),
    ("remove field with default", rec(A, f("b", "int", default=0)), rec(A), True, True),
    ("remove field without default", rec(A, f("b", "int")), rec(A), True, False),
    ("promote int to long", rec(A), rec(f("a", "long")), True, False),
    ("promote int to double", rec(A), rec(f("a", "double")), True, False),
    ("promote float to double", rec(f("a", "float")), rec(f("a", "double")), True, False),
    ("string to bytes", rec(f("a", "string")), rec(f("a", "bytes")), True, True),
    ("change int to string", rec(A), rec(f("a", "string")), False, False),
    ("add enum symbol", rec(f("e", enum("X"))), rec(f("e", enum("X", "Y"))), True, False),
    ("remove enum symbol", rec(f("e", enum("X", "Y"))), rec(f("e", enum("X"))), False, True),
    (
        "remove enum symbol, reader default",
        rec(f("e", enum("X", "Y", default="X"))),
        rec(f("e", enum("X", default="X"))),
        True,
        True,
    ),
    (
        "add union branch",
        rec(f("u", ["null", "string"])),
        rec(f("u", ["null", "string", "int"])),
        True,
        False,
    ),
    (
        "type to union containing it",
        rec(f("u", "string")),
        rec(f("u", ["null", "string"])),
        True,
        False,
    ),
    ("rename record", rec(A, name="Old"), rec(A, name="New"), False, False),
    (
        "rename record with alias",
        rec(A, name="Old"),
        rec(A, name="New", aliases=["Old"]),
        True,
        False,
    ),
    ("rename field with alias", rec(A), rec(f("z", "int", aliases=["a"])), True, False),
    (
        "fixed size change",
        rec(f("x", {"type": "fixed", "name": "F", "size": 4})),
        rec(f("x", {"type": "fixed", "name": "F", "size": 8})),
        False,
        False,
    ),
    (
        "array items int to long",
        rec(f("l", {"type": "array", "items": "int"})),
        rec(f("l", {"type": "array", "items": "long"})),
        True,
        False,
    ),
    (
        "map values string to int",
        rec(f("m", {"type": "map", "values": "string"})),
        rec(f("m", {"type": "map", "values": "int"})),
        False,
        False,
    ),
    (
        "nested record gains field without default",
        rec(f("n", rec(A, name="N"))),
        rec(f("n", rec(A, f("b", "int"), name="N"))),
        False,
        True,
    ),
    ("primitive long to int", "long", "int", False, True),
]


@pytest.mark.parametrize("level", LEVELS, ids=[lv.value for lv in LEVELS])
@pytest.mark.parametrize(("rule", "old", "new", "back", "fwd"), RULES, ids=[r[0] for r in RULES])
def test_rule(
    level: CompatibilityLevel, rule: str, old: Any, new: Any, back: bool, fwd: bool
) -> None:
    found = reasons(level, SchemaType.AVRO, old, new)
    assert (not found) is expected(level, back, fwd), found


def test_reasons_name_the_path_and_error_type() -> None:
    found = reasons(CompatibilityLevel.BACKWARD, SchemaType.AVRO, rec(A), rec(A, f("b", "string")))
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in found[0] and "/fields/1" in found[0]
    assert "{oldSchemaVersion: 1}" in found and "{compatibility: 'BACKWARD'}" in found


def test_recursive_records_terminate() -> None:
    node = rec(f("v", "int"), f("next", ["null", "R"], default=None))
    node2 = rec(f("v", "long"), f("next", ["null", "R"], default=None))
    assert reasons(CompatibilityLevel.FULL, SchemaType.AVRO, node, node) == []
    assert reasons(CompatibilityLevel.BACKWARD, SchemaType.AVRO, node, node2) == []
    assert reasons(CompatibilityLevel.FORWARD, SchemaType.AVRO, node, node2) != []


# Chains of three versions; v2 was registered under NONE. The new v3 passes the
# plain level (checked against v2 only) but not its transitive form (also v1).
CHAINS = [
    # v3 reads v2 data but not v1's ('a' was int, is now string)
    (CompatibilityLevel.BACKWARD, rec(A), rec(), rec(f("a", "string", default="x"))),
    # v2 reads v3 data ('a' defaults) but v1 does not (no default for 'a')
    (CompatibilityLevel.FORWARD, rec(A), rec(f("a", "int", default=0)), rec()),
    (CompatibilityLevel.FULL, rec(A), rec(f("a", "int", default=0)), rec()),
]


@pytest.mark.parametrize(("plain", "v1", "v2", "v3"), CHAINS, ids=[c[0].value for c in CHAINS])
def test_transitive_levels_check_every_version(
    registry: SchemaRegistry, plain: CompatibilityLevel, v1: Any, v2: Any, v3: Any
) -> None:
    def schema(doc: Any) -> Schema:
        return Schema(json.dumps(doc), SchemaType.AVRO)

    registry.set_level("s", CompatibilityLevel.NONE)
    registry.register("s", schema(v1))
    registry.register("s", schema(v2))
    transitive = CompatibilityLevel(f"{plain.value}_TRANSITIVE")
    registry.set_level("s", transitive)
    with pytest.raises(IncompatibleSchemaError) as err:
        registry.register("s", schema(v3))
    assert "{oldSchemaVersion: 1}" in err.value.reasons
    assert "{oldSchemaVersion: 2}" not in err.value.reasons
    registry.set_level("s", plain)
    assert registry.register("s", schema(v3)).version == 3
