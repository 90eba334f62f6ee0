"""A small JSONPath subset for pointing into API responses: ``$.data.items``, ``items[0].id``.

Enough for "where are the records / the next cursor / the key" without a dependency: a
leading ``$`` (optional), dotted names, ``[n]`` list indexes and ``['quoted name']``.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(-?\d+)\]|\['([^']*)'\]")


class JsonPath:
    """A compiled path; :meth:`find` returns the value there, or None if it is absent."""

    def __init__(self, path: str) -> None:
        self.path = path
        text = path.strip()
        text = text[1:] if text.startswith("$") else text
        self.steps: list[str | int] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                msg = f"cannot read {path!r} at position {pos}: use $.a.b, a[0].b or ['a b']"
                raise ValueError(msg)
            name, index, quoted = match.groups()
            self.steps.append(int(index) if index is not None else (name or quoted or ""))
            pos = match.end()

    def find(self, data: Any) -> Any:
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(data, list) or not -len(data) <= step < len(data):
                    return None
                data = data[step]
            elif isinstance(data, dict):
                data = data.get(step)
            else:
                return None
        return data


def json_path_validator(name: str, value: Any) -> None:
    """ConfigDef validator: the value must be a path :class:`JsonPath` understands."""
    if value:
        JsonPath(str(value))
