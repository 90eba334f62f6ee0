r"""Kafka record batches (magic 2): building, lazy reading, walking, stamping.

Layout of one batch (all big-endian), byte-compatible with Kafka::

    0  baseOffset int64        \\ outside the CRC: the log stamps the offset
    8  batchLength int32        | and leader epoch without recomputing it
    12 partitionLeaderEpoch int32 /
    16 magic int8 (= 2)
    17 crc uint32   CRC-32C of everything from attributes to the end
    21 attributes int16   bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
    23 lastOffsetDelta int32, 27 firstTimestamp int64, 35 maxTimestamp int64,
    43 producerId int64, 51 producerEpoch int16, 53 baseSequence int32,
    57 recordCount int32, 61 records (compressed as one block if a codec is set)

Each record is ``length, attributes(int8), timestampDelta, offsetDelta,
keyLength, key, valueLength, value, headerCount, headers`` where every
integer but the attributes is a zigzag varint (see :mod:`.varint`).

Speed matters here (the log's produce and consume rates are bounded by this
module), so the hot loops avoid per-byte Python work: varints are table
lookups, records are assembled from column slices (joined once, or handed to
``pwritev`` as separate buffers by :func:`build_batch_parts`) and decoded by slicing.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator, Sequence
from enum import IntEnum
from itertools import repeat
from typing import NamedTuple

from crc32c import crc32c

from hub.core_log._record_codec import encode_columns, encode_records
from hub.core_log._record_decode import Headers, decode_columns, decode_keys_values
from hub.core_log.compression import CompressionType, compress, decompress
from hub.core_log.errors import CorruptRecordError
from hub.core_log.partitioner import murmur2, partition_for_key

__all__ = [
    "BATCH_HEADER_SIZE",
    "CompressionType",
    "CorruptRecordError",
    "Record",
    "RecordBatch",
    "RecordColumns",
    "TimestampType",
    "build_batch",
    "build_batch_parts",
    "iter_batches",
    "murmur2",
    "partition_for_key",
    "stamp_base_offset",
    "stamp_log_append_time",
]


class TimestampType(IntEnum):
    """Bit 3 of the batch attributes: who set the timestamps."""

    CREATE_TIME = 0
    LOG_APPEND_TIME = 1


class Record(NamedTuple):
    """One decoded record; ``offset`` is absolute (base offset + delta).

    Immutable, hashable and compared by value like the frozen dataclass it
    replaced, but a tuple: a batch's records are made from its decoded
    columns by one C-level ``map`` (~0.1 us each instead of ~0.3 us).
    """

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


_NEW_TUPLE = tuple.__new__
BATCH_HEADER_SIZE = 61
MAGIC = 2
_LOG_OVERHEAD = 12  # baseOffset + batchLength precede what batchLength counts
_CRC_START = 21
_MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - _LOG_OVERHEAD
_HEADER = struct.Struct(">qiibIhiqqqhii")
_PREFIX = struct.Struct(">qiibI")  # up to and including the CRC
_TAIL = struct.Struct(">hiqqqhii")  # attributes .. recordCount (first bytes under the CRC)
_INT64 = struct.Struct(">q")
_OFFSET_LENGTH = struct.Struct(">qi")
_UINT32 = struct.Struct(">I")
#: crc32c's gil_release_mode: never release the GIL.  A batch's CRC takes
#: microseconds; releasing the GIL for it (the default above 32 KiB) lets a busy
#: thread take over, and getting the GIL back can cost far more than the CRC
#: (measured: 1.3-4x fewer CRCs/s next to a CPU-bound thread).
_KEEP_GIL = 0
#: Gathered batches stay under the kernel's IOV_MAX (1024) per pwritev; smaller
#: average pieces are joined instead (a copy of a few hundred bytes is cheaper
#: than an iovec and a crc32c call).
_GATHER_MAX_PIECES = 1000
_GATHER_MIN_PIECE_BYTES = 512

_CODEC_MASK = 0x07
_TIMESTAMP_TYPE_BIT = 0x08
_TRANSACTIONAL_BIT = 0x10
_CONTROL_BIT = 0x20

RecordTuple = tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes | None]], int | None]


class RecordBatch:
    """A lazy view over one batch's bytes.

    Construction parses only the 61-byte header; records are decompressed
    and decoded when first asked for, and the decoded bytes are cached so a
    second iteration does not decompress again.
    """

    __slots__ = (
        "_buf",
        "_payload",
        "attributes",
        "base_offset",
        "base_sequence",
        "batch_length",
        "crc",
        "first_timestamp",
        "last_offset_delta",
        "magic",
        "max_timestamp",
        "partition_leader_epoch",
        "producer_epoch",
        "producer_id",
        "record_count",
    )
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    first_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        """Parse the header of the batch at the start of ``data``.

        Raises:
            CorruptRecordError: ``data`` is shorter than the header or than the
                length the batch claims, or the magic byte is not 2.
        """
        if len(data) < BATCH_HEADER_SIZE:
            msg = (
                f"record batch has {len(data)} bytes, fewer than the {BATCH_HEADER_SIZE}-byte "
                "header; the data is truncated"
            )
            raise CorruptRecordError(msg)
        (
            self.base_offset,
            self.batch_length,
            self.partition_leader_epoch,
            self.magic,
            self.crc,
            self.attributes,
            self.last_offset_delta,
            self.first_timestamp,
            self.max_timestamp,
            self.producer_id,
            self.producer_epoch,
            self.base_sequence,
            self.record_count,
        ) = _HEADER.unpack_from(data, 0)
        _check_header(self.magic, self.batch_length, self.record_count, self.base_offset, 0)
        size = self.batch_length + _LOG_OVERHEAD
        if len(data) < size:
            msg = (
                f"record batch at offset {self.base_offset} claims {size} bytes but only "
                f"{len(data)} are present; the data is truncated"
            )
            raise CorruptRecordError(msg)
        self._buf = data if len(data) == size else memoryview(data)[:size]
        self._payload: bytes | None = None

    def __repr__(self) -> str:
        return (
            f"RecordBatch(base_offset={self.base_offset}, records={self.record_count}, "
            f"bytes={self.size_in_bytes}, compression={self.compression.name})"
        )

    @property
    def size_in_bytes(self) -> int:
        return self.batch_length + _LOG_OVERHEAD

    @property
    def compression(self) -> CompressionType:
        codec = self.attributes & _CODEC_MASK
        try:
            return CompressionType(codec)
        except ValueError:
            msg = f"batch at offset {self.base_offset} uses unknown codec id {codec}; it is corrupt"
            raise CorruptRecordError(msg) from None

    @property
    def timestamp_type(self) -> TimestampType:
        return TimestampType(1 if self.attributes & _TIMESTAMP_TYPE_BIT else 0)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & _TRANSACTIONAL_BIT)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & _CONTROL_BIT)

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def buffer(self) -> bytes | bytearray | memoryview:
        """The batch's own bytes (exactly ``size_in_bytes`` long), not copied."""
        return self._buf

    def validate_crc(self) -> None:
        """Check the stored CRC-32C against the bytes from attributes to the end.

        Raises:
            CorruptRecordError: the checksum differs (names the batch's offset).
        """
        actual = crc32c(memoryview(self._buf)[_CRC_START:], 0, _KEEP_GIL)
        if actual != self.crc:
            msg = (
                f"CRC mismatch in record batch at offset {self.base_offset} "
                f"(stored {self.crc:#010x}, computed {actual:#010x}); the batch is corrupt — "
                "restore it from a replica or truncate the log before it"
            )
            raise CorruptRecordError(msg)

    def _records_bytes(self) -> bytes:
        if self._payload is None:
            section = memoryview(self._buf)[BATCH_HEADER_SIZE:]
            self._payload = decompress(self.compression, section)
        return self._payload

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def records(self) -> list[Record]:
        """Decode every record (decompressing on first use)."""
        columns = self.columns()
        return list(map(_NEW_TUPLE, repeat(Record, len(columns[0])), zip(*columns, strict=True)))

    def columns(
        self,
    ) -> tuple[list[int], list[int], list[bytes | None], list[bytes | None], list[Headers]]:
        """Decode every record as parallel lists: offsets, timestamps, keys, values, headers.

        For consumers that walk fields rather than records (a sink converting
        keys and values, say): it skips building one object per record.
        """
        cols = decode_columns(self._records_bytes(), self.record_count, self.base_offset)
        count = len(cols.keys)
        offsets = list(map(self.base_offset.__add__, cols.offset_deltas))
        if self.attributes & _TIMESTAMP_TYPE_BIT:
            stamps = [self.max_timestamp] * count
        elif cols.ts_deltas.count(0) == count:  # the common case: one timestamp per batch
            stamps = [self.first_timestamp] * count
        else:
            stamps = list(map(self.first_timestamp.__add__, cols.ts_deltas))
        return offsets, stamps, cols.keys, cols.values, cols.headers

    def keys_values(self) -> list[tuple[bytes | None, bytes | None]]:
        """Decode only keys and values: the consumer fast path."""
        return decode_keys_values(self._records_bytes(), self.record_count, self.base_offset)


