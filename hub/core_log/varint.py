"""Zigzag varints as Kafka writes them inside v2 record batches.

Every variable-length integer of a v2 record (length, timestamp delta,
offset delta, key/value/header lengths, header count) is a protobuf-style
base-128 varint of the zigzag-mapped value, so ``-1`` (null) costs one byte.

Python loops are slow, so the hot paths never loop per byte: encoding of the
small values that dominate real records is a lookup in :data:`ZZ_BYTES`, and
decoding of one- and two-byte varints is a lookup in :data:`ZZ_DECODE` keyed
by the 14 payload bits.  The general functions remain for the rare big value.
"""

from __future__ import annotations

from hub.core_log.errors import CorruptRecordError

#: Smallest and largest value whose encoding is precomputed in ZZ_BYTES.
TABLE_MIN = -1
TABLE_MAX = 1 << 15


def zigzag(value: int) -> int:
    """Map a signed 64-bit integer onto an unsigned one (0, -1, 1, -2 -> 0, 1, 2, 3)."""
    return (value << 1) ^ (value >> 63)


def unzigzag(raw: int) -> int:
    """Invert :func:`zigzag`."""
    return (raw >> 1) ^ -(raw & 1)


def encode_varint(value: int) -> bytes:
    """Encode a signed integer as a zigzag varint (any size up to 64 bits)."""
    if TABLE_MIN <= value <= TABLE_MAX:
        return ZZ_BYTES[value + 1]
    return _encode_unsigned(zigzag(value) & 0xFFFFFFFFFFFFFFFF)


def _encode_unsigned(raw: int) -> bytes:
    out = bytearray()
    while raw > 0x7F:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)
    return bytes(out)


def decode_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode the zigzag varint starting at ``pos``; return ``(value, next_pos)``.

    Raises:
        CorruptRecordError: the varint runs past the buffer or over 10 bytes,
            which only happens with corrupt or truncated data.
    """
    raw = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end or shift > 63:
            msg = (
                f"malformed varint at byte {pos} of the record data; "
                "the batch is corrupt or truncated"
            )
            raise CorruptRecordError(msg)
        byte = buf[pos]
        pos += 1
        raw |= (byte & 0x7F) << shift
        if byte < 0x80:
            return unzigzag(raw), pos
        shift += 7


def _build_encode_table() -> list[bytes]:
    return [_encode_unsigned(zigzag(v)) for v in range(TABLE_MIN, TABLE_MAX + 1)]


#: ZZ_BYTES[v + 1] is the encoding of v for TABLE_MIN <= v <= TABLE_MAX.
ZZ_BYTES: list[bytes] = _build_encode_table()

#: ZZ_DECODE[b] decodes a one-byte varint b (< 0x80); ZZ_DECODE[(b0 & 0x7F) | (b1 << 7)]
#: decodes a two-byte varint b0 b1 (b0 >= 0x80, b1 < 0x80).
ZZ_DECODE: list[int] = [unzigzag(raw) for raw in range(1 << 14)]
