"""Property tests: round trips over every codec, and the fast decoders against kafka-python.

The decoders take shortcuts for runs of same-shaped records (see
``hub/core_log/_record_decode.py``), so the strategies here deliberately build
runs with shape changes at awkward places: varint size boundaries of the
offset delta (64, 8192), timestamp deltas crossing one- and two-byte varints,
null keys/values, and records with headers in the middle of a run.
"""

from __future__ import annotations

import struct
import warnings

from crc32c import crc32c
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.core_log._record_decode import decode_columns
from hub.core_log.errors import CorruptRecordError
from hub.core_log.records import (
    BATCH_HEADER_SIZE,
    CompressionType,
    Record,
    RecordBatch,
    build_batch,
)
from hub.core_log.varint import encode_varint

with warnings.catch_warnings():  # kafka-python uses a deprecated importlib API on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.record.default_records import DefaultRecordBatch

NOW = 1_700_000_000_000
Rec = tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], int | None]

headers_strategy = st.lists(
    st.tuples(st.text(max_size=10), st.none() | st.binary(max_size=20)), max_size=4
)
arbitrary_records = st.lists(
    st.tuples(
        st.none() | st.binary(max_size=60),
        st.none() | st.binary(max_size=400),
        headers_strategy,
        st.none() | st.integers(min_value=0, max_value=2**45),
    ),
    min_size=1,
    max_size=60,
)
segment = st.tuples(
    st.integers(min_value=1, max_value=120),  # records in the run
    st.integers(min_value=-1, max_value=20),  # key length (-1: null)
    st.sampled_from([-1, 0, 1, 62, 63, 64, 100, 8190, 8192]),  # value length
    st.sampled_from([0, 1, 63, 64, 9000, 10**6]),  # timestamp step between records
    st.booleans(),  # headers on the first record of the run
)


def expand(segments: list[tuple[int, int, int, int, bool]]) -> list[Rec]:
    records: list[Rec] = []
    ts = NOW
    for count, key_len, value_len, step, with_headers in segments:
        for i in range(count):
            n = len(records)
            key = None if key_len < 0 else (b"%020d" % n)[-key_len:] if key_len else b""
            value = None if value_len < 0 else bytes([n % 251]) * value_len
            headers = [("h", b"%d" % n)] if with_headers and i == 0 else []
            records.append((key, value, headers, ts))
            ts += step
    return records


def expected(records: list[Rec], base: int, now: int) -> list[Record]:
    return [
        Record(base + i, now if ts is None else ts, k, v, tuple(h))
        for i, (k, v, h, ts) in enumerate(records)
    ]


@settings(max_examples=80, deadline=None)
@given(
    records=arbitrary_records,
    codec=st.sampled_from(list(CompressionType)),
    base=st.integers(min_value=0, max_value=2**62),
)
def test_round_trip_any_records_any_codec(
    records: list[Rec], codec: CompressionType, base: int
) -> None:
    raw = build_batch(records, base_offset=base, compression=codec, now_ms=NOW)
    batch = RecordBatch(raw)
    batch.validate_crc()
    assert batch.records() == expected(records, base, NOW)
    assert batch.keys_values() == [(k, v) for k, v, _, _ in records]
    stamps = [NOW if ts is None else ts for *_, ts in records]
    assert (batch.first_timestamp, batch.max_timestamp) == (stamps[0], max(stamps))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments=st.lists(segment, min_size=1, max_size=8))
def test_run_shortcuts_agree_with_kafka_python(
    segments: list[tuple[int, int, int, int, bool]],
) -> None:
    records = expand(segments)
    raw = build_batch(records, base_offset=10, now_ms=NOW)
    ours = RecordBatch(raw)
    theirs = [
        Record(r.offset, r.timestamp, r.key, r.value, tuple(r.headers))
        for r in DefaultRecordBatch(memoryview(raw))
    ]
    assert ours.records() == theirs == expected(records, 10, NOW)
    assert ours.keys_values() == [(r.key, r.value) for r in theirs]


@settings(max_examples=30, deadline=None)
@given(count=st.integers(min_value=8150, max_value=8250), value_len=st.sampled_from([0, 10]))
def test_offset_delta_crossing_two_byte_varint_boundary(count: int, value_len: int) -> None:
    records: list[Rec] = [(b"k", b"v" * value_len, [], NOW)] * count
    batch = RecordBatch(build_batch(records, now_ms=NOW))
    decoded = batch.records()
    assert [r.offset for r in decoded] == list(range(count))
    assert batch.keys_values() == [(b"k", b"v" * value_len)] * count