def _check_header(magic: int, length: int, count: int, base_offset: int, position: int) -> None:
    if length < _MIN_BATCH_LENGTH:
        msg = (
            f"record batch at byte {position} (offset {base_offset}) has impossible length "
            f"{length} (minimum {_MIN_BATCH_LENGTH}); the data is corrupt"
        )
        raise CorruptRecordError(msg)
    if magic != MAGIC:
        msg = (
            f"record batch at byte {position} (offset {base_offset}) has magic {magic}; "
            f"only magic {MAGIC} (Kafka >= 0.11 record batches) is supported — the data "
            "is corrupt or was written by a pre-0.11 client"
        )
        raise CorruptRecordError(msg)
    if count < 0:
        msg = (
            f"record batch at byte {position} (offset {base_offset}) has negative record "
            f"count {count}; the data is corrupt"
        )
        raise CorruptRecordError(msg)


def iter_batches(buf: bytes | bytearray | memoryview, position: int = 0) -> Iterator[RecordBatch]:
    """Walk back-to-back batches starting at ``position``.

    Stops silently at an incomplete tail (a torn write: fewer bytes than the
    next batch claims), so a reader never serves half a batch.  Batches are
    zero-copy views: while any of them is alive a ``bytearray`` ``buf``
    cannot be resized (Python raises ``BufferError``), so copy or drop them
    before truncating the buffer.

    Raises:
        CorruptRecordError: a header is impossible (wrong magic, length below
            the header size); the message names the byte position.
    """
    view = memoryview(buf)
    end = len(view)
    while position + _LOG_OVERHEAD <= end:
        base_offset, length = _OFFSET_LENGTH.unpack_from(view, position)
        magic = view[position + 16] if position + 17 <= end else MAGIC
        _check_header(magic, length, 0, base_offset, position)
        size = length + _LOG_OVERHEAD
        if position + size > end:
            return
        yield RecordBatch(view[position : position + size])
        position += size


