"""The hot loop that turns records into bytes (private to records.py).

Everything here is written for CPython's interpreter: locals instead of
globals, table lookups instead of per-byte loops, one ``b"".join`` per batch,
and the common shape (no headers, key and value present, small lengths, one
timestamp for the whole batch) handled by a dedicated loop.  Any record that
does not fit the fast loop goes through the general encoder, so the output is
identical either way (the property tests check this against kafka-python).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from hub.core_log.varint import TABLE_MAX, ZZ_BYTES, encode_varint

_NULL = ZZ_BYTES[0]  # varint -1: a null key, value or header value
_ZERO = ZZ_BYTES[1]
#: ZZ_SIZE[v + 1] = encoded size of v, for v in the table's range.
_ZZ_SIZE = [len(b) for b in ZZ_BYTES]
#: attributes (0), timestamp delta 0 and offset delta i for record i: the record prefix
#: of a batch whose records all share one timestamp.
_SAME_TIME_PREFIX = [b"\x00\x00" + ZZ_BYTES[i + 1] for i in range(TABLE_MAX)]
_SAME_TIME_PREFIX_SIZE = [len(p) for p in _SAME_TIME_PREFIX]
_FIRST, _SECOND, _THIRD, _FOURTH = (itemgetter(i) for i in range(4))
#: _ATTRIBUTES_AND_DELTA[d + 1]: a record's attributes byte (0) and timestamp delta d.
_ATTRIBUTES_AND_DELTA = [b"\x00" + b for b in ZZ_BYTES]
_UNIFORM_MAX_RECORDS = 8192
_HEADS_MAX_SHAPES = 16
_HEADS: dict[tuple[int, int], list[bytes]] = {}


def encode_records(records: Sequence[Any], now_ms: int) -> tuple[bytes, int, int]:
    """Encode ``(key, value, headers, ts | None)`` tuples; return (bytes, first_ts, max_ts)."""
    stamps = list(map(_FOURTH, records))
    count = len(stamps)
    missing = stamps.count(None)
    if missing == count:
        first = now_ms
    else:
        if missing:
            stamps = [now_ms if t is None else t for t in stamps]
        first = stamps[0]
        if stamps.count(first) != count:
            deltas = [t - first for t in stamps]
            return _encode_timed(records, deltas), first, max(stamps)
    try:
        if count <= _UNIFORM_MAX_RECORDS:
            uniform = _encode_uniform(records)
            if uniform is not None:
                return uniform, first, first
        if count <= len(_SAME_TIME_PREFIX):
            return _encode_same_time(records), first, first
    except IndexError:  # a key or value too long for the tables
        pass
    return _encode_general(records, [0] * count), first, first


def _uniform_heads(key_len: int, value_len: int, count: int) -> list[bytes]:
    """Per-record bytes before the key, for same-shape records sharing one timestamp.

    Entry ``i`` is the previous record's header count (none for i = 0), then
    record ``i``'s length, attributes, timestamp delta 0, offset delta ``i``
    and key length: everything that differs between records of one shape
    only through ``i``.  Cached per shape, so a steady producer computes it once.
    """
    heads = _HEADS.get((key_len, value_len))
    if heads is None or len(heads) < count:
        if len(_HEADS) >= _HEADS_MAX_SHAPES:
            _HEADS.clear()
        zz, size, prefix, prefix_size = (
            ZZ_BYTES,
            _ZZ_SIZE,
            _SAME_TIME_PREFIX,
            _SAME_TIME_PREFIX_SIZE,
        )
        k1, v1 = key_len + 1, value_len + 1
        fixed = k1 + v1 + size[k1] + size[v1]  # body size less the prefix, + 1 for the table
        heads = [
            (_ZERO if i else b"") + zz[prefix_size[i] + fixed] + prefix[i] + zz[k1]
            for i in range(max(count, 64))
        ]
        _HEADS[(key_len, value_len)] = heads
    return heads


def _looks_uniform(records: Sequence[Any]) -> bool:
    """Cheap sample (first, middle, last) so varied batches skip the uniform passes."""
    shapes = set()
    for key, value, headers, _ in (records[0], records[len(records) // 2], records[-1]):
        if headers or key is None or value is None:
            return False
        shapes.add((len(key), len(value)))
    return len(shapes) == 1


def _encode_uniform(records: Sequence[Any]) -> bytes | None:
    """Encode records that all have the same key and value lengths and no headers.

    The pieces are laid out with slice assignments and joined once, so the
    per-record work happens in C; ``None`` means the batch is not uniform.
    """
    if not _looks_uniform(records):
        return None
    keys = list(map(_FIRST, records))
    values = list(map(_SECOND, records))
    if any(map(_THIRD, records)):
        return None
    try:
        key_lens = set(map(len, keys))
        value_lens = set(map(len, values))
    except TypeError:  # a null key or value
        return None
    if len(key_lens) != 1 or len(value_lens) != 1:
        return None
    (key_len,) = key_lens
    (value_len,) = value_lens
    count = len(keys)
    pieces = [_ZERO] * (4 * count + 1)
    pieces[0 : 4 * count : 4] = _uniform_heads(key_len, value_len, count)[:count]
    pieces[1::4] = keys
    pieces[2::4] = [ZZ_BYTES[value_len + 1]] * count
    pieces[3::4] = values
    return b"".join(pieces)


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


def _encode_timed(records: Sequence[Any], deltas: list[int]) -> bytes:
    """Encode records whose timestamps differ (e.g. CDC events carrying source times).

    Like :func:`_encode_same_time` with the timestamp delta as its own table
    lookup; deltas beyond the tables (batches spanning over ~32 s) and long
    keys or values take the general encoder.
    """
    count = len(deltas)
    if count > TABLE_MAX or min(deltas) < -1 or max(deltas) > TABLE_MAX:
        return _encode_general(records, deltas)
    zz, size, zero = ZZ_BYTES, _ZZ_SIZE, _ZERO
    indexes = list(map((1).__add__, deltas))
    stamp_pieces = list(map(_ATTRIBUTES_AND_DELTA.__getitem__, indexes))
    stamp_sizes = list(map(size.__getitem__, indexes))
    parts: list[bytes] = []
    extend = parts.extend
    try:
        for i, (key, value, headers, _), stamp, stamp_size in zip(
            range(1, count + 1), records, stamp_pieces, stamp_sizes, strict=True
        ):
            if headers or key is None or value is None:
                extend((_encode_record(i - 1, deltas[i - 1], key, value, headers),))
                continue
            k1 = len(key) + 1
            v1 = len(value) + 1
            body = stamp_size + size[i] + size[k1] + size[v1] + k1 + v1
            extend((zz[body + 1], stamp, zz[i], zz[k1], key, zz[v1], value, zero))
    except IndexError:  # a key or value too long for the tables
        return _encode_general(records, deltas)
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
