"""Configuration declared as data: ConfigDef, as in Kafka Connect, plus its JSON Schema view.

A connector, converter or transform declares each key once (type, default, validator,
importance, documentation, group...). From that single declaration come:

* :meth:`ConfigDef.parse` - typed values, or one :class:`ConfigError` listing every problem;
* :meth:`ConfigDef.validate` - one :class:`ConfigValue` per key with its errors (what Kafka
  Connect's ``PUT /connector-plugins/{p}/config/validate`` reports);
* :meth:`ConfigDef.config_key_infos` - Kafka's ``ConfigKeyInfo`` JSON objects;
* :meth:`ConfigDef.json_schema` - a JSON Schema (draft 2020-12) of the same rules.

Values arrive as strings (Kafka Connect configs are string maps) or as native JSON values;
both parse the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connectors.api.errors import ConfigError
from connectors.api.validators import Validator, ValidString


class ConfigType(StrEnum):
    """Kafka's ``ConfigDef.Type`` names (shown as-is in ``ConfigKeyInfo.type``)."""

    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(StrEnum):
    """How much a key matters to users (ordering and emphasis in UIs)."""

    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(StrEnum):
    """A hint for the width of the input box a UI shows for the key."""

    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class Password:
    """A secret config value: ``str()``/``repr()`` show ``[hidden]`` so it never leaks in logs."""

    __slots__ = ("value",)
    HIDDEN = "[hidden]"

    def __init__(self, value: str) -> None:
        self.value = value

    def __str__(self) -> str:
        return self.HIDDEN

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


#: Marks a key without default: it is required.
NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class ConfigKey:
    """The declaration of one config key; see :meth:`ConfigDef.define` for the fields."""

    name: str
    type: ConfigType
    default: Any = NO_DEFAULT
    validator: Validator | None = None
    importance: Importance = Importance.MEDIUM
    documentation: str = ""
    group: str | None = None
    order: int = -1
    width: Width = Width.NONE
    display_name: str | None = None
    dependents: tuple[str, ...] = ()
    recommended_values: tuple[Any, ...] = ()

    @property
    def required(self) -> bool:
        """A key without default must be given (Kafka: ``required`` in ConfigKeyInfo)."""
        return self.default is NO_DEFAULT

    def to_info(self) -> dict[str, Any]:
        """Kafka Connect's ``ConfigKeyInfo`` JSON object for this key."""
        return {
            "name": self.name,
            "type": self.type.value,
            "required": self.required,
            "default_value": None if self.required else to_config_string(self.default, self.type),
            "importance": self.importance.value,
            "documentation": self.documentation,
            "group": self.group,
            "order": self.order,
            "width": self.width.value,
            "display_name": self.display_name or self.name,
            "dependents": list(self.dependents),
        }


@dataclass
class ConfigValue:
    """The validation result for one key (Kafka's ``ConfigValue``)."""

    name: str
    value: Any = None
    recommended_values: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visible: bool = True

    def to_info(self, type: ConfigType | None = None) -> dict[str, Any]:
        """Kafka Connect's ``ConfigValueInfo`` JSON object (secrets shown as ``[hidden]``)."""
        return {
            "name": self.name,
            "value": to_config_string(self.value, type),
            "recommended_values": [to_config_string(v, type) for v in self.recommended_values],
            "errors": list(self.errors),
            "visible": self.visible,
        }


def to_config_string(value: Any, config_type: ConfigType | None = None) -> str | None:
    """Kafka's ``ConfigDef.convertToString``: the string form shown by the REST API."""
    if value is None or value is NO_DEFAULT:
        return None
    if isinstance(value, Password) or config_type is ConfigType.PASSWORD:
        return Password.HIDDEN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return str(value)


_INT_BOUNDS = {
    ConfigType.SHORT: (-(2**15), 2**15 - 1),
    ConfigType.INT: (-(2**31), 2**31 - 1),
    ConfigType.LONG: (-(2**63), 2**63 - 1),
}


def parse_value(key: ConfigKey, value: Any) -> Any:
    """Parse one raw value (string or native) to the key's type; ValueError says why not."""
    if value is None:
        return None
    t = key.type
    if isinstance(value, str) and t is not ConfigType.PASSWORD:
        value = value.strip()
    if t is ConfigType.BOOLEAN:
        return _parse_bool(value)
    if t in _INT_BOUNDS:
        return _parse_int(value, t)
    if t is ConfigType.DOUBLE:
        return _parse_double(value)
    if t is ConfigType.LIST:
        return _parse_list(value)
    if t is ConfigType.PASSWORD:
        return value if isinstance(value, Password) else Password(_expect_str(value, t))
    if t is ConfigType.CLASS and isinstance(value, type):
        return to_config_string(value)
    return _expect_str(value, t)


def _expect_str(value: Any, t: ConfigType) -> str:
    if not isinstance(value, str):
        msg = f"Expected a {t.value} (string) but got {type(value).__name__}"
        raise ValueError(msg)
    return value


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    msg = "Expected value to be either true or false"
    raise ValueError(msg)


def _parse_int(value: Any, t: ConfigType) -> int:
    if isinstance(value, bool):
        msg = f"Expected a whole number ({t.value}), not a boolean"
        raise ValueError(msg)
    try:
        n = int(value) if isinstance(value, int | str) else int(_whole(value))
    except (TypeError, ValueError):
        msg = f"Not a number of type {t.value}"
        raise ValueError(msg) from None
    low, high = _INT_BOUNDS[t]
    if not low <= n <= high:
        msg = f"Out of range for {t.value} ({low}..{high})"
        raise ValueError(msg)
    return n


