"""Record batch v2: header fields, lazy decoding, walking, stamping, corrupt input."""

from __future__ import annotations

import struct

import pytest
from crc32c import crc32c

from hub.core_log.errors import CorruptRecordError
from hub.core_log.records import (
    BATCH_HEADER_SIZE,
    CompressionType,
    Record,
    RecordBatch,
    TimestampType,
    build_batch,
    iter_batches,
    stamp_base_offset,
    stamp_log_append_time,
)

NOW = 1_700_000_000_000


def simple(n: int, *, ts: int | None = None) -> list[tuple[bytes, bytes, tuple[()], int | None]]:
    return [(b"key-%d" % i, b"value-%d" % i, (), ts) for i in range(n)]


def test_header_fields_follow_kafka_layout() -> None:
    raw = build_batch(
        [(b"a", b"1", (), NOW), (b"b", b"2", (), NOW + 5), (b"c", b"3", (), NOW - 3)],
        base_offset=42,
        producer_id=7,
        producer_epoch=2,
        base_sequence=11,
        partition_leader_epoch=3,
        is_transactional=True,
    )
    batch = RecordBatch(raw)
    assert (batch.base_offset, batch.partition_leader_epoch, batch.magic) == (42, 3, 2)
    assert batch.size_in_bytes == len(raw) == batch.batch_length + 12
    assert (batch.record_count, batch.last_offset_delta) == (3, 2)
    assert (batch.last_offset, batch.next_offset) == (44, 45)
    assert (batch.first_timestamp, batch.max_timestamp) == (NOW, NOW + 5)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (7, 2, 11)
    assert batch.is_transactional and not batch.is_control
    assert batch.compression is CompressionType.NONE
    assert batch.timestamp_type is TimestampType.CREATE_TIME
    # The CRC field is CRC-32C of attributes..end, and bytes 0..20 are outside it.
    assert batch.crc == crc32c(raw[21:]) == struct.unpack_from(">I", raw, 17)[0]
    batch.validate_crc()


def test_records_decode_with_absolute_offsets_and_timestamps() -> None:
    raw = build_batch(
        [(b"k", b"v", [("h", b"x"), ("n", None)], NOW), (None, None, (), None)],
        base_offset=100,
        now_ms=NOW + 9,
    )
    records = RecordBatch(raw).records()
    assert records == [
        Record(100, NOW, b"k", b"v", (("h", b"x"), ("n", None))),
        Record(101, NOW + 9, None, None, ()),
    ]
    assert list(RecordBatch(raw)) == records
    assert RecordBatch(raw).keys_values() == [(b"k", b"v"), (None, None)]


def test_none_timestamp_means_now() -> None:
    batch = RecordBatch(build_batch(simple(3), now_ms=NOW))
    assert {r.timestamp for r in batch} == {NOW}
    assert batch.first_timestamp == batch.max_timestamp == NOW


def test_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="zero records"):
        build_batch([])


def test_construction_is_lazy_and_decoding_cached() -> None:
    raw = build_batch(simple(5), compression=CompressionType.GZIP, now_ms=NOW)
    batch = RecordBatch(raw)
    assert batch._payload is None  # nothing decompressed yet
    first = batch.records()
    assert batch._payload is not None
    assert batch.records() == first


@pytest.mark.parametrize("codec", list(CompressionType))
def test_every_codec_round_trips(codec: CompressionType) -> None:
    records = [(b"k%d" % i, b"v" * (i * 37 % 500), (), NOW + i) for i in range(300)]
    raw = build_batch(records, compression=codec, now_ms=NOW)
    batch = RecordBatch(raw)
    batch.validate_crc()
    assert batch.compression is codec
    assert batch.keys_values() == [(k, v) for k, v, _, _ in records]
    assert [r.timestamp for r in batch] == [ts for *_, ts in records]


def test_compression_actually_compresses() -> None:
    records = [(b"k", b"abc" * 100, (), NOW)] * 100
    plain = build_batch(records)
    for codec in (CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4):
        assert len(build_batch(records, compression=codec)) < len(plain) // 5


def test_log_append_time_build_reports_max_timestamp_for_every_record() -> None:
    raw = build_batch(simple(3, ts=5), timestamp_type=TimestampType.LOG_APPEND_TIME, now_ms=NOW)
    batch = RecordBatch(raw)
    assert batch.timestamp_type is TimestampType.LOG_APPEND_TIME
    assert [r.timestamp for r in batch] == [NOW] * 3


