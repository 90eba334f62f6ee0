"""Zigzag varints: known encodings, the lookup tables, and malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core_log.errors import CorruptRecordError
from hub.core_log.varint import (
    TABLE_MAX,
    TABLE_MIN,
    ZZ_BYTES,
    ZZ_DECODE,
    decode_varint,
    encode_varint,
    unzigzag,
    zigzag,
)

KNOWN = [
    (0, b"\x00"),
    (-1, b"\x01"),
    (1, b"\x02"),
    (63, b"\x7e"),
    (-64, b"\x7f"),
    (64, b"\x80\x01"),
    (-65, b"\x81\x01"),
    (8191, b"\xfe\x7f"),
    (8192, b"\x80\x80\x01"),
    (2**31 - 1, b"\xfe\xff\xff\xff\x0f"),
    (-(2**31), b"\xff\xff\xff\xff\x0f"),
    (2**63 - 1, b"\xfe" + b"\xff" * 8 + b"\x01"),
    (-(2**63), b"\xff" * 9 + b"\x01"),
]


@pytest.mark.parametrize(("value", "encoded"), KNOWN)
def test_known_encodings(value: int, encoded: bytes) -> None:
    assert encode_varint(value) == encoded
    assert decode_varint(encoded + b"tail", 0) == (value, len(encoded))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.binary(max_size=4))
def test_round_trip_any_64_bit_value(value: int, prefix: bytes) -> None:
    encoded = encode_varint(value)
    assert decode_varint(prefix + encoded, len(prefix)) == (value, len(prefix) + len(encoded))
    assert unzigzag(zigzag(value)) == value


def test_tables_agree_with_the_general_code() -> None:
    for value in range(TABLE_MIN, TABLE_MAX + 1):
        assert ZZ_BYTES[value + 1] == encode_varint(value)
    for raw in range(1 << 14):
        encoded = bytes([raw]) if raw < 0x80 else bytes([(raw & 0x7F) | 0x80, raw >> 7])
        assert decode_varint(encoded, 0)[0] == ZZ_DECODE[raw]


@pytest.mark.parametrize("data", [b"", b"\x80", b"\xff\xff", b"\xff" * 11])
def test_truncated_or_overlong_varint_is_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptRecordError, match="malformed varint"):
        decode_varint(data, 0)
