"""Avro schema-resolution compatibility: can a reader schema read a writer's data?

Implements the resolution rules of the Avro specification (the same rules
Avro's Java ``SchemaCompatibility`` applies, which Confluent uses):
promotions int→long→float→double and string↔bytes, record fields matched by
name or alias with defaults for missing ones, enum symbols, fixed sizes,
unions resolved branch by branch.  Works on fastavro's parsed schemas, where
named types are fully qualified and referenced later by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
_NAMED = {"record", "error", "enum", "fixed"}


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class _Checker:
    def __init__(self, reader_named: Mapping[str, Any], writer_named: Mapping[str, Any]) -> None:
        self.reader_named = reader_named
        self.writer_named = writer_named
        self.in_progress: set[tuple[str, str]] = set()
        self.reasons: list[str] = []

    def fail(self, kind: str, path: str, description: str) -> None:
        self.reasons.append(
            f"{{errorType:'{kind}', description:'{description}', additionalInfo:'{path or '/'}'}}"
        )

    def resolve(self, schema: Any, named: Mapping[str, Any]) -> Any:
        if isinstance(schema, str) and schema in named:
            return named[schema]
        if isinstance(schema, dict) and schema.get("type") not in _NAMED | {"array", "map"}:
            inner = schema.get("type")
            if isinstance(inner, str | list | dict):
                return self.resolve(inner, named)
        return schema

    def check(self, reader: Any, writer: Any, path: str) -> bool:
        reader = self.resolve(reader, self.reader_named)
        writer = self.resolve(writer, self.writer_named)
        if isinstance(writer, list):
            ok = True
            for i, branch in enumerate(writer):
                ok = self._check_union_reader(reader, branch, f"{path}/{i}") and ok
            return ok
        if isinstance(reader, list):
            return self._check_union_reader(reader, writer, path)
        return self._check_single(reader, writer, path)

    def _check_union_reader(self, reader: Any, writer: Any, path: str) -> bool:
        if not isinstance(reader, list):
            return self.check(reader, writer, path)
        for branch in reader:
            probe = _Checker(self.reader_named, self.writer_named)
            probe.in_progress = set(self.in_progress)
            if probe.check(branch, writer, path):
                return True
        self.fail(
            "MISSING_UNION_BRANCH",
            path,
            f"The new schema is missing a type inside a union field at path '{path}' "
            f"(writer type {_type_name(writer)})",
        )
        return False

    def _check_single(self, reader: Any, writer: Any, path: str) -> bool:
        rtype, wtype = _type_name(reader), _type_name(writer)
        if rtype != wtype and not (wtype in _PROMOTIONS and rtype in _PROMOTIONS[wtype]):
            self.fail(
                "TYPE_MISMATCH",
                path,
                f"The type (path '{path}') of a field in the new schema does not match "
                f"the old schema: reader {rtype}, writer {wtype}",
            )
            return False
        if rtype in ("record", "error"):
            return self._check_record(reader, writer, path)
        if rtype == "enum":
            return self._check_enum(reader, writer, path)
        if rtype == "fixed":
            return self._check_fixed(reader, writer, path)
        if rtype == "array":
            return self.check(reader["items"], writer["items"], f"{path}/items")
        if rtype == "map":
            return self.check(reader["values"], writer["values"], f"{path}/values")
        return True

    def _names_match(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        names = {_short(reader["name"])} | {_short(a) for a in reader.get("aliases", ())}
        if _short(writer["name"]) in names:
            return True
        self.fail(
            "NAME_MISMATCH",
            f"{path}/name",
            f"The name of the schema has changed (path '{path}/name'): "
            f"reader {reader['name']}, writer {writer['name']}",
        )
        return False

    def _check_record(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        if not self._names_match(reader, writer, path):
            return False
        key = (reader["name"], writer["name"])
        if key in self.in_progress:
            return True  # recursive type: assume compatible while the outer check runs
        self.in_progress.add(key)
        writer_fields = {f["name"]: f for f in writer.get("fields", [])}
        ok = True
        for i, rfield in enumerate(reader.get("fields", [])):
            fpath = f"{path}/fields/{i}"
            candidates = [rfield["name"], *rfield.get("aliases", ())]
            wfield = next((writer_fields[n] for n in candidates if n in writer_fields), None)
            if wfield is None:
                if "default" not in rfield:
                    self.fail(
                        "READER_FIELD_MISSING_DEFAULT_VALUE",
                        fpath,
                        f"The field '{rfield['name']}' at path '{fpath}' in the new schema has "
                        "no default value and is missing in the old schema",
                    )
                    ok = False
                continue
            ok = self.check(rfield["type"], wfield["type"], f"{fpath}/type") and ok
        self.in_progress.discard(key)
        return ok

    def _check_enum(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        if not self._names_match(reader, writer, path):
            return False
        missing = [s for s in writer.get("symbols", []) if s not in reader.get("symbols", [])]
        if missing and "default" not in reader:
            self.fail(
                "MISSING_ENUM_SYMBOLS",
                f"{path}/symbols",
                f"The new schema is missing enum symbols {missing} at path '{path}/symbols' "
                "in the old schema",
            )
            return False
        return True

    def _check_fixed(self, reader: dict[str, Any], writer: dict[str, Any], path: str) -> bool:
        if not self._names_match(reader, writer, path):
            return False
        if reader.get("size") != writer.get("size"):
            self.fail(
                "FIXED_SIZE_MISMATCH",
                f"{path}/size",
                f"The size of FIXED type field at path '{path}/size' in the new schema does "
                f"not match with the old schema: reader {reader.get('size')}, "
                f"writer {writer.get('size')}",
            )
            return False
        return True


def _type_name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        inner = schema.get("type")
        return inner if isinstance(inner, str) else _type_name(inner)
    return repr(schema)


def check_can_read(
    reader: Any,
    writer: Any,
    reader_named: Mapping[str, Any] | None = None,
    writer_named: Mapping[str, Any] | None = None,
) -> list[str]:
    """Return why ``reader`` cannot read data written with ``writer`` (empty = compatible).

    Both schemas are fastavro-parsed; the ``*_named`` maps hold the named
    types each one may refer to by name.
    """
    checker = _Checker(reader_named or {}, writer_named or {})
    checker.check(reader, writer, "")
    return checker.reasons