def rewrap_records(raw: bytes, section: bytes) -> bytes:
    """Same header, new (uncompressed) records section, length and CRC fixed up."""
    head = bytearray(raw[:BATCH_HEADER_SIZE])
    struct.pack_into(">i", head, 8, BATCH_HEADER_SIZE - 12 + len(section))
    struct.pack_into(">I", head, 17, crc32c(bytes(head[21:]) + section))
    return bytes(head) + section


def reference_decode(section: bytes, count: int, base: int, first_ts: int) -> list[Record] | None:
    """A deliberately naive decoder straight from the spec (attributes are an int8, as in Java).

    kafka-python is not usable as the oracle here: it reads the attributes byte as a varint.
    """

    def varint(pos: int) -> tuple[int, int]:
        raw, shift = 0, 0
        while True:
            if pos >= len(section) or shift > 63:
                raise ValueError(pos)
            raw |= (section[pos] & 0x7F) << shift
            pos += 1
            if section[pos - 1] < 0x80:
                return (raw >> 1) ^ -(raw & 1), pos
            shift += 7

    def blob(pos: int) -> tuple[bytes | None, int]:
        size, pos = varint(pos)
        if size < -1 or pos + size > len(section):
            raise ValueError(pos)
        return (None, pos) if size == -1 else (section[pos : pos + size], pos + size)

    out, pos = [], 0
    try:
        for _ in range(count):
            length, pos = varint(pos)
            end = pos + length
            ts_delta, p = varint(pos + 1)
            offset_delta, p = varint(p)
            key, p = blob(p)
            value, p = blob(p)
            n_headers, p = varint(p)
            headers = []
            for _ in range(n_headers):
                name, p = blob(p)
                header_value, p = blob(p)
                if name is None:
                    return None
                headers.append((name.decode(), header_value))
            if n_headers < 0 or p != end:
                return None
            out.append(Record(base + offset_delta, first_ts + ts_delta, key, value, tuple(headers)))
            pos = end
    except (ValueError, UnicodeDecodeError):
        return None
    return out if pos == len(section) else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(segment, min_size=1, max_size=4),
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4
    ),
)
def test_damaged_records_never_decode_to_garbage(
    segments: list[tuple[int, int, int, int, bool]], flips: list[tuple[int, int]]
) -> None:
    """With a valid CRC over damaged records, decoding raises or agrees with the spec."""
    raw = build_batch(expand(segments), now_ms=NOW)
    section = bytearray(raw[BATCH_HEADER_SIZE:])
    for where, byte in flips:
        section[where % len(section)] = byte
    damaged = RecordBatch(rewrap_records(raw, bytes(section)))
    try:
        records: list[Record] | None = damaged.records()
    except CorruptRecordError:
        records = None
    try:
        pairs: list[tuple[bytes | None, bytes | None]] | None = damaged.keys_values()
    except CorruptRecordError:
        pairs = None
    reference = reference_decode(bytes(section), damaged.record_count, 0, damaged.first_timestamp)
    assert records == reference
    if records is not None:
        assert pairs == [(r.key, r.value) for r in records]
    elif pairs is not None:
        # keys_values skips headers, so only a malformed header section may differ
        assert len(pairs) == damaged.record_count


def _section(deltas: list[int], value: bytes) -> bytes:
    """A records section of value-only records with exactly these offset deltas."""
    out = bytearray()
    for delta in deltas:
        body = b"\x00" + encode_varint(0) + encode_varint(delta) + encode_varint(-1)
        body += encode_varint(len(value)) + value + encode_varint(0)
        out += encode_varint(len(body)) + body
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(
    start=st.sampled_from([0, 1, 63, 64, 100, 8191, 8192]),
    count=st.integers(min_value=1, max_value=300),
    gaps=st.lists(st.integers(min_value=0, max_value=299), max_size=3),
)
def test_offset_deltas_with_gaps_are_never_taken_for_a_sequence(
    start: int, count: int, gaps: list[int]
) -> None:
    deltas = list(range(start, start + count))
    for at in sorted(set(gaps), reverse=True):  # a compacted batch: later deltas jump ahead
        if at < count:
            deltas[at:] = [d + 1 for d in deltas[at:]]
    cols = decode_columns(_section(deltas, b"v" * 10), len(deltas), 0)
    assert list(cols.offset_deltas) == deltas
    assert cols.values == [b"v" * 10] * len(deltas)
