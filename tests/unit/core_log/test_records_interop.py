"""Interop with an independent implementation (kafka-python) and other producers' codec framings."""

from __future__ import annotations

import struct
import warnings

import cramjam
import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core_log.records import (
    BATCH_HEADER_SIZE,
    CompressionType,
    RecordBatch,
    build_batch,
    iter_batches,
)

with warnings.catch_warnings():  # kafka-python uses a deprecated importlib API on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka import codec as kafka_codec
    from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
    from kafka.record.memory_records import MemoryRecords

NOW = 1_700_000_000_000
Rec = tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], int]

_CHECKS = {
    CompressionType.NONE: lambda: True,
    CompressionType.GZIP: kafka_codec.has_gzip,
    CompressionType.SNAPPY: kafka_codec.has_snappy,
    CompressionType.LZ4: kafka_codec.has_lz4,
    CompressionType.ZSTD: kafka_codec.has_zstd,
}
KAFKA_PYTHON_CODECS = [codec for codec, available in _CHECKS.items() if available()]

records_strategy = st.lists(
    st.tuples(
        st.none() | st.binary(max_size=40),
        st.none() | st.binary(max_size=300),
        st.lists(st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=10)), max_size=3),
        st.integers(min_value=NOW - 10**7, max_value=NOW + 10**7),
    ),
    min_size=1,
    max_size=80,
)


def kafka_python_build(records: list[Rec], codec: CompressionType, **state: int) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=int(codec),
        is_transactional=state.get("is_transactional", 0),
        producer_id=state.get("producer_id", -1),
        producer_epoch=state.get("producer_epoch", -1),
        base_sequence=state.get("base_sequence", -1),
        batch_size=1 << 24,
    )
    for offset, (key, value, headers, ts) in enumerate(records):
        assert builder.append(offset, timestamp=ts, key=key, value=value, headers=headers)
    return bytes(builder.build())


def fields(batch: DefaultRecordBatch) -> list[tuple[object, ...]]:
    return [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in batch]


@pytest.mark.parametrize("codec", KAFKA_PYTHON_CODECS)
@settings(max_examples=60, deadline=None)
@given(records=records_strategy)
def test_kafka_python_batches_decode_in_core_log(
    codec: CompressionType, records: list[Rec]
) -> None:
    raw = kafka_python_build(records, codec)
    batch = RecordBatch(raw)
    batch.validate_crc()
    decoded = batch.records()
    assert [(r.offset, r.timestamp, r.key, r.value, list(r.headers)) for r in decoded] == [
        (i, ts, k, v, h) for i, (k, v, h, ts) in enumerate(records)
    ]
    assert batch.keys_values() == [(k, v) for k, v, _, _ in records]


@pytest.mark.parametrize("codec", KAFKA_PYTHON_CODECS)
@settings(max_examples=60, deadline=None)
@given(records=records_strategy, base_offset=st.integers(min_value=0, max_value=2**40))
def test_core_log_batches_decode_and_validate_in_kafka_python(
    codec: CompressionType, records: list[Rec], base_offset: int
) -> None:
    raw = build_batch(records, base_offset=base_offset, compression=codec)
    theirs = DefaultRecordBatch(memoryview(raw))
    assert theirs.validate_crc()
    assert theirs.base_offset == base_offset
    assert theirs.compression_type == int(codec)
    assert fields(theirs) == [
        (base_offset + i, ts, k, v, h) for i, (k, v, h, ts) in enumerate(records)
    ]


@given(records=records_strategy)
@settings(max_examples=60, deadline=None)
def test_uncompressed_batches_are_byte_identical_to_kafka_python(records: list[Rec]) -> None:
    ours = build_batch(records, partition_leader_epoch=0)  # kafka-python writes epoch 0
    assert ours == kafka_python_build(records, CompressionType.NONE)


def test_producer_state_and_transactional_flag_interop() -> None:
    records: list[Rec] = [(b"k", b"v", [], NOW), (None, b"w", [("a", b"b")], NOW + 1)]
    state = {"producer_id": 123456789, "producer_epoch": 3, "base_sequence": 17}
    theirs = kafka_python_build(records, CompressionType.NONE, is_transactional=1, **state)
    ours = build_batch(records, partition_leader_epoch=0, is_transactional=True, **state)
    assert ours == theirs
    batch = RecordBatch(theirs)
    assert (batch.producer_id, batch.producer_epoch, batch.base_sequence) == (123456789, 3, 17)
    assert batch.is_transactional


def test_memory_records_walks_our_log_segment() -> None:
    log = b"".join(
        build_batch(
            [(b"k%d" % i, b"v" * i, [], NOW + i) for i in range(n)],
            base_offset=base,
            compression=codec,
        )
        for base, n, codec in [(0, 3, CompressionType.NONE), (3, 5, CompressionType.GZIP)] * 3
    )
    memory = MemoryRecords(log)
    seen = []
    while memory.has_next():
        batch = memory.next_batch()
        assert batch.validate_crc()
        seen += [r.offset for r in batch]
    assert seen == [0, 1, 2, 3, 4, 5, 6, 7] * 3
    assert [b.base_offset for b in iter_batches(log)] == [0, 3] * 3


def test_core_log_walks_kafka_python_segment() -> None:
    records: list[Rec] = [(b"a", b"1", [], NOW), (b"b", b"2", [], NOW)]
    log = kafka_python_build(records, CompressionType.NONE) * 2
    assert [b.record_count for b in iter_batches(log)] == [2, 2]


