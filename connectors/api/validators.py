"""Reusable validators for :class:`~connectors.api.config.ConfigDef` keys (Kafka's ``ConfigDef.*``).

A validator is any callable ``(name, parsed_value) -> None`` that raises ``ValueError`` with
the reason; these also describe themselves as JSON Schema fragments so the generated schema
states the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Validator = Callable[[str, Any], None]
"""Called with (name, parsed value); raises ValueError or ConfigError with the reason."""


class Range:
    """Numeric bounds (Kafka's ``ConfigDef.Range``)."""

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        self.low, self.high = low, high

    @classmethod
    def at_least(cls, low: float) -> Range:
        return cls(low, None)

    @classmethod
    def between(cls, low: float, high: float) -> Range:
        return cls(low, high)

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            return
        if self.low is not None and value < self.low:
            msg = f"Value must be at least {_num(self.low)}"
            raise ValueError(msg)
        if self.high is not None and value > self.high:
            msg = f"Value must be no more than {_num(self.high)}"
            raise ValueError(msg)

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out

    def __str__(self) -> str:
        if self.high is None:
            return f"[{_num(self.low)},...]"
        return f"[{_num(self.low) if self.low is not None else '...'},...,{_num(self.high)}]"


def _num(x: float | None) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


class ValidString:
    """The value must be one of a fixed set (Kafka's ``ValidString``)."""

    def __init__(self, *allowed: str, case_sensitive: bool = True) -> None:
        self.allowed = list(allowed)
        self.case_sensitive = case_sensitive

    @classmethod
    def in_(cls, *allowed: str) -> ValidString:
        return cls(*allowed)

    @classmethod
    def case_insensitive(cls, *allowed: str) -> ValidString:
        return cls(*allowed, case_sensitive=False)

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            return
        ok = (
            value in self.allowed
            if self.case_sensitive
            else str(value).lower() in {a.lower() for a in self.allowed}
        )
        if not ok:
            msg = f"String must be one of: {', '.join(self.allowed)}"
            raise ValueError(msg)

    def json_schema(self) -> dict[str, Any]:
        if self.case_sensitive:
            return {"enum": list(self.allowed)}
        alternatives = "|".join(_ci_regex(a) for a in self.allowed)
        return {"pattern": f"^({alternatives})$"}

    def __str__(self) -> str:
        return "[" + ", ".join(self.allowed) + "]"


def _ci_regex(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


class ValidList:
    """Every element of a LIST must be one of ``allowed`` (Kafka's ``ValidList``)."""

    def __init__(self, *allowed: str) -> None:
        self.allowed = list(allowed)

    @classmethod
    def in_(cls, *allowed: str) -> ValidList:
        return cls(*allowed)

    def __call__(self, name: str, value: Any) -> None:
        bad = [v for v in value or () if v not in self.allowed]
        if bad:
            msg = f"Invalid item(s) {', '.join(bad)}; allowed: {', '.join(self.allowed)}"
            raise ValueError(msg)

    def json_schema(self) -> dict[str, Any]:
        return {"items": {"enum": list(self.allowed)}}

    def __str__(self) -> str:
        return "[" + ", ".join(self.allowed) + "]"


class NonEmptyString:
    """Rejects empty (or blank) strings (Kafka's ``NonEmptyString``)."""

    def __call__(self, name: str, value: Any) -> None:
        if value is not None and not str(value).strip():
            msg = "String may not be empty"
            raise ValueError(msg)

    def json_schema(self) -> dict[str, Any]:
        return {"minLength": 1}

    def __str__(self) -> str:
        return "non-empty string"
