"""The hot loop that turns records into bytes (private to records.py).

Everything here is written for CPython's interpreter: locals instead of
globals, table lookups instead of per-byte loops, at most one ``b"".join`` per
batch (none when the caller gathers the pieces).  Header-less batches are
encoded column by column: lengths, varints and record sizes come from
``map`` passes over whole columns and the pieces are laid out with slice
assignments, so no Python bytecode runs per record (only per null key or
value).  CDC batches are the case for it: their values vary in length, so
the cheaper same-shape layout of :func:`_encode_uniform` rarely applies.
Batches with headers or with a timestamp before the first go through
per-record loops, and lengths beyond the varint tables through the general
encoder, so the output is identical either way (the property tests check
this against kafka-python and against the general encoder).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, compress, repeat
from operator import add, is_, itemgetter, sub
from typing import Any, NamedTuple, cast

from hub.core_log.varint import TABLE_MAX, ZZ_BYTES, encode_varint

_NULL = ZZ_BYTES[0]  # varint -1: a null key, value or header value
_ZERO = ZZ_BYTES[1]
#: ZZ_SIZE[v + 1] = encoded size of v, for v in the table's range.
_ZZ_SIZE = [len(b) for b in ZZ_BYTES]
#: _ZZ_OF[n]: the varint of n >= 0, indexed by n itself so a column of lengths
#: needs no "+ 1" pass; n > TABLE_MAX raises IndexError (the general encoder's case).
_ZZ_OF = ZZ_BYTES[1:]
#: _FIELD_SIZE[n]: bytes a key or value of n bytes takes in a record (length varint + n).
_FIELD_SIZE = [n + size for n, size in enumerate(_ZZ_SIZE[1:])]
#: attributes (0), timestamp delta 0 and offset delta i for record i: the record prefix
#: of a batch whose records all share one timestamp.
_SAME_TIME_PREFIX = [b"\x00\x00" + ZZ_BYTES[i + 1] for i in range(TABLE_MAX)]
_SAME_TIME_PREFIX_SIZE = [len(p) for p in _SAME_TIME_PREFIX]
#: Record i's body bytes besides its key and value fields, one timestamp for all:
#: the prefix above and the header count (0).
_SAME_TIME_FIXED = [size + 1 for size in _SAME_TIME_PREFIX_SIZE]
_FIRST, _SECOND, _THIRD, _FOURTH = (itemgetter(i) for i in range(4))
#: _ATTRIBUTES_AND_DELTA[d + 1]: a record's attributes byte (0) and timestamp delta d.
_ATTRIBUTES_AND_DELTA = [b"\x00" + b for b in ZZ_BYTES]
#: The same indexed by d >= 0 itself, for a column of deltas.
_STAMP_OF = _ATTRIBUTES_AND_DELTA[1:]
#: Size of varint i and one byte: offset delta i and the header count (0) of record i.
_VARINT_PLUS_ONE_SIZE = [size + 1 for size in _ZZ_SIZE[1:]]
_UNIFORM_MAX_RECORDS = 8192
_HEADS_MAX_SHAPES = 16
#: Values this long are not worth copying to save an iovec: see build_batch_parts.
_BIG_VALUE = 512
#: records.py's test for a gathering write (_worth_gathering: at most this many
#: pieces, of this many bytes on average; a test keeps the copies equal).  Varied
#: batches are laid out for it only when it will take them.
_GATHER_MAX_PIECES = 1000
_GATHER_MIN_PIECE_BYTES = 512
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
    first, low, last, deltas = _timestamps(stamps, now_ms)
    try:
        if headers is None and low == first:  # (a delta below 0 is rare: left to the loops)
            pieces = _encode_columnwise(keys, values, deltas, last - first)
            if pieces is not None:
                return pieces, first, last
        if deltas is not None:
            return _encode_timed(keys, values, headers, deltas), first, last
        if count <= len(_SAME_TIME_PREFIX):
            return _encode_same_time(keys, values, headers), first, last
    except IndexError:  # a key or value too long for the tables
        pass
    return _encode_general(keys, values, headers, deltas or [0] * count), first, last


def _timestamps(
    stamps: Sequence[int | None] | None, now_ms: int
) -> tuple[int, int, int, list[int] | None]:
    """First, min and max timestamp, and each record's delta from the first (None: all equal).

    ``min``/``max`` do the "all equal?" test and bound the deltas in C; a
    null stamp (``now_ms``) makes them raise TypeError, which costs nothing
    in the usual case of no nulls at all.
    """
    if not stamps:
        return now_ms, now_ms, now_ms, None
    known = cast("Sequence[int]", stamps)
    try:
        low, high = min(known), max(known)
        complete = low is not None  # a lone None: min() had nothing to compare it with
    except TypeError:  # None among ints
        complete = False
    if not complete:  # a None stamp means "now"
        known = [now_ms if t is None else t for t in stamps]
        low, high = min(known), max(known)
    first = known[0]
    if low == high:
        return first, first, first, None
    return first, low, high, list(map(sub, known, repeat(first)))


def _encode_columnwise(
    keys: Sequence[Any], values: Sequence[Any], deltas: list[int] | None, span: int
) -> list[bytes] | None:
    """Encode header-less records column by column; None: a batch for the loops.

    Record ``i`` is ``length, attributes, ts delta, offset delta i, key field,
    value field, header count 0``, where a field is a length varint and the
    bytes, or the null varint.  Each column of varints is one table lookup
    per record done by ``map``, and the record lengths are sums of per-record
    sizes, also added by ``map``.  ``deltas`` (from the first timestamp, up
    to ``span``) must not be negative.  Too long a key, value or record
    raises IndexError (the caller then uses the general encoder, as the loops
    would).  Batches whose records all have one shape and one timestamp take
    :func:`_encode_uniform` instead.
    """
    count = len(keys)
    if not 0 < count <= TABLE_MAX:
        return None
    key_field, value_field = _field(keys), _field(values)
    if deltas is None:
        if (
            count <= _UNIFORM_MAX_RECORDS
            and not (key_field.nulls or value_field.nulls)
            and _all_equal(key_field.lengths)
            and _all_equal(value_field.lengths)
        ):
            return _encode_uniform(
                keys, values, key_field.lengths[0], value_field.lengths[0], count
            )
        columns: list[Iterable[bytes]] = [_SAME_TIME_PREFIX[:count]]
        sizes: list[Iterable[int]] = [_SAME_TIME_FIXED]  # map() stops at the shortest input
    else:  # per-record timestamps (deltas past the tables, over ~32 s: one by one)
        stamps = list(map(_STAMP_OF.__getitem__ if span <= TABLE_MAX else _stamp, deltas))
        columns = [stamps, _ZZ_OF[:count]]
        sizes = [map(len, stamps), _VARINT_PLUS_ONE_SIZE]
    for entries, lengths, nulls in (key_field, value_field):
        if lengths[0] < 0:  # all null
            columns.append([_NULL] * count)
            sizes.append(repeat(1, count))
            continue
        varints = list(map(_ZZ_OF.__getitem__, lengths))
        for at in nulls:  # sized as an empty entry (see _field), but marked null
            varints[at] = _NULL
        columns += (varints, entries)
        sizes.append(map(_FIELD_SIZE.__getitem__, lengths))
    body_sizes = sizes[0]
    for more in sizes[1:]:
        body_sizes = map(add, body_sizes, more)
    columns.insert(0, list(map(_ZZ_OF.__getitem__, body_sizes)))
    if _gatherable(value_field.lengths, count):
        # one piece per record before its value: the previous header count, length,
        # prefix, key field and value length.  Few pieces, so the log can gather them.
        heads = map(b"".join, zip(chain((b"",), repeat(_ZERO)), *columns[:-1], strict=False))
        return _interleave([heads, columns[-1]], count, stride=2, after=1)
    return _interleave(columns, count, stride=len(columns) + 1, after=0)


def _stamp(delta: int) -> bytes:
    """A record's attributes byte (0) and timestamp delta, for deltas beyond the tables."""
    return b"\x00" + encode_varint(delta)


