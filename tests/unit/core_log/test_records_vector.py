"""The column-wise encoder against the general one, byte for byte.

``_encode_columnwise`` computes every length, varint and record size with
whole-column ``map`` passes, so a wrong table, an off-by-one in a size sum or
a column landing in the wrong slot would corrupt every record at once.  The
reference is ``_encode_general`` (one record at a time with
``encode_varint``, itself checked against kafka-python elsewhere).  The
strategies aim at the edges: varint size boundaries of lengths and offset
deltas, lengths at and past the tables' end, timestamp deltas past the
tables, negative deltas, null columns, and the shapes that must fall back to
the per-record loops.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core_log import _record_codec, records
from hub.core_log._record_codec import _encode_general, encode_columns, encode_records
from hub.core_log.varint import TABLE_MAX

NOW = 1_700_000_000_000
#: Lengths on either side of a varint growing a byte (63/64, 8191/8192) and _BIG_VALUE.
EDGE_LENGTHS = [0, 1, 62, 63, 64, 65, 511, 512, 8190, 8191, 8192, 8193]


def reference(
    keys: Sequence[bytes | None],
    values: Sequence[bytes | None],
    stamps: Sequence[int | None] | None,
) -> tuple[bytes, int, int]:
    """The records section, first and max timestamp, one record at a time."""
    resolved = [NOW] * len(keys) if stamps is None else [NOW if t is None else t for t in stamps]
    first = resolved[0]
    deltas = [t - first for t in resolved]
    return b"".join(_encode_general(keys, values, None, deltas)), first, max(resolved)


def encoded(
    keys: Sequence[bytes | None],
    values: Sequence[bytes | None],
    stamps: Sequence[int | None] | None,
) -> tuple[bytes, int, int]:
    pieces, first, last = encode_columns(keys, values, None, stamps, NOW)
    assert all(type(p) is bytes for p in pieces)
    return b"".join(pieces), first, last


def column(lengths: list[int], seed: int) -> list[bytes]:
    return [bytes([(seed + i) % 256]) * n for i, n in enumerate(lengths)]


def stamps_for(kind: str, deltas: list[int]) -> list[int | None] | None:
    if kind == "none":
        return None
    stamps: list[int | None] = [NOW] * len(deltas)
    if kind == "deltas":
        stamps[1:] = [NOW + d for d in deltas[1:]]
    return stamps


@settings(max_examples=150, deadline=None)
@given(
    shapes=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=70),  # key length
            st.integers(min_value=0, max_value=1200),  # value length
            st.integers(min_value=0, max_value=60),  # timestamp delta from the first
        ),
        min_size=1,
        max_size=300,
    ),
    null_keys=st.booleans(),
    null_values=st.booleans(),
    stamps_kind=st.sampled_from(["none", "same", "deltas"]),
)
def test_varied_batches_match_the_general_encoder(
    shapes: list[tuple[int, int, int]], null_keys: bool, null_values: bool, stamps_kind: str
) -> None:
    """Varying key and value lengths, one timestamp or small per-record deltas."""
    key_lengths, value_lengths, deltas = (list(c) for c in zip(*shapes, strict=True))
    keys: list[bytes | None] = [None] * len(shapes) if null_keys else list(column(key_lengths, 1))
    values: list[bytes | None] = (
        [None] * len(shapes) if null_values else list(column(value_lengths, 7))
    )
    stamps = stamps_for(stamps_kind, deltas)
    assert encoded(keys, values, stamps) == reference(keys, values, stamps)


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(
        st.tuples(st.sampled_from(EDGE_LENGTHS), st.sampled_from(EDGE_LENGTHS)),
        min_size=1,
        max_size=12,
    ),
    spread=st.sampled_from([0, 1, 63, 64, 8191, 8192, TABLE_MAX, TABLE_MAX + 1, 10**9]),
)
def test_varint_size_boundaries_match_the_general_encoder(
    lengths: list[tuple[int, int]], spread: int
) -> None:
    """Lengths and timestamp deltas on either side of a varint's growth and the tables' end."""
    keys = column([k for k, _ in lengths], 3)
    values = column([v for _, v in lengths], 5)
    stamps: list[int | None] = [
        NOW + (spread * i) // max(len(lengths) - 1, 1) for i in range(len(lengths))
    ]
    assert encoded(keys, values, stamps) == reference(keys, values, stamps)
    assert encoded(keys, values, None) == reference(keys, values, None)


@pytest.mark.parametrize(
    ("key_length", "value_length"),
    [
        (0, TABLE_MAX),  # the longest value in the tables
        (0, TABLE_MAX + 1),  # one past: the general encoder
        (TABLE_MAX + 1, 3),
        # a 3-byte key: the body is 11 bytes more than the value (attributes, timestamp and
        # offset deltas, key length, key, 3-byte value length, header count), so the
        # record's own length is just below, at and past the table's end
        (3, TABLE_MAX - 12),
        (3, TABLE_MAX - 11),
        (3, TABLE_MAX - 10),
    ],
)
def test_lengths_at_the_end_of_the_tables(key_length: int, value_length: int) -> None:
    keys = [b"k" * key_length, b"kk", b"k" * key_length]
    values = [b"v" * value_length, b"short", b"w" * value_length]
    for stamps in (None, [NOW, NOW + 5, NOW + 9]):
        assert encoded(keys, values, stamps) == reference(keys, values, stamps)


@pytest.mark.parametrize("count", [63, 64, 65, 8191, 8192, 8193, TABLE_MAX, TABLE_MAX + 1])
def test_offset_delta_boundaries_and_batches_beyond_the_tables(count: int) -> None:
    """Offset deltas grow a varint byte at 64 and 8192; past TABLE_MAX the general encoder."""
    keys = [b"%d" % i for i in range(count)]
    values = [b"x" * (i % 5) for i in range(count)]
    stamps: list[int | None] = [NOW + i % 7 for i in range(count)]
    assert encoded(keys, values, None) == reference(keys, values, None)
    assert encoded(keys, values, stamps) == reference(keys, values, stamps)


@settings(max_examples=100, deadline=None)
@given(
    records=st.lists(
        st.tuples(
            st.none() | st.binary(max_size=30),
            st.none() | st.binary(max_size=300),
            st.none() | st.integers(min_value=-5, max_value=40_000),
        ),
        min_size=1,
        max_size=80,
    )
)
def test_nulls_null_stamps_and_any_deltas_match_the_general_encoder(
    records: list[tuple[bytes | None, bytes | None, int | None]],
) -> None:
    """Nulls among keys or values, null stamps ("now"), deltas below zero (the loops' case)
    or past the tables."""
    keys, values, offsets = (list(c) for c in zip(*records, strict=True))
    stamps = [None if d is None else NOW + d for d in offsets]
    assert encoded(keys, values, stamps) == reference(keys, values, stamps)


def test_uniform_batches_still_match() -> None:
    """Same-shape batches (the uniform layout) and the same shape past its record limit."""
    for count in (1, 2, 300, 8192, 8193):
        keys = [b"%08d" % i for i in range(count)]
        values = [bytes([i % 256]) * 100 for i in range(count)]
        assert encoded(keys, values, None) == reference(keys, values, None)
        assert encoded([None] * count, values, None) == reference([None] * count, values, None)
        assert encoded(keys, [None] * count, None) == reference(keys, [None] * count, None)


@pytest.mark.parametrize("odd", [1, 2, 5, 98])
def test_batches_uniform_only_where_sampled_match(odd: int) -> None:
    """First, middle and last records alike, one record (key or value) not: not uniform."""
    keys = [b"%04d" % i for i in range(101)]
    values = [b"v" * 40] * 101
    odd_value = [*values[:odd], b"v" * 41, *values[odd + 1 :]]
    odd_key = [*keys[:odd], b"12345", *keys[odd + 1 :]]
    assert encoded(keys, odd_value, None) == reference(keys, odd_value, None)
    assert encoded(odd_key, values, None) == reference(odd_key, values, None)


@pytest.mark.parametrize("count", [1, 2, 3, 100])
def test_empty_and_null_entries_stay_apart(count: int) -> None:
    """Both take one byte, so a batch of empty and null entries looks uniform by size alone."""
    some_null: list[bytes | None] = [None if i % 2 else b"" for i in range(count)]
    others: list[bytes | None] = [b""] * count
    for keys, values in [(some_null, others), (others, some_null), (some_null, some_null)]:
        assert encoded(keys, values, None) == reference(keys, values, None)
        stamps: list[int | None] = [NOW + i for i in range(count)]
        assert encoded(keys, values, stamps) == reference(keys, values, stamps)


def test_nulls_among_values_keep_the_small_piece_layout() -> None:
    """CDC tombstones among change events: column-wise, seven pieces per record."""
    values = [None if i % 10 == 3 else bytes(400 + i % 50) for i in range(1000)]
    keys = [b"k%d" % i for i in range(1000)]
    pieces, _, _ = encode_columns(keys, values, None, [NOW + i % 9 for i in range(1000)], NOW)
    assert len(pieces) == 8 * len(values)


def test_a_lone_null_stamp_means_now() -> None:
    assert encoded([b"k"], [b"v"], [None]) == reference([b"k"], [b"v"], [None])
    assert encoded([b"k", b"kk"], [b"v", b""], [None, None]) == reference(
        [b"k", b"kk"], [b"v", b""], [None, None]
    )


def test_big_varied_values_are_gathered_not_copied() -> None:
    """Few records with big values of varying length: head, value, head, value ... and a
    final header count, every value the caller's own object, so the log writes it as is."""
    values = [bytes([i]) * (2000 + 37 * i) for i in range(100)]
    keys = [b"key-%d" % i for i in range(100)]
    pieces, _, _ = encode_columns(keys, values, None, [NOW + i for i in range(100)], NOW)
    assert len(pieces) == 2 * len(values) + 1
    assert all(a is b for a, b in zip(pieces[1::2], values, strict=True))
    assert records._worth_gathering(pieces)
    assert encoded(keys, values, None) == reference(keys, values, None)


def test_small_varied_values_stay_in_small_pieces() -> None:
    """A batch the log would join anyway is not joined record by record first."""
    values = [bytes(300 + i % 50) for i in range(2000)]
    keys = [b"k%d" % i for i in range(2000)]
    pieces, _, _ = encode_columns(keys, values, None, None, NOW)
    assert len(pieces) == 7 * len(values)
    assert not records._worth_gathering(pieces)


def test_gathering_thresholds_are_the_logs() -> None:
    """The codec keeps copies of records.py's gather limits (it cannot import them)."""
    assert _record_codec._GATHER_MAX_PIECES == records._GATHER_MAX_PIECES
    assert _record_codec._GATHER_MIN_PIECE_BYTES == records._GATHER_MIN_PIECE_BYTES


def test_records_and_columns_agree() -> None:
    rows = [(b"k%d" % i, bytes(100 + i), (), NOW + i) for i in range(50)]
    keys, values, headers, stamps = (list(c) for c in zip(*rows, strict=True))
    assert encode_records(rows, NOW) == encode_columns(keys, values, headers, stamps, NOW)
