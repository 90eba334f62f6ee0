"""Consecutive streamed changes of one table, handed on as one columnar batch.

Why: most of a stream is inserts and updates of a few tables, each needing only its new
tuple. Read as row tuples (``stream_codegen.compile_row_reader``) and collected here, a run
of them becomes one :class:`~connectors.api.SourceRecordBatch`: the row values transposed
into columns once, the envelope's fields held as columns (or once, as a
:class:`~connectors.api.Repeat`, when the whole run shares them, as a run inside one
transaction shares its commit time and id), and the source offsets as an
:class:`~connectors.api.OffsetColumns`. A converter that understands columns then never
builds a Struct; any other code sees exactly the records the record-by-record path makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from connectors.api import OffsetColumns, Repeat, SourceRecord, SourceRecordBatch, StructColumns
from connectors.sources.postgres_cdc.envelope import SOURCE_SCHEMA, TableShape, source_block
from connectors.sources.postgres_cdc.stream_codegen import RowReader, compile_row_reader

if TYPE_CHECKING:
    from connectors.sources.postgres_cdc.stream import StreamSettings, _Tx


class RowReaders(dict[int, RowReader]):
    """Each captured table's compiled row reader, by relation id, with its shape."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: dict[int, TableShape] = {}

    def learn(self, relid: int, shape: TableShape) -> None:
        """Compile the reader of a table whose Relation message arrived."""
        self[relid] = compile_row_reader(shape)
        self.shapes[relid] = shape

    def forget(self, relid: int) -> None:
        self.pop(relid, None)
        self.shapes.pop(relid, None)


_ENTRY, _FINAL_LSN, _XID, _TS_US = map(attrgetter, ("entry", "final_lsn", "xid", "ts_us"))


class StreamOffsets(OffsetColumns):
    """A run's source offsets, and the tracker entries its events were counted in.

    ``entries`` holds one entry per event, or one counted ``each`` times: the task hands
    them back to :meth:`~.stream.DurabilityTracker.acked_entries` when the batch is written.
    """

    __slots__ = ("each", "entries")

    def __init__(self, columns: dict[str, Sequence[Any]]) -> None:
        super().__init__({}, columns)
        self.entries: list[list[Any]] = []
        self.each = 1


def _column(values: Any) -> Any:
    """``values``, or one :class:`Repeat` when they are all the same object."""
    first = values[0]
    return Repeat(first) if values.count(first) == len(values) else values


class ChangeRun:
    """Inserts and updates (new tuple only) of one table, in stream order."""

    __slots__ = ("append", "items", "relid", "shape")

    def __init__(self, relid: int, shape: TableShape) -> None:
        self.relid = relid
        self.shape = shape
        #: (row tuple from the table's row reader, transaction, event index, op) per event
        self.items: list[tuple[tuple[Any, ...], _Tx, int, str]] = []
        self.append = self.items.append

    def batch(self, settings: StreamSettings, now_us: int) -> SourceRecordBatch:
        """The run's events as one batch (the same records ``_fast`` would build)."""
        shape = self.shape
        rows, txs, indexes, ops = zip(*self.items, strict=True)
        n = len(rows)
        lsns, *values = zip(*rows, strict=True)
        if txs[0] is txs[-1]:  # one transaction (they never interleave in the stream)
            tx = txs[0]
            finals: Any = Repeat(tx.final_lsn)
            xids: Any = Repeat(tx.xid)
            stamps: Any = Repeat(tx.ts_us)
        else:
            finals = list(map(_FINAL_LSN, txs))
            xids = list(map(_XID, txs))
            stamps = list(map(_TS_US, txs))
        source = source_block(settings.prefix, settings.db, shape.schema, shape.table, 0)._values
        columns: dict[str, Any] = {name: Repeat(v) for name, v in source.items()}
        if type(stamps) is Repeat:
            ts_us = stamps.value
            columns.update(ts_ms=Repeat(ts_us // 1000), ts_us=stamps,
                           ts_ns=Repeat(ts_us * 1000))  # fmt: skip
            timestamps = [ts_us // 1000] * n
            columns["sequence"] = _sequences(finals, lsns)
        else:
            timestamps = [t // 1000 for t in stamps]
            columns.update(ts_ms=timestamps, ts_us=stamps, ts_ns=[t * 1000 for t in stamps])
            columns["sequence"] = _sequences(finals, lsns)
        columns["txId"], columns["lsn"] = xids, lsns
        kept = [shape.names[i] for i in shape.kept]
        after = StructColumns(shape.value_schema, dict(zip(kept, values, strict=True)), n)
        envelope = StructColumns(
            shape.envelope_schema,
            {"before": Repeat(None), "after": after,
             "source": StructColumns(SOURCE_SCHEMA, columns, n), "transaction": Repeat(None),
             "op": _column(ops), "ts_ms": Repeat(now_us // 1000), "ts_us": Repeat(now_us),
             "ts_ns": Repeat(now_us * 1000)},
            n,
        )  # fmt: skip
        keys = None
        if shape.key_schema is not None:
            key_columns = {k: after.columns[k] for k in shape.key_names}
            keys = StructColumns(shape.key_schema, key_columns, n)
        offsets = StreamOffsets({
            "lsn": lsns, "lsn_proc": lsns, "lsn_commit": _expand(finals, n),
            "txId": _expand(xids, n), "ts_usec": _expand(stamps, n), "events": indexes,
        })  # fmt: skip
        if type(finals) is Repeat:
            offsets.entries, offsets.each = [txs[0].entry], n
        else:
            offsets.entries = list(map(_ENTRY, txs))
        return SourceRecordBatch(
            shape.topic, shape.envelope_schema, envelope, settings.partition, offsets,
            key_schema=shape.key_schema, keys=keys, timestamps=timestamps,
        )  # fmt: skip


def _sequences(finals: Any, lsns: Sequence[int]) -> list[str]:
    """Debezium's ``sequence`` (``'["<commit LSN>","<LSN>"]'``) of each event.

    ``finals`` is the commit LSN of each event, or one :class:`Repeat`. One ``%`` over the
    whole run, split at its newlines: a third cheaper than one format per event.
    """
    n = len(lsns)
    if type(finals) is Repeat:
        return (f'["{int(finals.value)}","%d"]\n' * n % tuple(lsns)).split("\n")[:n]
    pairs: list[int] = [0] * (2 * n)
    pairs[0::2], pairs[1::2] = finals, lsns
    return ('["%d","%d"]\n' * n % tuple(pairs)).split("\n")[:n]


def _expand(column: Any, n: int) -> Any:
    """A column's values as a sequence (a Repeat's value ``n`` times)."""
    return [column.value] * n if type(column) is Repeat else column


def merge_pieces(pieces: list[Sequence[SourceRecord]]) -> list[Sequence[SourceRecord]]:
    """The non-empty pieces, in order, with adjacent record lists joined into one."""
    out: list[Sequence[SourceRecord]] = []
    for piece in pieces:
        if not piece:
            continue
        if type(piece) is list and out and type(out[-1]) is list:
            out[-1] = out[-1] + piece
        else:
            out.append(piece)
    return out


def last_offset(pieces: list[Sequence[SourceRecord]]) -> dict[str, Any]:
    """The source offset of the last record in ``pieces`` ({} when there is none)."""
    for piece in reversed(pieces):
        if type(piece) is SourceRecordBatch:
            return piece.source_offsets[-1] if len(piece) else {}
        if piece:
            return piece[-1].source_offset or {}
    return {}


__all__ = ["ChangeRun", "RowReaders", "StreamOffsets", "last_offset", "merge_pieces"]
