"""The hot loop that turns records into bytes (private to records.py).

Everything here is written for CPython's interpreter: locals instead of
globals, table lookups instead of per-byte loops, at most one ``b"".join`` per
batch (none when the caller gathers the pieces), and the common shapes (no
headers, small lengths, one timestamp for the whole batch; keys and values
present or null) handled by dedicated loops.  Any record that
does not fit the fast loop goes through the general encoder, so the output is
identical either way (the property tests check this against kafka-python).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
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
#: Values this long are not worth copying to save an iovec: see build_batch_parts.
_BIG_VALUE = 512
_HEADS: dict[tuple[int, int], list[bytes]] = {}


def encode_records(records: Sequence[Any], now_ms: int) -> tuple[list[bytes], int, int]:
    """Encode ``(key, value, headers, ts | None)`` tuples; see :func:`encode_columns`."""
    return encode_columns(
        list(map(_FIRST, records)),
        list(map(_SECOND, records)),
        list(map(_THIRD, records)),
        list(map(_FOURTH, records)),
        now_ms,
    )


def encode_columns(
    keys: Sequence[Any],
    values: Sequence[Any],
    headers: Sequence[Any] | None,
    stamps: Sequence[int | None] | None,
    now_ms: int,
) -> tuple[list[bytes], int, int]:
    """Encode records given as columns; return (pieces, first_ts, max_ts).

    The columns must have equal lengths (the callers build them so).
    ``headers``/``stamps`` of ``None`` mean no headers / every timestamp
    ``now_ms``, so column producers (``Log.append_kv``) build no per-record
    tuples at all.  The pieces concatenate to the records section: callers
    either join them once or hand them to ``pwritev`` as they are (big
    values are then never copied between the producer and the page cache).
    """
    count = len(keys)
    if headers is not None and not any(headers):
        headers = None
    first = now_ms
    if stamps is not None:
        missing = stamps.count(None)
        if missing != count:
            if missing:
                stamps = [now_ms if t is None else t for t in stamps]
            first = stamps[0]  # type: ignore[assignment]
            if stamps.count(first) != count:
                deltas = [t - first for t in stamps]  # type: ignore[operator]
                return _encode_timed(keys, values, headers, deltas), first, max(deltas) + first
    try:
        if count <= _UNIFORM_MAX_RECORDS and headers is None:
            uniform = _encode_uniform(keys, values)
            if uniform is not None:
                return uniform, first, first
        if count <= len(_SAME_TIME_PREFIX):
            return _encode_same_time(keys, values, headers), first, first
    except IndexError:  # a key or value too long for the tables
        pass
    return _encode_general(keys, values, headers, [0] * count), first, first


def _uniform_heads(key_len: int, value_len: int, count: int) -> list[bytes]:
    """Per-record bytes before the key, for same-shape records sharing one timestamp.

    Entry ``i`` is the previous record's header count (none for i = 0), then
    record ``i``'s length, attributes, timestamp delta 0, offset delta ``i``
    and key length: everything that differs between records of one shape
    only through ``i``.  A length of -1 is a null key or value; with a null
    key the (constant) value length is part of the head too, so the batch
    needs one piece less per record.  Cached per shape, so a steady producer
    computes it once.
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
        # body less the prefix: key and value (length varint + bytes) + header count,
        # + 1 because zz[n] encodes n - 1
        fixed = size[k1] + max(key_len, 0) + size[v1] + max(value_len, 0) + 2
        suffix = zz[k1] + (zz[v1] if key_len < 0 else b"")
        heads = [
            (_ZERO if i else b"") + zz[prefix_size[i] + fixed] + prefix[i] + suffix
            for i in range(max(count, 64))
        ]
        _HEADS[(key_len, value_len)] = heads
    return heads


def _shape(key: bytes | None, value: bytes | None) -> tuple[int, int]:
    return (-1 if key is None else len(key), -1 if value is None else len(value))


def _looks_uniform(keys: Sequence[Any], values: Sequence[Any]) -> tuple[int, int] | None:
    """Cheap sample (first, middle, last) so varied batches skip the uniform passes."""
    mid = len(keys) // 2
    shapes = {_shape(keys[i], values[i]) for i in (0, mid, -1)}
    return shapes.pop() if len(shapes) == 1 else None


def _uniform_column(column: list[Any], length: int) -> bool:
    """Whether every entry of a key or value column has ``length`` bytes (-1: is None)."""
    if length < 0:
        return column.count(None) == len(column)
    try:
        lengths = set(map(len, column))
    except TypeError:  # a null among non-null ones
        return False
    return lengths == {length}


