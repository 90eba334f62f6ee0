"""The JSON Schema view of a :class:`~connectors.api.config.ConfigDef`.

Kafka Connect configs are string maps, so every non-string type also accepts its string
spelling (``"tasks.max": "2"`` as well as ``2``); numeric bounds apply to numbers and
patterns to strings, which is how JSON Schema scopes those keywords.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.api.config import ConfigKey, ConfigType, Password

if TYPE_CHECKING:
    from connectors.api.config import ConfigDef

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_INT_PATTERN = r"^\s*[+-]?[0-9]+\s*$"
_NUM_PATTERN = r"^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$"
_BOOL_PATTERN = r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$"
_INT_LIMITS = {
    ConfigType.SHORT: (-(2**15), 2**15 - 1),
    ConfigType.INT: (-(2**31), 2**31 - 1),
    ConfigType.LONG: (-(2**63), 2**63 - 1),
}


def _type_schema(t: ConfigType) -> dict[str, Any]:
    if t is ConfigType.BOOLEAN:
        return {"type": ["boolean", "string"], "pattern": _BOOL_PATTERN}
    if t in _INT_LIMITS:
        low, high = _INT_LIMITS[t]
        return {"type": ["integer", "string"], "pattern": _INT_PATTERN, "minimum": low,
                "maximum": high}  # fmt: skip
    if t is ConfigType.DOUBLE:
        return {"type": ["number", "string"], "pattern": _NUM_PATTERN}
    if t is ConfigType.LIST:
        return {"type": ["array", "string"], "items": {"type": "string"}}
    if t is ConfigType.PASSWORD:
        return {"type": "string", "writeOnly": True, "format": "password"}
    return {"type": "string"}


def _json_default(key: ConfigKey) -> Any:
    if isinstance(key.default, Password):
        return None
    if isinstance(key.default, tuple):
        return list(key.default)
    return key.default


def key_json_schema(key: ConfigKey) -> dict[str, Any]:
    """The property schema of one key, with Kafka's metadata as ``x-`` annotations."""
    out = _type_schema(key.type)
    fragment = getattr(key.validator, "json_schema", None)
    if callable(fragment):
        out.update(fragment())
    if key.display_name:
        out["title"] = key.display_name
    if key.documentation:
        out["description"] = key.documentation
    default = _json_default(key)
    if not key.required and default is not None:
        out["default"] = default
    out["x-importance"] = key.importance.value
    out["x-kafka-type"] = key.type.value
    if key.group:
        out["x-group"] = key.group
    if key.dependents:
        out["x-dependents"] = list(key.dependents)
    return out


def config_json_schema(definition: ConfigDef, title: str | None = None) -> dict[str, Any]:
    """An object schema: one property per key, required keys listed, extra keys allowed.

    Extra keys stay allowed because Kafka Connect configs mix framework keys
    (``transforms.*``, ``errors.*``, converter sub-keys) with the connector's own.
    """
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "type": "object",
        "properties": {k.name: key_json_schema(k) for k in definition},
        "required": [k.name for k in definition if k.required],
        "additionalProperties": True,
    }
    if title:
        schema["title"] = title
    return schema
