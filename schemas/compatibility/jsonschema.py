"""JSON Schema compatibility: is every document valid under one schema valid under another?

Follows the rules of Confluent's ``SchemaDiff`` (STRICT policy, COMPAT.md 3.5):
``differences(original, update)`` lists the changes that let ``update`` reject
a document ``original`` accepted.  BACKWARD calls it with (previous, new),
FORWARD with (new, previous), FULL does both.

The content model of an object decides what adding or removing a property
means: *open* (``additionalProperties`` absent/true, no ``patternProperties``)
already accepts any extra property with any value, so a new typed property
narrows it; *closed* (``additionalProperties: false``) accepted none, so a new
optional property is harmless; *partially open* (an ``additionalProperties``
schema or ``patternProperties``) accepted extras matching a schema, so a new
property is fine when its schema accepts everything that covering schema did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NUMBER_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_NUMBER_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
_COMBINERS = ("anyOf", "oneOf")
_MAX_DEPTH = 64


def _norm(schema: Any) -> dict[str, Any]:
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    return schema if isinstance(schema, dict) else {}


def _is_false(schema: Any) -> bool:
    return schema is False or (isinstance(schema, dict) and schema.get("not") == {})


def _is_empty(schema: Any) -> bool:
    return schema is True or schema == {}


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    raw = schema.get("type")
    if raw is None:
        return _ALL_TYPES
    return frozenset([raw] if isinstance(raw, str) else raw)


class _Diff:
    def __init__(self, orig_root: Any, upd_root: Any, refs: Mapping[str, Any]) -> None:
        self.roots = (orig_root, upd_root)
        self.refs = refs
        self.reasons: list[str] = []
        self.seen: set[tuple[int, int]] = set()

    def fail(self, kind: str, path: str, description: str) -> None:
        self.reasons.append(
            f"{{errorType:'{kind}', description:'{description}', additionalInfo:'#{path}'}}"
        )

    def deref(self, schema: dict[str, Any], root: Any) -> dict[str, Any]:
        for _ in range(_MAX_DEPTH):
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                return schema
            target = self._lookup(ref, root)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**_norm(target), **rest} if rest else _norm(target)
        return schema

    def _lookup(self, ref: str, root: Any) -> Any:
        doc, _, pointer = ref.partition("#")
        base = self.refs.get(doc, root) if doc else root
        node = base
        for part in (p for p in pointer.split("/") if p):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node

    def compare(self, orig: Any, upd: Any, path: str, depth: int = 0) -> None:
        if depth > _MAX_DEPTH or _is_empty(upd):
            return
        if _is_false(orig):
            return  # nothing was valid before: any update accepts all of it
        o = self.deref(_norm(orig), self.roots[0])
        u = self.deref(_norm(upd), self.roots[1])
        key = (id(o), id(u))
        if key in self.seen:
            return
        self.seen.add(key)
        if self._compare_combined(o, u, path, depth):
            return
        self._compare_types(o, u, path)
        self._compare_enum(o, u, path)
        self._compare_limits(o, u, path)
        if "object" in _types(o) and "object" in _types(u):
            self._compare_object(o, u, path, depth)
        if "array" in _types(o) and "array" in _types(u):
            self._compare_array(o, u, path, depth)

    def _is_compatible(self, orig: Any, upd: Any, depth: int) -> bool:
        probe = _Diff(self.roots[0], self.roots[1], self.refs)
        probe.compare(orig, upd, "", depth + 1)
        return not probe.reasons

    def _compare_combined(self, o: dict[str, Any], u: dict[str, Any], path: str, d: int) -> bool:
        o_kind = next((k for k in (*_COMBINERS, "allOf") if k in o), None)
        u_kind = next((k for k in (*_COMBINERS, "allOf") if k in u), None)
        if o_kind is None and u_kind is None:
            return False
        o_branches = o.get(o_kind, [o]) if o_kind else [o]
        u_branches = u.get(u_kind, [u]) if u_kind else [u]
        if u_kind == "allOf":
            for i, branch in enumerate(u_branches):
                self.compare(o, branch, f"{path}/allOf/{i}", d + 1)
            return True
        if o_kind == "allOf":
            if not any(self._is_compatible(b, u, d) for b in o_branches):
                self.fail("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path, "allOf no longer satisfied")
            return True
        for i, branch in enumerate(o_branches):
            if not any(self._is_compatible(branch, ub, d) for ub in u_branches):
                kind = "COMBINED_TYPE_SUBSCHEMAS_CHANGED" if u_kind else "TYPE_NARROWED"
                self.fail(
                    kind,
                    f"{path}/{o_kind or 'type'}/{i}",
                    f"Branch {i} of the original {o_kind or 'schema'} is not accepted by "
                    f"any branch of the update at '#{path}'",
                )
        return True

    def _compare_types(self, o: dict[str, Any], u: dict[str, Any], path: str) -> None:
        ot, ut = _types(o), _types(u)
        lost = {t for t in ot - ut if not (t == "integer" and "number" in ut)}
        if lost:
            self.fail(
                "TYPE_NARROWED",
                f"{path}/type",
                f"Type narrowed at '#{path}': {sorted(lost)} no longer allowed",
            )

    def _compare_enum(self, o: dict[str, Any], u: dict[str, Any], path: str) -> None:
        for word in ("enum", "const"):
            if word not in u:
                continue
            new = u[word] if word == "enum" else [u[word]]
            old = o.get("enum") if "enum" in o else ([o["const"]] if "const" in o else None)
            if old is None or any(v not in new for v in old):
                self.fail(
                    "ENUM_ARRAY_NARROWED" if old is not None else "ENUM_ARRAY_ADDED",
                    f"{path}/{word}",
                    f"{word} at '#{path}' no longer accepts every value it did",
                )

    def _compare_limits(self, o: dict[str, Any], u: dict[str, Any], path: str) -> None:
        for word in _NUMBER_UPPER:
            if word in u and (word not in o or _num(u[word]) < _num(o[word])):
                self.fail(f"{_upper(word)}_DECREASED", f"{path}/{word}", f"{word} tightened")
        for word in _NUMBER_LOWER:
            if word in u and (word not in o or _num(u[word]) > _num(o[word])):
                self.fail(f"{_upper(word)}_INCREASED", f"{path}/{word}", f"{word} tightened")
        if "multipleOf" in u and (
            "multipleOf" not in o or _num(o["multipleOf"]) % _num(u["multipleOf"]) != 0
        ):
            self.fail("MULTIPLE_OF_CHANGED", f"{path}/multipleOf", "multipleOf tightened")
        for word in ("pattern", "format"):
            if word in u and u[word] != o.get(word):
                self.fail(f"{word.upper()}_CHANGED", f"{path}/{word}", f"{word} added or changed")
        if u.get("uniqueItems") and not o.get("uniqueItems"):
            self.fail("UNIQUE_ITEMS_ADDED", f"{path}/uniqueItems", "uniqueItems added")

    def _compare_array(self, o: dict[str, Any], u: dict[str, Any], path: str, d: int) -> None:
        oi, ui = o.get("items", {}), u.get("items", {})
        if isinstance(oi, list) or isinstance(ui, list):
            o_list = oi if isinstance(oi, list) else []
            u_list = ui if isinstance(ui, list) else []
            for i in range(min(len(o_list), len(u_list))):
                self.compare(o_list[i], u_list[i], f"{path}/items/{i}", d + 1)
            if isinstance(ui, dict) and isinstance(oi, list):
                for i, item in enumerate(o_list):
                    self.compare(item, ui, f"{path}/items/{i}", d + 1)
            return
        self.compare(oi, ui, f"{path}/items", d + 1)

    def _compare_object(self, o: dict[str, Any], u: dict[str, Any], path: str, d: int) -> None:
        from schemas.compatibility._objects import compare_objects

        compare_objects(self, o, u, path, d)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _upper(word: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", word).upper()


def differences(original: Any, update: Any, refs: Mapping[str, Any] | None = None) -> list[str]:
    """Why a document valid under ``original`` may be rejected by ``update`` (empty = none).

    ``refs`` maps reference names (as used in ``$ref``) to the referenced documents.
    """
    diff = _Diff(original, update, refs or {})
    diff.compare(original, update, "")
    return diff.reasons