class _Field(NamedTuple):
    """A key or value column as :func:`_encode_columnwise` lays it out."""

    #: The column itself, or a copy with ``b""`` for each null when only some are.
    entries: Sequence[Any]
    #: Each entry's length (0 for a null among others); all -1 when every entry is null.
    lengths: list[int]
    #: Where the nulls are when only some entries are null (else empty).
    nulls: list[int]


def _field(column: Sequence[Any]) -> _Field:
    """Lengths of a key or value column, and where its nulls are if only some are.

    An empty field and a null one take one byte each (varints 0 and -1), so
    a null among bytes is laid out as an empty entry whose length varint is
    swapped for the null one: record sizes need no special case, and only the
    nulls cost a Python step (CDC tombstones among change events).  The try
    costs nothing for the usual column without nulls.
    """
    try:
        return _Field(column, list(map(len, column)), [])
    except TypeError:  # nulls, or entries of the wrong type (the join rejects those)
        count = len(column)
        if column[0] is None and column.count(None) == count:  # identity checks: fast
            return _Field(column, [-1] * count, [])
        nulls = list(compress(range(count), map(is_, column, repeat(None))))
        entries = list(column)
        for at in nulls:
            entries[at] = b""
        return _Field(entries, list(map(len, entries)), nulls)


def _all_equal(lengths: list[int]) -> bool:
    """Whether all ``lengths`` are equal; a varied column usually fails the sample for free."""
    first = lengths[0]
    if first != lengths[-1] or first != lengths[len(lengths) // 2]:
        return False
    return lengths.count(first) == len(lengths)


def _gatherable(value_lengths: list[int], count: int) -> bool:
    """Whether a varied batch laid out as head, value, head, value... would be gathered.

    That layout joins each record's small pieces into one head (a
    ``b"".join`` per record), which pays only if the log then writes the
    values without copying them; a batch it would join anyway is cheaper
    left in small pieces.  The values alone must pass records.py's test.
    """
    pieces = 2 * count + 1
    return pieces <= _GATHER_MAX_PIECES and sum(value_lengths) >= _GATHER_MIN_PIECE_BYTES * pieces


def _interleave(
    columns: Sequence[Iterable[bytes]], count: int, stride: int, after: int
) -> list[bytes]:
    """Lay out ``columns`` record by record: piece ``j`` of record ``i`` at ``i * stride + j``.

    Slots no column fills, and ``after`` slots after the last record, hold
    ``_ZERO``: a header count of 0.  Slice assignment copies each column in C.
    """
    end = stride * count
    pieces = [_ZERO] * (end + after)
    for at, column in enumerate(columns):
        pieces[at:end:stride] = column
    return pieces


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


def _encode_uniform(
    keys: Sequence[Any], values: Sequence[Any], key_len: int, value_len: int, count: int
) -> list[bytes]:
    """Encode header-less records that all have one key and one value length (or nulls).

    Everything before a record's key is a cached head (see
    :func:`_uniform_heads`), so a batch is the heads, keys, value lengths and
    values interleaved: one slice assignment per column and no per-record
    lookups at all.
    """
    heads = _uniform_heads(key_len, value_len, count)[:count]
    columns: list[Sequence[bytes]] = [heads]
    if key_len >= 0:
        if value_len >= _BIG_VALUE:  # few pieces for a gathering write: head+key+length, value
            columns[0] = list(map(b"".join, zip(heads, keys, repeat(ZZ_BYTES[value_len + 1]))))
        else:
            columns += (keys, [ZZ_BYTES[value_len + 1]] * count)
    if value_len >= 0:
        columns.append(values)
    return _interleave(columns, count, stride=len(columns), after=1)


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