def test_stamp_base_offset_keeps_crc_valid() -> None:
    raw = bytearray(build_batch(simple(4), base_offset=0, now_ms=NOW))
    crc_before = RecordBatch(raw).crc
    stamp_base_offset(raw, 1_234_567)
    batch = RecordBatch(raw)
    batch.validate_crc()
    assert batch.crc == crc_before
    assert [r.offset for r in batch] == [1_234_567 + i for i in range(4)]


def test_stamp_base_offset_through_memoryview_of_larger_buffer() -> None:
    one = build_batch(simple(2), now_ms=NOW)
    buf = bytearray(one + one)
    stamp_base_offset(memoryview(buf)[len(one) :], 2)
    assert [b.base_offset for b in iter_batches(buf)] == [0, 2]


def test_stamp_log_append_time_recomputes_crc() -> None:
    raw = bytearray(build_batch(simple(3, ts=NOW), now_ms=NOW))
    stamp_log_append_time(raw, NOW + 1000)
    batch = RecordBatch(raw)
    batch.validate_crc()
    assert batch.timestamp_type is TimestampType.LOG_APPEND_TIME
    assert batch.max_timestamp == NOW + 1000
    assert [r.timestamp for r in batch] == [NOW + 1000] * 3


def test_iter_batches_walks_back_to_back_and_from_position() -> None:
    a = build_batch(simple(2), base_offset=0, now_ms=NOW)
    b = build_batch(simple(3), base_offset=2, compression=CompressionType.ZSTD, now_ms=NOW)
    c = build_batch(simple(1), base_offset=5, now_ms=NOW)
    log = a + b + c
    assert [(x.base_offset, x.record_count) for x in iter_batches(log)] == [(0, 2), (2, 3), (5, 1)]
    assert [x.base_offset for x in iter_batches(log, len(a))] == [2, 5]
    assert [x.base_offset for x in iter_batches(memoryview(log))] == [0, 2, 5]
    assert list(iter_batches(b"")) == []


@pytest.mark.parametrize("cut", [1, 11, 12, 16, 17, 60, 61, 62])
def test_walker_stops_silently_at_incomplete_tail(cut: int) -> None:
    a = build_batch(simple(2), now_ms=NOW)
    b = build_batch(simple(5), base_offset=2, now_ms=NOW)
    torn = a + b[: len(b) - cut] if cut < len(b) else a
    assert [x.base_offset for x in iter_batches(torn)] == [0]


def test_walker_stops_at_tail_shorter_than_length_field() -> None:
    a = build_batch(simple(2), now_ms=NOW)
    for extra in range(12):
        assert len(list(iter_batches(a + b"\x00" * extra))) == 1


def test_walker_rejects_bad_magic_with_position() -> None:
    a = build_batch(simple(2), now_ms=NOW)
    b = bytearray(build_batch(simple(2), base_offset=2, now_ms=NOW))
    b[16] = 1
    walker = iter_batches(a + bytes(b))
    assert next(walker).base_offset == 0
    with pytest.raises(CorruptRecordError, match=f"byte {len(a)} .*magic 1"):
        next(walker)


def test_walker_rejects_impossible_length_with_position() -> None:
    a = build_batch(simple(2), now_ms=NOW)
    for length in (-1, 0, 48):
        garbage = struct.pack(">qi", 9, length) + b"\x00" * 60
        with pytest.raises(CorruptRecordError, match=f"byte {len(a)} .*impossible length"):
            list(iter_batches(a + garbage))


def test_walker_rejects_garbage() -> None:
    with pytest.raises(CorruptRecordError):
        list(iter_batches(b"\xff" * 100))