def build_batch(
    records: Sequence[RecordTuple],
    *,
    base_offset: int = 0,
    compression: CompressionType = CompressionType.NONE,
    timestamp_type: TimestampType = TimestampType.CREATE_TIME,
    now_ms: int | None = None,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    partition_leader_epoch: int = -1,
    is_transactional: bool = False,
) -> bytes:
    """Encode ``(key, value, headers, timestamp_ms | None)`` tuples as one v2 batch.

    Offset deltas are 0..n-1; a ``None`` timestamp means ``now_ms`` (or the
    clock).  The CRC is computed last, over the final (compressed) bytes.

    Raises:
        ValueError: ``records`` is empty (Kafka has no empty data batches).
        TypeError: a record is not a ``(key, value, headers, timestamp)`` tuple of
            the right types.
    """
    return b"".join(
        build_batch_parts(
            records,
            base_offset=base_offset,
            compression=compression,
            timestamp_type=timestamp_type,
            now_ms=now_ms,
            producer_id=producer_id,
            producer_epoch=producer_epoch,
            base_sequence=base_sequence,
            partition_leader_epoch=partition_leader_epoch,
            is_transactional=is_transactional,
        )
    )


class RecordColumns(NamedTuple):
    """Records as parallel columns, for :func:`build_batch_parts` without per-record tuples.

    ``headers=None``: no record has headers; ``timestamps=None``: all are "now".
    Every column given must have one entry per key.
    """

    keys: Sequence[bytes | None]
    values: Sequence[bytes | None]
    headers: Sequence[Sequence[tuple[str, bytes | None]]] | None = None
    timestamps: Sequence[int | None] | None = None

    def select(self, idxs: list[int]) -> RecordColumns:
        """The records at ``idxs`` (one partition's share of an append), column by column."""
        keys, values, headers, stamps = self
        return RecordColumns(
            list(map(keys.__getitem__, idxs)),
            list(map(values.__getitem__, idxs)),
            None if headers is None else list(map(headers.__getitem__, idxs)),
            None if stamps is None else list(map(stamps.__getitem__, idxs)),
        )


