"""Decoding a batch's records section quickly in pure Python (private to records.py).

Two strategies, both giving identical results:

* **Uniform runs.** Most batches hold runs of records with the same layout:
  same key and value lengths, no headers, and timestamp/offset deltas whose
  varints have the same byte length.  Within such a run record ``i`` starts
  at ``start + i * stride``, so one ``struct.iter_unpack`` cuts every key
  and value out in C.  A run is *proven* before it is used: for every layout-defining byte position
  (the length varint, key/value length varints, header count) the strided
  column of bytes must equal the template record's byte, and for the delta
  varints the continuation bits must match.  Those checks are C-speed
  ``bytes`` slicing and comparison, not Python loops.
* **Plain loop.** Anything else (headers, varying sizes) is decoded record by
  record with table-driven varints.  The one- and two-byte length cases are
  written out in each loop rather than calling :func:`_read_bytes`: measured,
  a call per key and value made that step ~1.6x slower, hence the repetition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from struct import Struct
from typing import NamedTuple

from hub.core_log.errors import CorruptRecordError
from hub.core_log.varint import ZZ_DECODE, decode_varint, encode_varint

KeyValue = tuple[bytes | None, bytes | None]
Headers = tuple[tuple[str, bytes | None], ...]

_HIGH_BIT = bytes((b & 0x80) for b in range(256))  # translate table: keep the continuation bit
_LOW_BITS = bytes((b & 0x7F) for b in range(256))
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_MIN_RUN = 8  # shorter proven runs are not worth their checks; use the plain loop
_PROBE = 16  # records checked before trusting a run enough to check the rest
_PLAIN_STEP = 32  # records decoded by the plain loop before trying a run again...
_PLAIN_STEP_MAX = 1024  # ...doubling up to this while runs keep failing


class _Layout(NamedTuple):
    """Byte positions (relative to the record start) of one template record."""

    size: int
    exact: tuple[int, ...]
    masked: tuple[int, ...]
    ts_at: int
    ts_len: int
    od_at: int
    od_len: int
    key_at: int
    key_len: int
    value_at: int
    value_len: int


def _corrupt(base_offset: int, detail: str) -> CorruptRecordError:
    msg = (
        f"record batch at offset {base_offset} has malformed records ({detail}); "
        "the batch is corrupt — check it with validate_crc()"
    )
    return CorruptRecordError(msg)


def _template(data: bytes, pos: int) -> _Layout | None:
    """Describe the record at ``pos`` if it can seed a uniform run (no headers)."""
    try:
        length, p = decode_varint(data, pos)
        exact = list(range(p - pos))
        body = p
        ts_at = p + 1 - pos
        p = decode_varint(data, p + 1)[1]
        od_at = p - pos
        p = decode_varint(data, p)[1]
        masked = list(range(ts_at, p - pos))
        klen_at = p - pos
        key_len, p = decode_varint(data, p)
        exact += range(klen_at, p - pos)
        key_at = p - pos
        p += max(key_len, 0)
        vlen_at = p - pos
        value_len, p = decode_varint(data, p)
        exact += range(vlen_at, p - pos)
        value_at = p - pos
        p += max(value_len, 0)
    except CorruptRecordError:
        return None
    if p >= len(data) or data[p] != 0 or p + 1 - body != length or min(key_len, value_len) < -1:
        return None
    exact.append(p - pos)
    size = p + 1 - pos
    return _Layout(
        size, tuple(exact), tuple(masked), ts_at, od_at - ts_at, od_at, klen_at - od_at,
        key_at, key_len, value_at, value_len,
    )  # fmt: skip


def _matching_prefix(col: bytes, expected: bytes) -> int:
    """Length of the longest common prefix of two equal-length byte strings."""
    if col == expected:
        return len(col)
    lo, hi = 0, len(col)  # col[:lo] matches, col[:hi] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if col[:mid] == expected[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _proven(data: bytes, pos: int, lay: _Layout, n: int) -> int:
    """How many of the ``n`` records from ``pos`` provably share ``lay``'s layout."""
    stride = lay.size
    for r in lay.exact:
        col = data[pos + r : pos + r + stride * (n - 1) + 1 : stride]
        n = min(n, _matching_prefix(col, data[pos + r : pos + r + 1] * len(col)))
    for r in lay.masked:
        col = data[pos + r : pos + r + stride * (n - 1) + 1 : stride].translate(_HIGH_BIT)
        n = min(n, _matching_prefix(col, bytes((data[pos + r] & 0x80,)) * len(col)))
    return n


