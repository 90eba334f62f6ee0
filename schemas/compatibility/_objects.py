"""Object rules of the JSON Schema checker: properties, required, content models.

Split from :mod:`schemas.compatibility.jsonschema` to keep each module to one
job; see that module's docstring for the open/closed/partially-open rules.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.compatibility.jsonschema import _Diff

OPEN, CLOSED, PARTIAL = "open", "closed", "partially open"


def content_model(schema: dict[str, Any]) -> str:
    """Classify an object schema as open, closed or partially open (COMPAT.md 3.5)."""
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return CLOSED
    if schema.get("patternProperties") or (extra is not True and extra != {}):
        return PARTIAL
    if schema.get("unevaluatedProperties") is False:
        return CLOSED
    return OPEN


def covering_schema(schema: dict[str, Any], name: str) -> Any:
    """The schema an undeclared property ``name`` had to satisfy (False: it was rejected)."""
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        try:
            if re.search(pattern, name):
                return sub
        except re.error:
            continue
    return schema.get("additionalProperties", True)


def _has_default(schema: Any) -> bool:
    return isinstance(schema, dict) and "default" in schema


def compare_objects(diff: _Diff, o: dict[str, Any], u: dict[str, Any], path: str, d: int) -> None:
    """Compare two object schemas; violations are appended to ``diff``."""
    o_props: dict[str, Any] = o.get("properties") or {}
    u_props: dict[str, Any] = u.get("properties") or {}
    o_req, u_req = set(o.get("required") or ()), set(u.get("required") or ())
    for name, sub in u_props.items():
        ppath = f"{path}/properties/{name}"
        if name in o_props:
            diff.compare(o_props[name], sub, ppath, d + 1)
            if name in u_req and name not in o_req and not _has_default(sub):
                diff.fail(
                    "REQUIRED_ATTRIBUTE_ADDED",
                    ppath,
                    f"Property '{name}' became required without a default at '#{ppath}'",
                )
        else:
            _property_added(diff, o, name, sub, name in u_req, ppath, d)
    for name, sub in o_props.items():
        if name not in u_props:
            _property_removed(diff, u, name, sub, f"{path}/properties/{name}", d)
    for name in sorted(u_req - o_req - set(u_props)):
        if name not in o_props:
            diff.fail(
                "REQUIRED_ATTRIBUTE_ADDED",
                f"{path}/required",
                f"Property '{name}' became required at '#{path}'",
            )
    _compare_extras(diff, o, u, path, d)


def _property_added(
    diff: _Diff, o: dict[str, Any], name: str, sub: Any, required: bool, ppath: str, d: int
) -> None:
    model = content_model(o)
    if required and not _has_default(sub):
        diff.fail(
            "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
            ppath,
            f"Required property '{name}' without a default added at '#{ppath}'; "
            "documents without it are no longer valid",
        )
        return
    if model == CLOSED:
        return
    covering = covering_schema(o, name)
    if model == OPEN:
        if sub is True or sub == {}:
            return
        diff.fail(
            "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
            ppath,
            f"Property '{name}' added to an open content model at '#{ppath}'; earlier "
            "documents may carry it with another type (close the model with "
            "additionalProperties: false, or give the property an empty schema)",
        )
        return
    if not diff._is_compatible(covering, sub, d):
        diff.fail(
            "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            ppath,
            f"Property '{name}' added at '#{ppath}' does not accept every value the "
            "additionalProperties/patternProperties schema accepted",
        )


def _property_removed(
    diff: _Diff, u: dict[str, Any], name: str, sub: Any, ppath: str, d: int
) -> None:
    model = content_model(u)
    if model == OPEN or sub is False:
        return
    covering = covering_schema(u, name)
    if model == CLOSED or covering is False:
        diff.fail(
            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            ppath,
            f"Property '{name}' removed from a closed content model at '#{ppath}'; "
            "documents carrying it are no longer valid",
        )
        return
    if not diff._is_compatible(sub, covering, d):
        diff.fail(
            "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
            ppath,
            f"Property '{name}' removed at '#{ppath}' is not covered by the new "
            "additionalProperties/patternProperties schema",
        )


def _compare_extras(diff: _Diff, o: dict[str, Any], u: dict[str, Any], path: str, d: int) -> None:
    o_model, u_model = content_model(o), content_model(u)
    if u_model == OPEN or o_model == CLOSED:
        return
    if u_model == CLOSED:
        diff.fail(
            "ADDITIONAL_PROPERTIES_REMOVED",
            f"{path}/additionalProperties",
            f"additionalProperties closed at '#{path}'; extra properties are no longer valid",
        )
        return
    o_extra = o.get("additionalProperties", True)
    u_extra = u.get("additionalProperties", True)
    if u_extra is not True and u_extra != {}:
        if o_model == OPEN:
            diff.fail(
                "ADDITIONAL_PROPERTIES_NARROWED",
                f"{path}/additionalProperties",
                f"additionalProperties narrowed at '#{path}'",
            )
        else:
            diff.compare(o_extra, u_extra, f"{path}/additionalProperties", d + 1)
    o_patterns = o.get("patternProperties") or {}
    for pattern, sub in (u.get("patternProperties") or {}).items():
        ppath = f"{path}/patternProperties/{pattern}"
        if pattern in o_patterns:
            diff.compare(o_patterns[pattern], sub, ppath, d + 1)
        else:
            diff.compare(o_extra, sub, ppath, d + 1)