def test_flipped_byte_fails_crc_naming_the_offset() -> None:
    raw = build_batch(simple(10), base_offset=77, now_ms=NOW)
    for position in (21, 30, BATCH_HEADER_SIZE, len(raw) // 2, len(raw) - 1):
        damaged = bytearray(raw)
        damaged[position] ^= 0x01
        with pytest.raises(CorruptRecordError, match=r"CRC mismatch .*offset 77") as info:
            RecordBatch(damaged).validate_crc()
        assert info.value.error_code == 2


def test_flipped_byte_outside_crc_still_validates() -> None:
    damaged = bytearray(build_batch(simple(3), now_ms=NOW))
    damaged[13] ^= 0xFF  # partition leader epoch: outside the CRC by design
    RecordBatch(damaged).validate_crc()


def test_record_batch_rejects_short_or_foreign_data() -> None:
    raw = build_batch(simple(3), now_ms=NOW)
    with pytest.raises(CorruptRecordError, match="truncated"):
        RecordBatch(raw[:40])
    with pytest.raises(CorruptRecordError, match="claims"):
        RecordBatch(raw[:-1])
    legacy = bytearray(raw)
    legacy[16] = 0
    with pytest.raises(CorruptRecordError, match="magic 0"):
        RecordBatch(legacy)


def test_record_batch_over_longer_buffer_uses_only_its_bytes() -> None:
    raw = build_batch(simple(3), now_ms=NOW)
    batch = RecordBatch(raw + b"trailing garbage")
    assert len(batch.buffer) == len(raw)
    batch.validate_crc()
    assert len(batch.records()) == 3


def test_malformed_records_inside_valid_header_raise_corrupt() -> None:
    raw = bytearray(build_batch(simple(3), now_ms=NOW))
    struct.pack_into(">i", raw, 57, 4)  # claims one record more than present
    with pytest.raises(CorruptRecordError, match="malformed records"):
        RecordBatch(raw).records()
    with pytest.raises(CorruptRecordError, match="malformed records"):
        RecordBatch(raw).keys_values()
    struct.pack_into(">i", raw, 57, 2)  # one record fewer: bytes left over
    with pytest.raises(CorruptRecordError, match="bytes left"):
        RecordBatch(raw).records()
    with pytest.raises(CorruptRecordError, match="bytes left"):
        RecordBatch(raw).keys_values()


def test_damaged_record_length_is_reported_not_misread() -> None:
    raw = bytearray(build_batch(simple(40), now_ms=NOW))
    raw[BATCH_HEADER_SIZE] = 0x7F  # first record's length varint now says -64
    with pytest.raises(CorruptRecordError):
        RecordBatch(raw).keys_values()
    with pytest.raises(CorruptRecordError):
        RecordBatch(raw).records()


def test_corrupt_compressed_payload_raises_corrupt() -> None:
    for codec in (CompressionType.GZIP, CompressionType.LZ4, CompressionType.ZSTD):
        raw = bytearray(build_batch(simple(50), compression=codec, now_ms=NOW))
        raw[BATCH_HEADER_SIZE + 2 : BATCH_HEADER_SIZE + 12] = b"\xaa" * 10
        with pytest.raises(CorruptRecordError, match="corrupt"):
            RecordBatch(raw).records()


def test_unknown_codec_id_raises_corrupt() -> None:
    raw = bytearray(build_batch(simple(2), now_ms=NOW))
    raw[22] |= 0x07
    with pytest.raises(CorruptRecordError, match="codec id 7"):
        RecordBatch(raw).records()


def test_compression_type_from_name() -> None:
    assert CompressionType.from_name("zstd") is CompressionType.ZSTD
    assert CompressionType.from_name("LZ4") is CompressionType.LZ4
    assert CompressionType.from_name("producer") is CompressionType.NONE
    with pytest.raises(ValueError, match="use one of: producer, none, gzip"):
        CompressionType.from_name("brotli")


def test_large_values_and_many_records_take_the_general_path() -> None:
    records = [(b"k", b"x" * 70_000, (), NOW), (b"", b"", (), NOW)]
    batch = RecordBatch(build_batch(records, now_ms=NOW))
    assert batch.keys_values() == [(b"k", b"x" * 70_000), (b"", b"")]
    many = [(None, b"v", (), NOW)] * 40_000
    batch = RecordBatch(build_batch(many, now_ms=NOW))
    assert [r.offset for r in batch][-1] == 39_999
    assert len(batch.keys_values()) == 40_000


def test_headers_with_unicode_names() -> None:
    records = [(b"k", b"v", [("ключ", b"\x00\xff"), ("", b"")], NOW)]
    (record,) = RecordBatch(build_batch(records)).records()
    assert record.headers == (("ключ", b"\x00\xff"), ("", b""))


def test_record_is_frozen_and_comparable() -> None:
    (record,) = RecordBatch(build_batch([(b"k", b"v", (), NOW)])).records()
    assert record == Record(0, NOW, b"k", b"v")
    assert hash(record) == hash(Record(0, NOW, b"k", b"v"))
    with pytest.raises(AttributeError):
        record.key = b"x"  # type: ignore[misc]


def test_wrong_record_types_get_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"key: bytes \| None"):
        build_batch([("text key", b"v", (), None)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="cannot encode records"):
        build_batch([(b"k", b"v", [(b"bytes-name", b"x")], None)])  # type: ignore[list-item]


def test_stamp_log_append_time_inside_a_larger_buffer() -> None:
    one = build_batch(simple(2, ts=NOW), now_ms=NOW)
    buf = bytearray(one + one)
    stamp_log_append_time(memoryview(buf)[: len(one)], NOW + 1)
    first, second = iter_batches(buf)
    first.validate_crc()
    second.validate_crc()
    assert (first.max_timestamp, second.max_timestamp) == (NOW + 1, NOW)