def _run_length(data: bytes, pos: int, lay: _Layout, remaining: int) -> int:
    """Length of the proven run of ``lay``-shaped records starting at ``pos``.

    Producers number records 0..n-1, so a run usually ends where the offset
    delta needs one more varint byte; checking up to there first avoids the
    bisection that finding the end otherwise costs.
    """
    limit = min(remaining, (len(data) - pos) // lay.size)
    if lay.od_len <= 3:
        first = decode_varint(data, pos + lay.od_at)[0]
        limit = min(limit, max(1, (64 << (7 * (lay.od_len - 1))) - first))
    if limit > 2 * _PROBE:
        probe = _proven(data, pos, lay, _PROBE)
        if probe < _PROBE:
            return probe
    return _proven(data, pos, lay, limit)


@lru_cache(maxsize=256)
def _pair_struct(size: int, key_at: int, key_len: int, value_at: int, value_len: int) -> Struct:
    """A struct that cuts the non-null key and/or value out of one ``size``-byte record."""
    fmt, cursor = "<", 0
    for at, length in ((key_at, key_len), (value_at, value_len)):
        if length >= 0:
            fmt += f"{at - cursor}x{length}s"
            cursor = at + length
    return Struct(f"{fmt}{size - cursor}x")


def _cut(
    data: bytes, pos: int, lay: _Layout, n: int
) -> tuple[Iterable[bytes | None], Iterable[bytes | None]]:
    """Keys and values of a proven run as two columns, cut out by ``struct.iter_unpack``.

    The cutting is one C loop; a null key or value column is ``repeat(None)`` without
    touching the records.
    """
    cutter = _pair_struct(lay.size, lay.key_at, lay.key_len, lay.value_at, lay.value_len)
    cuts = cutter.iter_unpack(memoryview(data)[pos : pos + lay.size * n])
    if lay.key_len >= 0 and lay.value_len >= 0:
        pairs = list(cuts)
        return map(_FIRST, pairs), map(_SECOND, pairs)
    if lay.value_len >= 0:
        return repeat(None, n), map(_FIRST, cuts)
    if lay.key_len >= 0:
        return map(_FIRST, cuts), repeat(None, n)
    return repeat(None, n), repeat(None, n)


def _pairs(data: bytes, pos: int, lay: _Layout, n: int) -> list[KeyValue]:
    """Keys and values of a proven run as (key, value) pairs."""
    return list(zip(*_cut(data, pos, lay, n), strict=True))


@lru_cache(maxsize=64)
def _sequence_columns(first: int, n: int, length: int) -> tuple[bytes, ...]:
    """Byte columns of the ``length``-byte varints of deltas ``first .. first+n-1``.

    Column ``j`` holds byte ``j`` of every varint: what a strided slice of a run gives
    when its offset deltas count up by one, as producers write them.
    """
    encoded = [encode_varint(d) for d in range(first, first + n)]
    if any(len(e) != length for e in encoded):
        return ()
    return tuple(bytes(e[j] for e in encoded) for j in range(length))


def _deltas(data: bytes, start: int, length: int, stride: int, n: int) -> Sequence[int]:
    """Decode a column of same-length varints (timestamp or offset deltas).

    Deltas that count up by one (every offset delta a producer writes) are recognised by
    comparing their byte columns with the expected ones, and come back as a ``range``.
    """
    dec = ZZ_DECODE
    stop = start + stride * (n - 1) + 1
    first = decode_varint(data, start)[0]
    expected = _sequence_columns(first, n, length) if first >= 0 else ()
    if expected and all(
        data[start + j : stop + j : stride] == column for j, column in enumerate(expected)
    ):
        return range(first, first + n)
    if length == 1:  # map over the bytes column: the loop stays in C
        column = data[start:stop:stride]
        if column.count(0) == n:  # every delta 0: one timestamp for the run
            return [0] * n
        return list(map(dec.__getitem__, column))
    if length == 2:
        low = data[start:stop:stride].translate(_LOW_BITS)
        high = data[start + 1 : stop + 1 : stride]
        return list(
            map(dec.__getitem__, map(operator.add, low, map(operator.mul, high, repeat(128))))
        )
    return [decode_varint(data, s)[0] for s in range(start, start + stride * n, stride)]


def _plain_kv(data: bytes, pos: int, count: int, out: list[KeyValue]) -> int:
    """Decode ``count`` records' keys and values from ``pos``; return the next position.

    Written out long-hand (no helper calls for the one- and two-byte varints)
    because every call costs about as much as the rest of a field's work.
    """
    dec = ZZ_DECODE
    append = out.append
    for _ in range(count):
        b = data[pos]
        if b < 0x80:
            end = pos + 1 + dec[b]
            pos += 1
        elif data[pos + 1] < 0x80:
            end = pos + 2 + dec[(b & 0x7F) | (data[pos + 1] << 7)]
            pos += 2
        else:
            length, pos = decode_varint(data, pos)
            end = pos + length
        p = pos + 1
        for _ in (0, 1):  # skip the timestamp and offset deltas
            if data[p] < 0x80:
                p += 1
            elif data[p + 1] < 0x80:
                p += 2
            else:
                p = decode_varint(data, p)[1]
        b = data[p]
        if b < 0x80:
            n = dec[b]
            p += 1
        elif data[p + 1] < 0x80:
            n = dec[(b & 0x7F) | (data[p + 1] << 7)]
            p += 2
        else:
            n, p = decode_varint(data, p)
        key: bytes | None
        if n >= 0:
            key = data[p : p + n]
            p += n
        else:
            key = _null(n)
        b = data[p]
        if b < 0x80:
            n = dec[b]
            p += 1
        elif data[p + 1] < 0x80:
            n = dec[(b & 0x7F) | (data[p + 1] << 7)]
            p += 2
        else:
            n, p = decode_varint(data, p)
        if n >= 0:
            append((key, data[p : p + n]))
            p += n
        else:
            append((key, _null(n)))
        if p >= end:
            _raise_overrun(p, end)
        pos = end
    return pos


def _null(length: int) -> bytes | None:
    if length != -1:
        _bad_length(length)
    return None


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    b = data[pos]
    if b < 0x80:
        return ZZ_DECODE[b], pos + 1
    if data[pos + 1] < 0x80:
        return ZZ_DECODE[(b & 0x7F) | (data[pos + 1] << 7)], pos + 2
    return decode_varint(data, pos)


def _read_bytes(data: bytes, pos: int) -> tuple[bytes | None, int]:
    length, pos = _uvarint(data, pos)
    if length < 0:
        if length != -1:
            _bad_length(length)
        return None, pos
    end = pos + length
    if end > len(data):
        _raise_overrun(end, len(data))
    return data[pos:end], end


def _bad_length(length: int) -> None:
    msg = f"negative length {length}"
    raise CorruptRecordError(msg)


def _raise_overrun(pos: int, end: int) -> None:
    msg = f"record fields run to byte {pos}, past the record end {end}"
    raise CorruptRecordError(msg)


def _drive(
    data: bytes,
    count: int,
    on_run: Callable[[int, _Layout, int], None],
    on_plain: Callable[[int, int], int],
) -> int:
    """Alternate between proven runs and the plain loop; return the end position.

    After a failed attempt to find a run the plain loop takes twice as many
    records before the next attempt, so batches of varied records do not pay
    for probing more than a few percent of their decode time.
    """
    pos = done = 0
    step = _PLAIN_STEP
    while done < count:
        lay = _template(data, pos)
        n = _run_length(data, pos, lay, count - done) if lay is not None else 0
        if n >= _MIN_RUN and lay is not None:
            on_run(pos, lay, n)
            pos += lay.size * n
            step = _PLAIN_STEP
        else:
            n = min(step, count - done)
            pos = on_plain(pos, n)
            step = min(step * 2, _PLAIN_STEP_MAX)
        done += n
    return pos


def decode_keys_values(data: bytes, count: int, base_offset: int) -> list[KeyValue]:
    """Decode only each record's key and value (headers are skipped).

    Raises:
        CorruptRecordError: lengths do not add up to the records section.
    """
    out: list[KeyValue] = []

    def run(pos: int, lay: _Layout, n: int) -> None:
        out.extend(_pairs(data, pos, lay, n))

    try:
        pos = _drive(data, count, run, lambda pos, n: _plain_kv(data, pos, n, out))
    except (IndexError, CorruptRecordError) as exc:
        raise _corrupt(base_offset, f"record data ends early or is malformed: {exc}") from exc
    if pos != len(data):
        raise _corrupt(base_offset, f"{len(data) - pos} bytes left after {count} records")
    return out


class Columns(NamedTuple):
    """Decoded records as parallel lists (cheaper to build than objects)."""

    offset_deltas: list[int]
    ts_deltas: list[int]
    keys: list[bytes | None]
    values: list[bytes | None]
    headers: list[Headers]


def _plain_full(data: bytes, pos: int, count: int, cols: Columns) -> int:
    """Decode ``count`` whole records from ``pos`` into ``cols``; return the next position.

    Long-hand like :func:`_plain_kv`; only multi-byte varints and headers call out.
    """
    dec = ZZ_DECODE
    add_ts, add_od = cols.ts_deltas.append, cols.offset_deltas.append
    add_key, add_value, add_headers = cols.keys.append, cols.values.append, cols.headers.append
    for _ in range(count):
        b = data[pos]
        if b < 0x80:
            end = pos + 1 + dec[b]
            p = pos + 2
        elif data[pos + 1] < 0x80:
            end = pos + 2 + dec[(b & 0x7F) | (data[pos + 1] << 7)]
            p = pos + 3
        else:
            length, p = decode_varint(data, pos)
            end = p + length
            p += 1
        b = data[p]
        if b < 0x80:
            add_ts(dec[b])
            p += 1
        else:
            value, p = decode_varint(data, p)
            add_ts(value)
        b = data[p]
        if b < 0x80:
            add_od(dec[b])
            p += 1
        elif data[p + 1] < 0x80:
            add_od(dec[(b & 0x7F) | (data[p + 1] << 7)])
            p += 2
        else:
            value, p = decode_varint(data, p)
            add_od(value)
        for add in (add_key, add_value):
            b = data[p]
            if b < 0x80:
                n = dec[b]
                p += 1
            elif data[p + 1] < 0x80:
                n = dec[(b & 0x7F) | (data[p + 1] << 7)]
                p += 2
            else:
                n, p = decode_varint(data, p)
            if n >= 0:
                add(data[p : p + n])
                p += n
            else:
                add(_null(n))
        if p + 1 == end and data[p] == 0:
            add_headers(())
        else:
            headers, p = _read_headers(data, p)
            if p != end:
                _raise_overrun(p, end)
            add_headers(headers)
        pos = end
    return pos


def _read_headers(data: bytes, pos: int) -> tuple[Headers, int]:
    if data[pos] == 0:
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


def _run_full(data: bytes, pos: int, lay: _Layout, n: int, cols: Columns) -> None:
    stride = lay.size
    cols.ts_deltas.extend(_deltas(data, pos + lay.ts_at, lay.ts_len, stride, n))
    cols.offset_deltas.extend(_deltas(data, pos + lay.od_at, lay.od_len, stride, n))
    keys, values = _cut(data, pos, lay, n)
    cols.keys.extend(keys)
    cols.values.extend(values)
    cols.headers.extend([()] * n)


def decode_columns(data: bytes, count: int, base_offset: int) -> Columns:
    """Decode every field of every record into parallel lists.

    Raises:
        CorruptRecordError: lengths do not add up to the records section.
    """
    cols = Columns([], [], [], [], [])
    try:
        pos = _drive(
            data,
            count,
            lambda pos, lay, n: _run_full(data, pos, lay, n, cols),
            lambda pos, n: _plain_full(data, pos, n, cols),
        )
    except (IndexError, CorruptRecordError, UnicodeDecodeError) as exc:
        raise _corrupt(base_offset, f"record data ends early or is malformed: {exc}") from exc
    if pos != len(data):
        raise _corrupt(base_offset, f"{len(data) - pos} bytes left after {count} records")
    return cols
