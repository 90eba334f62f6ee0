"""Java number semantics the transforms reproduce (narrowing casts, float32, Double.toString)."""

from __future__ import annotations

import decimal
import math
import struct

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def wrap(n: int, bits: int) -> int:
    """Two's-complement wrap to ``bits`` (Java's ``(byte)``/``(short)``/``(int)`` casts)."""
    mask = (1 << bits) - 1
    n &= mask
    return n - (1 << bits) if n >> (bits - 1) else n


def narrow_int(value: int | float | decimal.Decimal, bits: int) -> int:
    """Java's ``Number.byteValue()``/``shortValue()``/``intValue()``/``longValue()``."""
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        low, high = _INT64 if bits == 64 else _INT32
        clamped = low if value <= low else high if value >= high else int(value)
        return wrap(clamped, bits)
    return wrap(int(value), bits)


def to_float32(value: float) -> float:
    """Round to the nearest float32, as Java's ``floatValue()`` does."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def shortest_float32(value: float) -> float:
    """The double with the fewest digits that rounds to the same float32 (``0.1f`` -> 0.1)."""
    for precision in range(1, 10):
        candidate = float(f"{value:.{precision}g}")
        if to_float32(candidate) == value:
            return candidate
    return value


def java_float_str(value: float, float32: bool = False) -> str:
    """Java's ``Double.toString`` (``Float.toString`` with ``float32``): ``1.0``, ``1.0E10``."""
    if float32 and math.isfinite(value):
        value = shortest_float32(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    magnitude = abs(value)
    if magnitude == 0 or 1e-3 <= magnitude < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    sign, digits, exp = decimal.Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    exponent = len(text) - 1 + int(exp)
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{exponent}"
