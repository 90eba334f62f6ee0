"""SchemaAndValue: what a converter returns (kept apart so data.py stays readable)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from connectors.api.data import Schema


@dataclass(frozen=True, slots=True, init=False)
class SchemaAndValue:
    """What a converter returns: the schema (None when schemaless) and the value.

    Unpacks like a pair: ``schema, value = converter.to_connect_data(topic, data)``.
    The constructor writes the slots directly: a sink converts every record into one of
    these, and the frozen dataclass's generated ``__init__`` costs a third more.
    """

    schema: Schema | None
    value: Any

    NULL: ClassVar[SchemaAndValue]

    def __init__(self, schema: Schema | None, value: Any) -> None:
        _SET_SCHEMA(self, schema)
        _SET_VALUE(self, value)

    def __iter__(self) -> Iterator[Any]:
        yield self.schema
        yield self.value


_SET_SCHEMA = vars(SchemaAndValue)["schema"].__set__  # the slot itself, past the frozen guard
_SET_VALUE = vars(SchemaAndValue)["value"].__set__
SchemaAndValue.NULL = SchemaAndValue(None, None)