def rewrap(raw: bytes, codec: int, payload: bytes) -> bytes:
    """Replace a batch's records section and codec, fixing length and CRC like a producer would."""
    head = bytearray(raw[:BATCH_HEADER_SIZE])
    struct.pack_into(">i", head, 8, BATCH_HEADER_SIZE - 12 + len(payload))
    (attributes,) = struct.unpack_from(">h", head, 21)
    struct.pack_into(">h", head, 21, (attributes & ~0x07) | codec)
    struct.pack_into(">I", head, 17, crc32c(bytes(head[21:]) + payload))
    return bytes(head) + payload


RECORDS: list[Rec] = [(b"k%d" % i, b"payload-%d" % i * 20, [], NOW + i) for i in range(500)]


def test_raw_snappy_from_librdkafka_style_producers_decodes() -> None:
    plain = build_batch(RECORDS)
    payload = bytes(cramjam.snappy.compress_raw(plain[BATCH_HEADER_SIZE:]))
    batch = RecordBatch(rewrap(plain, 2, payload))
    batch.validate_crc()
    assert batch.keys_values() == [(k, v) for k, v, _, _ in RECORDS]


def test_xerial_framed_snappy_from_java_style_producers_decodes() -> None:
    plain = build_batch(RECORDS)
    body = plain[BATCH_HEADER_SIZE:]
    framed = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    for start in range(0, len(body), 1000):  # deliberately not xerial's default block size
        block = bytes(cramjam.snappy.compress_raw(body[start : start + 1000]))
        framed += struct.pack(">i", len(block)) + block
    assert RecordBatch(rewrap(plain, 2, framed)).keys_values() == [(k, v) for k, v, _, _ in RECORDS]


def test_our_snappy_is_xerial_framed_like_the_java_client() -> None:
    raw = build_batch(RECORDS, compression=CompressionType.SNAPPY)
    assert raw[BATCH_HEADER_SIZE : BATCH_HEADER_SIZE + 16] == b"\x82SNAPPY\x00" + struct.pack(
        ">ii", 1, 1
    )


def test_our_lz4_is_a_frame_with_independent_blocks() -> None:
    raw = build_batch(RECORDS * 4, compression=CompressionType.LZ4)
    frame = raw[BATCH_HEADER_SIZE:]
    assert frame[:4] == b"\x04\x22\x4d\x18"  # LZ4 frame magic
    assert frame[4] & 0x20, "Kafka's LZ4 reader needs block-independent frames"


def test_lz4_frames_with_linked_blocks_and_checksums_decode() -> None:
    plain = build_batch(RECORDS * 4)
    frame = bytes(cramjam.lz4.compress(plain[BATCH_HEADER_SIZE:]))
    assert len(list(RecordBatch(rewrap(plain, 3, frame)))) == 2000


def test_zstd_and_gzip_payloads_from_other_encoders_decode() -> None:
    plain = build_batch(RECORDS)
    body = plain[BATCH_HEADER_SIZE:]
    gz = kafka_codec.gzip_encode(body)
    assert len(RecordBatch(rewrap(plain, 1, gz)).records()) == 500
    zs = bytes(cramjam.zstd.compress(body, level=19))
    assert len(RecordBatch(rewrap(plain, 4, zs)).records()) == 500


@settings(max_examples=80, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=300),
    key_len=st.integers(min_value=0, max_value=70),
    value_len=st.sampled_from([0, 1, 63, 64, 100, 8191, 8192, 20_000]),
    odd=st.none()
    | st.tuples(st.integers(min_value=0), st.sampled_from(["null", "header", "size"])),
    ts=st.none() | st.just(NOW),
)
def test_same_shape_batches_are_byte_identical_to_kafka_python(
    count: int, key_len: int, value_len: int, odd: tuple[int, str] | None, ts: int | None
) -> None:
    """Covers the uniform-batch encoder (and its fallbacks when one record differs)."""
    records: list[Rec] = [
        ((b"%070d" % i)[:key_len], bytes([i % 256]) * value_len, [], NOW) for i in range(count)
    ]
    if odd is not None:
        where, kind = odd[0] % count, odd[1]
        key, value, _, stamp = records[where]
        records[where] = {
            "null": (None, value, [], stamp),
            "header": (key, value, [("h", None)], stamp),
            "size": (key + b"!", value, [], stamp),
        }[kind]
    ours = build_batch(
        [(k, v, h, ts) for k, v, h, _ in records], partition_leader_epoch=0, now_ms=NOW
    )
    assert ours == kafka_python_build(records, CompressionType.NONE)


@settings(max_examples=80, deadline=None)
@given(
    shapes=st.lists(
        st.tuples(
            st.none() | st.binary(max_size=70),
            st.none() | st.binary(max_size=200),
            st.booleans(),  # with a header
            st.integers(min_value=-70, max_value=40_000),  # ms after the first record
        ),
        min_size=1,
        max_size=200,
    )
)
def test_per_record_timestamps_are_byte_identical_to_kafka_python(
    shapes: list[tuple[bytes | None, bytes | None, bool, int]],
) -> None:
    """Covers the timed encoder: deltas inside and beyond its tables, negative ones too."""
    records: list[Rec] = [
        (key, value, [("h", b"x")] if header else [], NOW + (delta if i else 0))
        for i, (key, value, header, delta) in enumerate(shapes)
    ]
    ours = build_batch(records, partition_leader_epoch=0)
    assert ours == kafka_python_build(records, CompressionType.NONE)