def _whole(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError


def _parse_double(value: Any) -> float:
    if isinstance(value, bool):
        msg = "Expected a number (DOUBLE), not a boolean"
        raise ValueError(msg)
    try:
        return float(value)
    except (TypeError, ValueError):
        msg = "Not a number of type DOUBLE"
        raise ValueError(msg) from None


def _parse_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [] if not value else [item.strip() for item in value.split(",")]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value]
    msg = "Expected a comma-separated list of values"
    raise ValueError(msg)


class ConfigDef:
    """An ordered set of :class:`ConfigKey` declarations (Kafka's ``ConfigDef``)."""

    def __init__(self, keys: Iterable[ConfigKey] = ()) -> None:
        self._keys: dict[str, ConfigKey] = {}
        for k in keys:
            self.define_key(k)

    def define(
        self,
        name: str,
        type: ConfigType,
        default: Any = NO_DEFAULT,
        validator: Validator | None = None,
        importance: Importance = Importance.MEDIUM,
        documentation: str = "",
        *,
        group: str | None = None,
        order: int = -1,
        width: Width = Width.NONE,
        display_name: str | None = None,
        dependents: Sequence[str] = (),
        recommended_values: Sequence[Any] = (),
    ) -> ConfigDef:
        """Declare a key; returns self so definitions chain. ``default=NO_DEFAULT`` = required."""
        if default is not NO_DEFAULT and default is not None:
            key = ConfigKey(name, type)
            default = parse_value(key, default)
        return self.define_key(
            ConfigKey(name, type, default, validator, importance, documentation, group, order,
                      width, display_name, tuple(dependents), tuple(recommended_values))
        )  # fmt: skip

    def define_key(self, key: ConfigKey) -> ConfigDef:
        if key.name in self._keys:
            msg = f"Configuration {key.name} is defined twice."
            raise ConfigError(msg)
        self._keys[key.name] = key
        return self

    def merge(self, other: ConfigDef) -> ConfigDef:
        """A new ConfigDef with this one's keys then ``other``'s (other wins on clashes)."""
        merged = ConfigDef(self._keys.values())
        for k in other:
            merged._keys[k.name] = k
        return merged

    def __iter__(self) -> Iterator[ConfigKey]:
        return iter(self._keys.values())

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, name: str) -> ConfigKey:
        return self._keys[name]

    def names(self) -> list[str]:
        return list(self._keys)

    def groups(self) -> list[str]:
        """Group names in first-declared order (the ``groups`` list of ConfigInfos)."""
        return list(dict.fromkeys(k.group for k in self._keys.values() if k.group))

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        """One ConfigValue per declared key, each with all its errors (never raises)."""
        return [self._validate_key(key, props) for key in self._keys.values()]

    def _validate_key(self, key: ConfigKey, props: Mapping[str, Any]) -> ConfigValue:
        cv = ConfigValue(key.name, recommended_values=_recommended(key))
        if key.name not in props:
            if key.required:
                cv.errors.append(
                    f'Missing required configuration "{key.name}" which has no default value.'
                )
                return cv
            cv.value = key.default
        else:
            raw = props[key.name]
            try:
                cv.value = parse_value(key, raw)
            except ValueError as exc:
                cv.value = raw
                cv.errors.append(_invalid(key, raw, exc))
                return cv
        if key.validator is not None:
            try:
                key.validator(key.name, cv.value)
            except (ValueError, ConfigError) as exc:
                cv.errors.append(_invalid(key, cv.value, exc))
        return cv

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values for every declared key; ConfigError listing EVERY bad key otherwise."""
        return typed_config(self.validate(props))

    def config_key_infos(self) -> list[dict[str, Any]]:
        """Kafka Connect's ``[ConfigKeyInfo]`` (``GET /connector-plugins/{p}/config``)."""
        return [k.to_info() for k in self._keys.values()]

    def json_schema(self, title: str | None = None) -> dict[str, Any]:
        """The same rules as a JSON Schema (draft 2020-12) object schema."""
        from connectors.api.config_schema import config_json_schema

        return config_json_schema(self, title)


def _recommended(key: ConfigKey) -> list[Any]:
    if key.recommended_values:
        return list(key.recommended_values)
    if isinstance(key.validator, ValidString):
        return list(key.validator.allowed)
    return []


def _invalid(key: ConfigKey, value: Any, exc: Exception) -> str:
    shown = to_config_string(value, key.type)
    return f"Invalid value {shown} for configuration {key.name}: {exc}"


def typed_config(values: Sequence[ConfigValue]) -> dict[str, Any]:
    """Name -> typed value from validation results, or one ConfigError listing every error.

    The one place that turns ``validate`` results (a ConfigDef's, plus any cross-key rules a
    connector appended) into the config a task starts with, so every parse fails alike.
    """
    errors = {v.name: v.errors for v in values if v.errors}
    if errors:
        raise ConfigError.from_errors(errors)
    return {v.name: v.value for v in values}


def error_count(values: Iterable[ConfigValue]) -> int:
    """Total errors over all values (ConfigInfos' ``error_count``)."""
    return sum(len(v.errors) for v in values)


def config_infos(name: str, definition: ConfigDef, values: Sequence[ConfigValue]) -> dict[str, Any]:
    """Kafka Connect's ``ConfigInfos`` body for the validate endpoint.

    Keys validated but not declared in ``definition`` (e.g. framework keys validated by the
    runtime) are shown with a STRING definition so their errors are never lost.
    """
    configs = []
    for v in values:
        key = definition._keys.get(v.name) or ConfigKey(v.name, ConfigType.STRING, None)
        configs.append({"definition": key.to_info(), "value": v.to_info(key.type)})
    return {
        "name": name,
        "error_count": error_count(values),
        "groups": definition.groups(),
        "configs": configs,
    }