def _encode_uniform(keys: Sequence[Any], values: Sequence[Any]) -> list[bytes] | None:
    """Encode header-less records that all have the same key and value lengths (or nulls).

    The pieces are laid out with slice assignments, so the per-record work
    happens in C; ``None`` means the batch is not uniform.
    """
    shape = _looks_uniform(keys, values)
    if shape is None:
        return None
    key_len, value_len = shape
    keys = keys if isinstance(keys, list) else list(keys)
    values = values if isinstance(values, list) else list(values)
    if not (_uniform_column(keys, key_len) and _uniform_column(values, value_len)):
        return None
    count = len(keys)
    heads = _uniform_heads(key_len, value_len, count)[:count]
    columns: list[list[Any]] = [heads]
    if key_len >= 0:
        if value_len >= _BIG_VALUE:  # few pieces for a gathering write: head+key+length, value
            columns[0] = list(map(b"".join, zip(heads, keys, repeat(ZZ_BYTES[value_len + 1]))))
        else:
            columns += (keys, [ZZ_BYTES[value_len + 1]] * count)
    if value_len >= 0:
        columns.append(values)
    stride = len(columns)
    pieces = [_ZERO] * (stride * count + 1)
    for at, column in enumerate(columns):
        pieces[at : stride * count : stride] = column
    return pieces


def _encode_same_time(
    keys: Sequence[Any], values: Sequence[Any], headers: Sequence[Any] | None
) -> list[bytes]:
    """Encode records sharing one timestamp, of any shape; null keys and values stay fast."""
    parts: list[bytes] = []
    extend = parts.extend
    zz, size, null, zero = ZZ_BYTES, _ZZ_SIZE, _NULL, _ZERO
    prefix = _SAME_TIME_PREFIX
    prefix_size = _SAME_TIME_PREFIX_SIZE
    for i, key, value, hdrs in zip(
        range(len(keys)), keys, values, repeat(()) if headers is None else headers, strict=False
    ):
        if hdrs:
            extend((_encode_record(i, 0, key, value, hdrs),))
        elif key is None:
            if value is None:
                extend((zz[prefix_size[i] + 4], prefix[i], null, null, zero))
                continue
            v1 = len(value) + 1
            extend((zz[prefix_size[i] + v1 + size[v1] + 2], prefix[i], null, zz[v1], value, zero))
        elif value is None:
            k1 = len(key) + 1
            extend((zz[prefix_size[i] + k1 + size[k1] + 2], prefix[i], zz[k1], key, null, zero))
        else:
            k1 = len(key) + 1
            v1 = len(value) + 1
            body = prefix_size[i] + k1 + v1 + size[k1] + size[v1] - 1
            extend((zz[body + 1], prefix[i], zz[k1], key, zz[v1], value, zero))
    return parts


def _encode_timed(
    keys: Sequence[Any], values: Sequence[Any], headers: Sequence[Any] | None, deltas: list[int]
) -> list[bytes]:
    """Encode records whose timestamps differ (e.g. CDC events carrying source times).

    Like :func:`_encode_same_time` with the timestamp delta as its own table
    lookup; deltas beyond the tables (batches spanning over ~32 s) and long
    keys or values take the general encoder.
    """
    count = len(deltas)
    if count > TABLE_MAX or min(deltas) < -1 or max(deltas) > TABLE_MAX:
        return _encode_general(keys, values, headers, deltas)
    zz, size, zero = ZZ_BYTES, _ZZ_SIZE, _ZERO
    indexes = list(map((1).__add__, deltas))
    stamp_pieces = list(map(_ATTRIBUTES_AND_DELTA.__getitem__, indexes))
    stamp_sizes = list(map(size.__getitem__, indexes))
    parts: list[bytes] = []
    extend = parts.extend
    try:
        for i, key, value, hdrs, stamp, stamp_size in zip(
            range(1, count + 1),
            keys,
            values,
            repeat(()) if headers is None else headers,
            stamp_pieces,
            stamp_sizes,
            strict=False,
        ):
            if hdrs or value is None:
                extend((_encode_record(i - 1, deltas[i - 1], key, value, hdrs),))
                continue
            v1 = len(value) + 1
            if key is None:
                body = stamp_size + size[i] + size[v1] + v1 + 2
                extend((zz[body + 1], stamp, zz[i], _NULL, zz[v1], value, zero))
                continue
            k1 = len(key) + 1
            body = stamp_size + size[i] + size[k1] + size[v1] + k1 + v1
            extend((zz[body + 1], stamp, zz[i], zz[k1], key, zz[v1], value, zero))
    except IndexError:  # a key or value too long for the tables
        return _encode_general(keys, values, headers, deltas)
    return parts


def _encode_general(
    keys: Sequence[Any], values: Sequence[Any], headers: Sequence[Any] | None, deltas: list[int]
) -> list[bytes]:
    return list(
        map(
            _encode_record,
            range(len(deltas)),
            deltas,
            keys,
            values,
            repeat(()) if headers is None else headers,
        )
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
