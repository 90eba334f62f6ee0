"""Columnar record batches: many records held as columns, record objects built on demand.

Why: for a simple pipeline the per-record objects are the bill. Building a SourceRecord for
each line of a file, and a SinkRecord for each record read back, costs about as much as
everything else the runtime does for that line. A source that emits many values of one
source partition can hand the runtime a :class:`SourceRecordBatch`, and the runtime hands a
sink a :class:`SinkRecordBatch` of what it read; converters and sinks that understand
columns (``values``, ``keys``) never create a record object at all.

Both are ordinary ``Sequence`` objects of records for everybody else: iterating or indexing
one builds its records once and keeps them, so the same record object is seen by a
transform, a retry, an errant record reporter or the dead letter queue.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, overload

from connectors.api.built import BuiltOnDemand
from connectors.api.data import Schema
from connectors.api.records import SinkRecord, SourceRecord, TimestampType

R = TypeVar("R", SourceRecord, SinkRecord)


class OffsetColumns(Sequence[dict[str, Any]]):
    """Source offsets that differ in some fields: ``{**template, name: columns[name][i]}``.

    A change event's offset holds its LSN, transaction id and commit LSN; holding them as
    columns lets the runtime read the last offset of a batch (all it commits) without a
    dict per event. Indexing builds a fresh dict each time, with the template's keys first,
    in order, then the columns' in theirs.
    """

    __slots__ = ("columns", "template")

    def __init__(self, template: dict[str, Any], columns: dict[str, Sequence[Any]]) -> None:
        lengths = {len(c) for c in columns.values()}
        if len(lengths) > 1:
            msg = f"Offset columns of different lengths: {sorted(lengths)}."
            raise ValueError(msg)
        self.template = template
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), ()))

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return list(self)[index]
        offset = self.template.copy()
        for name, column in self.columns.items():
            offset[name] = column[index]
        return offset

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names, template = tuple(self.columns), self.template
        for row in zip(*self.columns.values(), strict=True):
            offset = template.copy()
            offset.update(zip(names, row, strict=True))
            yield offset


class OffsetColumn(OffsetColumns):
    """Source offsets that differ in one field only: ``{**template, field: position}``.

    A file source's offsets are ``{"position": <byte offset>}`` plus a constant identity.
    """

    __slots__ = ("field", "positions")

    def __init__(self, template: dict[str, Any], field: str, positions: Sequence[Any]) -> None:
        super().__init__(template, {field: positions})
        self.field = field
        self.positions = positions

    def _at(self, position: Any) -> dict[str, Any]:
        offset = self.template.copy()
        offset[self.field] = position
        return offset

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self._at, self.positions)


class _BuiltOnDemand(BuiltOnDemand[R]):
    """The ``Sequence`` side of a batch: its records, built on first use and kept."""

    __slots__ = ()

    def records(self) -> list[R]:
        """The records, built on first use and kept (the same objects every time)."""
        return self.built()


class SourceRecordBatch(_BuiltOnDemand[SourceRecord]):
    """Values of one source partition bound for one topic, with one value schema.

    The records it stands for have no Kafka partition or headers, ``value_schema`` and one
    value and one source offset each, in order; their keys are null and timestamps unset
    unless ``keys`` (with ``key_schema``) and ``timestamps`` are given. Without those it is
    exactly what :meth:`SourceRecord.for_values` would build. ``values`` (and ``keys``) may
    be a :class:`~connectors.api.StructColumns`. ``SourceTask.poll`` may return one.
    """

    __slots__ = ("key_schema", "keys", "source_offsets", "source_partition", "timestamps",
                 "topic", "value_schema", "values")  # fmt: skip

    def __init__(
        self,
        topic: str,
        value_schema: Schema | None,
        values: Sequence[Any],
        source_partition: dict[str, Any],
        source_offsets: Sequence[dict[str, Any]],
        *,
        key_schema: Schema | None = None,
        keys: Sequence[Any] | None = None,
        timestamps: Sequence[int | None] | None = None,
    ) -> None:
        for name, column in (("source offsets", source_offsets), ("keys", keys),
                             ("timestamps", timestamps)):  # fmt: skip
            if column is not None and len(column) != len(values):
                msg = f"{len(values)} values but {len(column)} {name}."
                raise ValueError(msg)
        self.topic = topic
        self.value_schema = value_schema
        self.values = values
        self.source_partition = source_partition
        self.source_offsets = source_offsets
        self.key_schema = key_schema
        self.keys = keys
        self.timestamps = timestamps
        super().__init__()

    def _build(self) -> list[SourceRecord]:
        records = SourceRecord.for_values(
            self.topic, self.value_schema, self.values, self.source_partition,
            self.source_offsets,
        )  # fmt: skip
        if self.keys is not None:
            key_schema = self.key_schema
            for record, key in zip(records, self.keys, strict=True):
                record.key_schema = key_schema
                record.key = key
        if self.timestamps is not None:
            for record, stamp in zip(records, self.timestamps, strict=True):
                record.timestamp = stamp
        return records

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"SourceRecordBatch({self.topic!r}, {len(self)} records, {self.source_partition!r})"


class _Run:
    """One partition's records in a :class:`SinkRecordBatch`, as parallel columns."""

    __slots__ = ("key_schemas", "keys", "offsets", "partition", "timestamps", "topic",
                 "value_schemas", "values")  # fmt: skip

    def __init__(
        self,
        topic: str,
        partition: int,
        offsets: Sequence[int],
        timestamps: Sequence[int | None],
        keys: tuple[Sequence[Schema | None], Sequence[Any]],
        values: tuple[Sequence[Schema | None], Sequence[Any]],
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offsets = offsets
        self.timestamps = timestamps
        self.key_schemas, self.keys = keys
        self.value_schemas, self.values = values

    def records(self) -> list[SinkRecord]:
        """SinkRecords equal to the constructor's, without its keyword handling per record."""
        new = object.__new__
        topic, partition = self.topic, self.partition
        create_time = TimestampType.CREATE_TIME
        out: list[SinkRecord] = []
        append = out.append
        for offset, stamp, ks, k, vs, v in zip(
            self.offsets, self.timestamps, self.key_schemas, self.keys, self.value_schemas,
            self.values, strict=True,
        ):  # fmt: skip
            record = new(SinkRecord)
            record.topic = record.original_topic = topic
            record.kafka_partition = record.original_kafka_partition = partition
            record.key_schema = ks
            record.key = k
            record.value_schema = vs
            record.value = v
            record.timestamp = stamp
            record._headers = None
            record.kafka_offset = record.original_kafka_offset = offset
            record.timestamp_type = create_time
            append(record)
        return out


class SinkRecordBatch(_BuiltOnDemand[SinkRecord]):
    """Records the runtime read for ``SinkTask.put``, held as columns per partition.

    Every record is one without headers, with a create-time timestamp, read from its
    partition at its offset. ``values``/``keys`` (and their schemas) are the columns in
    put order; a sink that only needs them never causes a record object to be built.
    """

    __slots__ = ("_runs",)

    def __init__(self) -> None:
        super().__init__()
        self._runs: list[_Run] = []

    def add(
        self,
        topic: str,
        partition: int,
        offsets: Sequence[int],
        timestamps: Sequence[int | None],
        keys: tuple[Sequence[Schema | None], Sequence[Any]],
        values: tuple[Sequence[Schema | None], Sequence[Any]],
    ) -> None:
        """Append one partition's records: offsets, stamps, (schemas, keys), (schemas, values)."""
        if offsets:
            self._runs.append(_Run(topic, partition, offsets, timestamps, keys, values))
            self._built = None

    def _column(self, name: str) -> list[Any]:
        runs = self._runs
        if len(runs) == 1:
            column: list[Any] = getattr(runs[0], name)
            return column
        return [item for run in runs for item in getattr(run, name)]

    @property
    def values(self) -> list[Any]:
        """Every record's value, in order."""
        return self._column("values")

    @property
    def value_schemas(self) -> list[Schema | None]:
        return self._column("value_schemas")

    @property
    def keys(self) -> list[Any]:
        """Every record's key, in order."""
        return self._column("keys")

    @property
    def key_schemas(self) -> list[Schema | None]:
        return self._column("key_schemas")

    def _build(self) -> list[SinkRecord]:
        return [record for run in self._runs for record in run.records()]

    def __len__(self) -> int:
        return sum(map(len, (run.offsets for run in self._runs)))

    def __repr__(self) -> str:
        parts = [f"{r.topic}-{r.partition}: {len(r.offsets)}" for r in self._runs]
        return f"SinkRecordBatch({', '.join(parts)})"