def build_batch_parts(
    records: Sequence[RecordTuple] | RecordColumns,
    *,
    base_offset: int = 0,
    compression: CompressionType = CompressionType.NONE,
    timestamp_type: TimestampType = TimestampType.CREATE_TIME,
    now_ms: int | None = None,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    partition_leader_epoch: int = -1,
    is_transactional: bool = False,
) -> list[bytes]:
    """Like :func:`build_batch`, but the batch as buffers for a gathering write.

    ``parts[0]`` is the whole 61-byte header (base offset first); the rest
    concatenate to the records.  Joining the batch would copy every byte once
    more; the log hands the parts to ``pwritev`` instead.  Batches of big
    records (uncompressed) keep every key and value as its own part, so they
    are not copied at all; small records are joined into one part, which is
    cheaper than hundreds of tiny iovecs.  ``records`` may also be
    :class:`RecordColumns` (what the log's produce path passes: it never
    builds a tuple per record).

    Raises:
        ValueError: ``records`` is empty (Kafka has no empty data batches), or
            its columns differ in length.
        TypeError: a record is not a ``(key, value, headers, timestamp)`` tuple of
            the right types.
    """
    columns = records if isinstance(records, RecordColumns) else None
    count = len(records) if columns is None else _column_count(columns)
    if count == 0:
        msg = "cannot build a record batch from zero records; pass at least one"
        raise ValueError(msg)
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    try:
        if columns is None:
            pieces, first_ts, max_ts = encode_records(records, now_ms)
        else:
            pieces, first_ts, max_ts = encode_columns(*columns, now_ms)
        if compression == CompressionType.NONE and _worth_gathering(pieces):
            body = pieces
        else:  # joining also proves every piece is bytes-like
            body = [compress(compression, b"".join(pieces))]
    except (TypeError, AttributeError, ValueError) as exc:
        msg = (
            f"cannot encode records ({exc}); each record must be a tuple (key: bytes | None, "
            "value: bytes | None, headers: [(name: str, value: bytes | None)], timestamp_ms: "
            "int | None)"
        )
        raise TypeError(msg) from exc
    if timestamp_type == TimestampType.LOG_APPEND_TIME:
        max_ts = now_ms
    attributes = int(compression) | (
        _TIMESTAMP_TYPE_BIT if timestamp_type == TimestampType.LOG_APPEND_TIME else 0
    )
    if is_transactional:
        attributes |= _TRANSACTIONAL_BIT
    tail = _TAIL.pack(
        attributes,
        count - 1,
        first_ts,
        max_ts,
        producer_id,
        producer_epoch,
        base_sequence,
        count,
    )
    crc = crc32c(tail, 0, _KEEP_GIL)
    size = 0
    for part in body:
        crc = crc32c(part, crc, _KEEP_GIL)
        size += len(part)
    length = BATCH_HEADER_SIZE - _LOG_OVERHEAD + size
    body.insert(0, _PREFIX.pack(base_offset, length, partition_leader_epoch, MAGIC, crc) + tail)
    return body


def _column_count(columns: RecordColumns) -> int:
    count = len(columns.keys)
    lengths = {len(c) for c in columns if c is not None}
    if lengths != {count}:
        msg = f"record columns differ in length ({sorted(lengths)}); give one entry per record"
        raise ValueError(msg)
    return count


def _worth_gathering(pieces: list[bytes]) -> bool:
    """Whether writing ``pieces`` as iovecs beats joining them (few and big on average).

    Only plain ``bytes`` qualify: anything else is left to ``b"".join``, which
    accepts other buffers and rejects wrong types with the usual error.
    """
    return (
        len(pieces) <= _GATHER_MAX_PIECES
        and set(map(type, pieces)) == {bytes}
        and sum(map(len, pieces)) >= _GATHER_MIN_PIECE_BYTES * len(pieces)
    )


def stamp_base_offset(batch: bytearray | memoryview, base_offset: int) -> None:
    """Overwrite the base offset in place; it is outside the CRC, so nothing else changes."""
    _INT64.pack_into(batch, 0, base_offset)


def stamp_log_append_time(batch: bytearray | memoryview, ts: int) -> None:
    """Mark the batch LOG_APPEND_TIME with max timestamp ``ts`` and recompute its CRC.

    Kafka brokers do this when a topic has ``message.timestamp.type=LogAppendTime``:
    readers then report ``ts`` as every record's timestamp.
    """
    view = memoryview(batch)
    (length,) = struct.unpack_from(">i", view, 8)
    (attributes,) = struct.unpack_from(">h", view, 21)
    struct.pack_into(">h", view, 21, attributes | _TIMESTAMP_TYPE_BIT)
    _INT64.pack_into(view, 35, ts)
    _UINT32.pack_into(view, 17, crc32c(view[_CRC_START : _LOG_OVERHEAD + length], 0, _KEEP_GIL))
