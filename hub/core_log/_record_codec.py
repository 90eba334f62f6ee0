"""The hot loops that turn records into bytes and back (private to records.py).

Everything here is written for CPython's interpreter: locals instead of
globals, table lookups instead of per-byte loops, one ``b"".join`` per batch,
and the common shape (no headers, key and value present, small lengths, one
timestamp for the whole batch) handled by a dedicated loop.  Any record that
does not fit the fast loop goes through the general encoder, so the output is
identical either way (the property tests check this against kafka-python).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hub.core_log.errors import CorruptRecordError
from hub.core_log.varint import TABLE_MAX, ZZ_BYTES, ZZ_DECODE, decode_varint, encode_varint

T = TypeVar("T")
KeyValue = tuple[bytes | None, bytes | None]

_NULL = ZZ_BYTES[0]  # varint -1: a null key, value or header value
_ZERO = ZZ_BYTES[1]
#: ZZ_SIZE[v + 1] = encoded size of v, for v in the table's range.
_ZZ_SIZE = [len(b) for b in ZZ_BYTES]
#: attributes (0), timestamp delta 0 and offset delta i for record i: the record prefix
#: of a batch whose records all share one timestamp.
_SAME_TIME_PREFIX = [b"\x00\x00" + ZZ_BYTES[i + 1] for i in range(TABLE_MAX)]
_SAME_TIME_PREFIX_SIZE = [len(p) for p in _SAME_TIME_PREFIX]
_FAST_LIMIT = TABLE_MAX - 16  # lengths below this index the tables safely


def encode_records(records: Sequence[Any], now_ms: int) -> tuple[bytes, int, int]:
    """Encode ``(key, value, headers, ts | None)`` tuples; return (bytes, first_ts, max_ts)."""
    stamps = [r[3] for r in records]
    count = len(stamps)
    missing = stamps.count(None)
    if missing:
        stamps = [now_ms if t is None else t for t in stamps]
    first = stamps[0]
    if missing == count or stamps.count(first) == count:
        if count <= len(_SAME_TIME_PREFIX):
            try:
                return _encode_same_time(records), first, first
            except IndexError:  # a key or value too long for the tables
                pass
        deltas = [0] * count
        return _encode_general(records, deltas), first, first
    return _encode_general(records, [t - first for t in stamps]), first, max(stamps)


def _encode_same_time(records: Sequence[Any]) -> bytes:
    parts: list[bytes] = []
    extend = parts.extend
    zz = ZZ_BYTES
    size = _ZZ_SIZE
    prefix = _SAME_TIME_PREFIX
    prefix_size = _SAME_TIME_PREFIX_SIZE
    zero = _ZERO
    for i, (key, value, headers, _) in enumerate(records):
        if headers or key is None or value is None:
            extend((_encode_record(i, 0, key, value, headers),))
            continue
        k1 = len(key) + 1
        v1 = len(value) + 1
        body = prefix_size[i] + k1 + v1 + size[k1] + size[v1] - 1
        extend((zz[body + 1], prefix[i], zz[k1], key, zz[v1], value, zero))
    return b"".join(parts)


def _encode_general(records: Sequence[Any], deltas: list[int]) -> bytes:
    return b"".join(
        [
            _encode_record(i, delta, rec[0], rec[1], rec[2])
            for i, (rec, delta) in enumerate(zip(records, deltas, strict=True))
        ]
    )


def _encode_record(
    offset_delta: int,
    ts_delta: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]],
) -> bytes:
    enc = encode_varint
    pieces = [b"\x00", enc(ts_delta), enc(offset_delta)]
    pieces += (_NULL,) if key is None else (enc(len(key)), key)
    pieces += (_NULL,) if value is None else (enc(len(value)), value)
    pieces.append(enc(len(headers)))
    for name, hvalue in headers:
        raw = name.encode("utf-8")
        pieces += (enc(len(raw)), raw)
        pieces += (_NULL,) if hvalue is None else (enc(len(hvalue)), hvalue)
    body = b"".join(pieces)
    return enc(len(body)) + body


def _corrupt(base_offset: int, detail: str) -> CorruptRecordError:
    msg = (
        f"record batch at offset {base_offset} has malformed records ({detail}); "
        "the batch is corrupt — its CRC should have caught this, check validate_crc()"
    )
    return CorruptRecordError(msg)


def decode_keys_values(data: bytes, count: int, base_offset: int) -> list[KeyValue]:
    """Decode only each record's key and value (skipping headers).

    Raises:
        CorruptRecordError: lengths do not add up to the records section.
    """
    try:
        out, pos = _keys_values_loop(data, count)
    except (IndexError, CorruptRecordError) as exc:
        raise _corrupt(base_offset, f"record data ends early or is malformed: {exc}") from exc
    if pos != len(data):
        raise _corrupt(base_offset, f"{len(data) - pos} bytes left after {count} records")
    return out


def _keys_values_loop(data: bytes, count: int) -> tuple[list[KeyValue], int]:
    dec = ZZ_DECODE
    out: list[KeyValue] = []
    append = out.append
    pos = 0
    for _ in range(count):
        b = data[pos]
        if b < 0x80:
            length = dec[b]
            pos += 1
        elif data[pos + 1] < 0x80:
            length = dec[(b & 0x7F) | (data[pos + 1] << 7)]
            pos += 2
        else:
            length, pos = decode_varint(data, pos)
        end = pos + length
        p = pos + 1
        p = p + 1 if data[p] < 0x80 else _skip_varint(data, p)
        p = p + 1 if data[p] < 0x80 else _skip_varint(data, p)
        b = data[p]
        if b < 0x80:
            klen = dec[b]
            p += 1
        else:
            klen, p = decode_varint(data, p)
        if klen >= 0:
            key: bytes | None = data[p : p + klen]
            p += klen
        else:
            key = None
            if klen != -1:
                _bad_length(klen)
        b = data[p]
        if b < 0x80:
            vlen = dec[b]
            p += 1
        elif data[p + 1] < 0x80:
            vlen = dec[(b & 0x7F) | (data[p + 1] << 7)]
            p += 2
        else:
            vlen, p = decode_varint(data, p)
        if vlen >= 0:
            value: bytes | None = data[p : p + vlen]
            p += vlen
        else:
            value = None
            if vlen != -1:
                _bad_length(vlen)
        if p >= end:
            _raise_overrun(p, end)
        append((key, value))
        pos = end
    return out, pos


def _skip_varint(data: bytes, pos: int) -> int:
    return decode_varint(data, pos)[1]


def _bad_length(length: int) -> None:
    msg = f"negative length {length}"
    raise CorruptRecordError(msg)


def _raise_overrun(pos: int, end: int) -> None:
    msg = f"record fields run to byte {pos}, past the record end {end}"
    raise CorruptRecordError(msg)


def decode_records(
    data: bytes,
    count: int,
    base_offset: int,
    first_timestamp: int,
    append_time: int | None,
    make: Callable[..., T],
) -> list[T]:
    """Decode full records (offset, timestamp, key, value, headers) via ``make``.

    ``append_time`` replaces every record's timestamp (LOG_APPEND_TIME batches).

    Raises:
        CorruptRecordError: lengths do not add up to the records section.
    """
    out: list[T] = []
    append = out.append
    pos = 0
    try:
        for _ in range(count):
            length, pos = decode_varint(data, pos)
            end = pos + length
            ts_delta, p = decode_varint(data, pos + 1)
            offset_delta, p = decode_varint(data, p)
            key, p = _read_bytes(data, p)
            value, p = _read_bytes(data, p)
            headers, p = _read_headers(data, p)
            if p != end:
                _raise_overrun(p, end)
            ts = first_timestamp + ts_delta if append_time is None else append_time
            append(make(base_offset + offset_delta, ts, key, value, headers))
            pos = end
    except (IndexError, CorruptRecordError, UnicodeDecodeError) as exc:
        raise _corrupt(base_offset, str(exc)) from exc
    if pos != len(data):
        raise _corrupt(base_offset, f"{len(data) - pos} bytes left after {count} records")
    return out


def _read_bytes(data: bytes, pos: int) -> tuple[bytes | None, int]:
    b = data[pos]
    if b < 0x80:
        length = ZZ_DECODE[b]
        pos += 1
    else:
        length, pos = decode_varint(data, pos)
    if length < 0:
        if length != -1:
            _bad_length(length)
        return None, pos
    end = pos + length
    if end > len(data):
        _raise_overrun(end, len(data))
    return data[pos:end], end


def _read_headers(data: bytes, pos: int) -> tuple[tuple[tuple[str, bytes | None], ...], int]:
    b = data[pos]
    if b == 0:
        return (), pos + 1
    count, pos = decode_varint(data, pos)
    if count < 0:
        msg = f"negative header count {count}"
        raise CorruptRecordError(msg)
    headers = []
    for _ in range(count):
        name, pos = _read_bytes(data, pos)
        if name is None:
            msg = "null header key"
            raise CorruptRecordError(msg)
        value, pos = _read_bytes(data, pos)
        headers.append((name.decode("utf-8"), value))
    return tuple(headers), pos
