"""Record headers with Connect schemas, as Kafka Connect's ``ConnectHeaders``.

Headers are ordered and keys may repeat; the header converter turns each value to bytes
when the runtime writes the record to the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from connectors.api.data import Schema


class Header(NamedTuple):
    """One header: its key, optional Connect schema (None = schemaless) and value."""

    key: str
    schema: Schema | None
    value: Any


class Headers:
    """An ordered, mutable multi-map of :class:`Header`; transforms copy before changing."""

    __slots__ = ("_items",)

    def __init__(self, headers: Iterable[Header | tuple[str, Schema | None, Any]] = ()) -> None:
        self._items: list[Header] = [Header(*h) for h in headers]

    def add(self, key: str, value: Any, schema: Schema | None = None) -> Headers:
        """Append a header (existing ones with the same key stay); returns self for chaining."""
        self._items.append(Header(key, schema, value))
        return self

    def add_header(self, header: Header) -> Headers:
        self._items.append(header)
        return self

    def last_with_name(self, key: str) -> Header | None:
        """The most recently added header with this key, or None."""
        for i in range(len(self._items) - 1, -1, -1):
            if self._items[i].key == key:
                return self._items[i]
        return None

    def all_with_name(self, key: str) -> list[Header]:
        return [h for h in self._items if h.key == key]

    def remove(self, key: str) -> Headers:
        """Drop every header with this key."""
        self._items = [h for h in self._items if h.key != key]
        return self

    def retain_latest(self, key: str | None = None) -> Headers:
        """Keep only the last header per key (of ``key`` only, when given)."""
        seen: set[str] = set()
        kept: list[Header] = []
        for h in reversed(self._items):
            if (key is None or h.key == key) and h.key in seen:
                continue
            seen.add(h.key)
            kept.append(h)
        self._items = kept[::-1]
        return self

    def clear(self) -> Headers:
        self._items = []
        return self

    def duplicate(self) -> Headers:
        """An independent copy, so a new record never shares mutations with the old one."""
        copy = Headers.__new__(Headers)
        copy._items = list(self._items)
        return copy

    def keys(self) -> list[str]:
        return [h.key for h in self._items]

    def __iter__(self) -> Iterator[Header]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
