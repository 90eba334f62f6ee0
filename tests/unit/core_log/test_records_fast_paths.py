"""The encoder's fast paths for null keys/values and the gathered (unjoined) batch form.

Every case is checked byte for byte against kafka-python's builder, an
independent implementation, so a wrong length or a misplaced null marker in a
fast path cannot pass.
"""

from __future__ import annotations

import warnings

import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core_log.records import (
    BATCH_HEADER_SIZE,
    CompressionType,
    Record,
    RecordBatch,
    RecordColumns,
    build_batch,
    build_batch_parts,
)

with warnings.catch_warnings():  # kafka-python uses a deprecated importlib API on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.record.default_records import DefaultRecordBatchBuilder

NOW = 1_700_000_000_000
Rec = tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], int]


def kafka_python_build(records: list[Rec]) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 26,
    )
    for offset, (key, value, headers, ts) in enumerate(records):
        assert builder.append(offset, timestamp=ts, key=key, value=value, headers=headers)
    return bytes(builder.build())


def ours(records: list[Rec], *, same_time: bool) -> bytes:
    """Build with our encoder, both forms; check they agree and the parts' contract."""
    tuples = [(k, v, h, None if same_time else ts) for k, v, h, ts in records]
    whole = build_batch(tuples, partition_leader_epoch=0, now_ms=NOW)
    parts = build_batch_parts(tuples, partition_leader_epoch=0, now_ms=NOW)
    assert len(parts[0]) == BATCH_HEADER_SIZE
    assert b"".join(parts) == whole
    keys, values, headers, stamps = (list(c) for c in zip(*tuples, strict=True))
    variants = [RecordColumns(keys, values, headers, stamps)]
    if not any(headers):
        variants.append(RecordColumns(keys, values, None, stamps))
        if set(stamps) == {None}:  # what Log.append_kv passes
            variants.append(RecordColumns(keys, values))
    for columns in variants:
        by_columns = build_batch_parts(columns, partition_leader_epoch=0, now_ms=NOW)
        assert b"".join(by_columns) == whole
    return whole


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=300),
    key_len=st.sampled_from([-1, 0, 1, 10, 63, 64, 200]),
    value_len=st.sampled_from([-1, 0, 1, 63, 64, 100, 511, 512, 8192, 20_000]),
    odd=st.none()
    | st.tuples(st.integers(min_value=0), st.sampled_from(["null key", "null value", "key"])),
)
def test_uniform_batches_with_null_keys_or_values_match_kafka_python(
    count: int, key_len: int, value_len: int, odd: tuple[int, str] | None
) -> None:
    """Same-shape batches where the shape may be "null": the uniform encoder and its fallbacks."""
    records: list[Rec] = [
        (
            None if key_len < 0 else (b"%0200d" % i)[:key_len],
            None if value_len < 0 else bytes([i % 256]) * value_len,
            [],
            NOW,
        )
        for i in range(count)
    ]
    if odd is not None:
        where, kind = odd[0] % count, odd[1]
        key, value, _, stamp = records[where]
        records[where] = {
            "null key": (None, value, [], stamp),
            "null value": (key, None, [], stamp),
            "key": (b"other key", value, [], stamp),
        }[kind]
    assert ours(records, same_time=True) == kafka_python_build(records)


mixed_records = st.lists(
    st.tuples(
        st.none() | st.binary(max_size=70),
        st.none() | st.binary(max_size=300) | st.binary(min_size=600, max_size=3000),
        st.booleans(),  # with a header
        st.integers(min_value=0, max_value=40_000),  # ms after the first record
    ),
    min_size=1,
    max_size=200,
)


@settings(max_examples=100, deadline=None)
@given(shapes=mixed_records, same_time=st.booleans())
def test_mixed_null_keys_and_values_match_kafka_python(
    shapes: list[tuple[bytes | None, bytes | None, bool, int]], same_time: bool
) -> None:
    """Varied sizes with nulls anywhere: the same-time and timed encoders' null branches."""
    records: list[Rec] = [
        (key, value, [("h", b"x")] if header else [], NOW + (0 if same_time or not i else delta))
        for i, (key, value, header, delta) in enumerate(shapes)
    ]
    assert ours(records, same_time=same_time) == kafka_python_build(records)


def test_null_key_batch_of_file_lines_round_trips() -> None:
    """The shape unkeyed sources produce: null keys, JSON lines of varying length."""
    records = [
        (None, b'{"line": %d, "text": "%s"}' % (i, b"x" * (i % 90)), [], NOW) for i in range(2000)
    ]
    batch = RecordBatch(ours(records, same_time=True))
    batch.validate_crc()
    assert batch.keys_values() == [(None, v) for _, v, _, _ in records]


def test_big_values_are_gathered_not_copied() -> None:
    """With 10 KiB values every value is its own part: the same object, never copied."""
    values = [bytes([i]) * 10_240 for i in range(100)]
    records = [(b"key-%06d" % i, v, (), None) for i, v in enumerate(values)]
    parts = build_batch_parts(records, now_ms=NOW)
    gathered = [p for p in parts if len(p) == 10_240]
    assert len(gathered) == 100
    assert all(a is b for a, b in zip(gathered, values, strict=True))
    batch = RecordBatch(b"".join(parts))
    batch.validate_crc()
    assert batch.crc == crc32c(b"".join(parts)[21:])
    assert [v for _, v in batch.keys_values()] == values


def test_compressed_or_small_batches_are_one_body_part() -> None:
    records = [(b"k%d" % i, b"v" * 100, (), None) for i in range(1000)]
    assert len(build_batch_parts(records, now_ms=NOW)) == 2
    big = [(b"k", b"v" * 10_000, (), None)] * 10
    parts = build_batch_parts(big, now_ms=NOW, compression=CompressionType.GZIP)
    assert len(parts) == 2
    assert RecordBatch(b"".join(parts)).keys_values() == [(b"k", b"v" * 10_000)] * 10


def test_columns_agree_with_records_and_records_are_immutable_values() -> None:
    records = [
        (
            b"k%d" % i if i % 4 else None,
            b"v" * i if i % 5 else None,
            [("h", b"x")] * (i % 2),
            NOW + i,
        )
        for i in range(300)
    ]
    batch = RecordBatch(build_batch(records, base_offset=1000))
    offsets, stamps, keys, values, headers = batch.columns()
    assert offsets == list(range(1000, 1300))
    assert stamps == [NOW + i for i in range(300)]
    assert list(zip(keys, values, strict=True)) == [(k, v) for k, v, _, _ in records]
    assert headers == [tuple(h) for _, _, h, _ in records]
    got = batch.records()
    assert [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in got] == list(
        zip(offsets, stamps, keys, values, headers, strict=True)
    )
    assert got[7] == Record(1007, NOW + 7, b"k7", b"v" * 7, (("h", b"x"),))
    assert len({*got, *batch.records()}) == 300  # hashable, equal by value
    with pytest.raises(AttributeError):
        got[0].value = b"changed"  # type: ignore[misc]


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        build_batch_parts(RecordColumns([b"a", b"b"], [b"1"]))
    with pytest.raises(ValueError, match="differ in length"):
        build_batch_parts(RecordColumns([b"a"], [b"1"], timestamps=[1, 2]))
    with pytest.raises(ValueError, match="zero records"):
        build_batch_parts(RecordColumns([], []))
