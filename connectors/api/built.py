"""A sequence whose items are built on first use and kept: the base of the columnar types.

Why: a batch held as columns (records of a :class:`~connectors.api.SourceRecordBatch`, the
Structs of a :class:`~connectors.api.StructColumns`) is only turned into objects when some
code needs them; once built they must stay the same objects, so a transform, a retry or the
dead letter queue all see one record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class BuiltOnDemand(Sequence[T]):
    """The ``Sequence`` side of a columnar type; subclasses say how to build the items."""

    __slots__ = ("_built",)

    def __init__(self) -> None:
        self._built: list[T] | None = None

    def _build(self) -> list[T]:
        raise NotImplementedError

    def built(self) -> list[T]:
        """The items, built on first use and kept (the same objects every time)."""
        if self._built is None:
            self._built = self._build()
        return self._built

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.built()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.built())


__all__ = ["BuiltOnDemand"]
