"""PostgreSQL column types -> Connect schemas and values, the way Debezium maps them.

Both the snapshot (``COPY ... TO STDOUT`` text) and the stream (pgoutput tuple data) deliver
column values in PostgreSQL's text format, so one converter per column serves both and the two
paths can never disagree. The sessions run with ``TimeZone=UTC``, ``DateStyle=ISO`` and
``IntervalStyle=iso_8601`` (see :data:`SESSION_OPTIONS`) so the text forms parsed here are fixed.

A type we cannot map is carried as its text form (STRING) and reported once as a warning:
a new column type must never stop the pipeline.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.api import Date, Schema, SchemaBuilder, Struct, Time, Timestamp, Type
from connectors.api import Decimal as DecimalType

log = logging.getLogger(__name__)

#: libpq ``options`` for every session: fixed text formats for dates, intervals and floats.
SESSION_OPTIONS = (
    "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601 -c extra_float_digits=3"
)
DEFAULT_PLACEHOLDER = "__debezium_unavailable_value"
_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - naive = UTC, as Connect's Timestamp
_US_PER_DAY = 86_400_000_000
_DAYS_PER_MONTH = 365.25 / 12

Convert = Callable[[str], Any]


@dataclass(frozen=True)
class Modes:
    """The Debezium options that change how values are represented."""

    decimal: str = "precise"
    time: str = "adaptive"
    binary: str = "bytes"
    interval: str = "numeric"
    money_fraction_digits: int = 2
    placeholder: str = DEFAULT_PLACEHOLDER


@dataclass(frozen=True)
class PgType:
    """One row of ``pg_type`` (what we need of it)."""

    oid: int
    name: str
    kind: str  # typtype: b base, e enum, d domain, c composite, r range, p pseudo
    element: int = 0
    base: int = 0
    base_typmod: int = -1
    category: str = ""
    labels: tuple[str, ...] = ()


@dataclass
class Catalog:
    """Type catalog of a database: OID -> :class:`PgType`, refreshed when an OID is new."""

    types: dict[int, PgType] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def load_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """Fill from :data:`CATALOG_QUERY` rows."""
        for oid, name, kind, elem, base, typmod, cat, labels in rows:
            self.types[int(oid)] = PgType(
                int(oid), name, kind, int(elem), int(base), int(typmod), cat, tuple(labels or ())
            )


CATALOG_QUERY = """
SELECT t.oid, t.typname, t.typtype, t.typelem, t.typbasetype, t.typtypmod, t.typcategory,
       (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = t.oid)
  FROM pg_type t WHERE t.typtype IN ('b', 'e', 'd', 'r', 'm')
"""


@dataclass(frozen=True)
class ColumnType:
    """How one column is represented: its Connect schema and text -> value converter."""

    schema: Schema
    convert: Convert
    placeholder: Any = None


def _opt(builder: SchemaBuilder, optional: bool) -> Schema:
    return (builder.optional() if optional else builder).build()


def _named(t: Type, name: str, optional: bool, **params: str) -> Schema:
    b = SchemaBuilder(t).name(name)
    for k, v in params.items():
        b = b.parameter(k, v)
    return _opt(b.version(1), optional)


def _bool(text: str) -> bool:
    return text == "t"


def _float(text: str) -> float:
    return float(text)


def _bytea(text: str) -> bytes:
    return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()


def _date_days(text: str) -> int | None:
    if "infinity" in text:
        return None
    return (dt.date.fromisoformat(text) - _EPOCH_DATE).days


def _time_us(text: str) -> int:
    hh, mm, rest = text[:8].split(":") if len(text) >= 8 else ("0", "0", "0")
    whole = int(hh) * 3600 + int(mm) * 60 + int(rest[:2])
    frac = text[9:15] if len(text) > 8 and text[8] == "." else ""
    return whole * 1_000_000 + (int(frac.ljust(6, "0")) if frac else 0)


def _timestamp_us(text: str) -> int | None:
    if "infinity" in text:
        return None
    value = dt.datetime.fromisoformat(text)  # BC dates fail here: Python has no year 0
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _zoned_timestamp(text: str) -> str | None:
    """Timestamptz text -> ISO-8601 UTC with minimal fraction digits (Debezium's format).

    Our sessions run with TimeZone=UTC, so PostgreSQL already prints UTC (``+00``): that
    common case is rewritten as a string; anything else goes through datetime.
    """
    if text.endswith("+00") and len(text) >= 22 and text[10] == " " and text[4] == "-":
        base = text[:19]
        frac = text[20:-3].rstrip("0") if text[19:20] == "." else ""
        return f"{base[:10]}T{base[11:]}.{frac}Z" if frac else f"{base[:10]}T{base[11:]}Z"
    if "infinity" in text:
        return None
    value = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{value.microsecond:06d}".rstrip("0")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


def _zoned_time(text: str) -> str:
    value = dt.datetime.fromisoformat("2000-01-01 " + text).astimezone(dt.UTC)
    frac = f"{value.microsecond:06d}".rstrip("0")
    base = value.strftime("%H:%M:%S")
    return f"{base}.{frac}Z" if frac else f"{base}Z"


_INTERVAL = re.compile(
    r"P(?:(?P<y>-?\d+)Y)?(?:(?P<mo>-?\d+)M)?(?:(?P<d>-?\d+)D)?"
    r"(?:T(?:(?P<h>-?\d+)H)?(?:(?P<mi>-?\d+)M)?(?:(?P<s>-?[\d.]+)S)?)?$"
)


def _interval_us(text: str) -> int:
    """ISO-8601 interval -> microseconds, months as 365.25/12 days (Debezium's MicroDuration)."""
    m = _INTERVAL.match(text)
    if m is None:
        msg = f"unexpected interval text {text!r} (IntervalStyle must be iso_8601)"
        raise ValueError(msg)
    g = {k: v or "0" for k, v in m.groupdict().items()}
    months = int(g["y"]) * 12 + int(g["mo"])
    days = months * _DAYS_PER_MONTH + int(g["d"])
    secs = int(g["h"]) * 3600 + int(g["mi"]) * 60
    micros = int(decimal.Decimal(g["s"]) * 1_000_000)
    return round(days * _US_PER_DAY) + secs * 1_000_000 + micros


def _unscaled_bytes(value: decimal.Decimal) -> tuple[int, bytes]:
    sign, digits, exp = value.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    scale = -int(exp)
    if scale < 0:
        unscaled *= 10**-scale
        scale = 0
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return scale, unscaled.to_bytes(length, "big", signed=True)


_HSTORE_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>(?:"((?:[^"\\]|\\.)*)"|NULL)')
_UNESCAPE = re.compile(r"\\(.)")


def hstore_json(text: str) -> str:
    """Hstore text (``"a"=>"1", "b"=>NULL``) as a JSON object (hstore.handling.mode=json)."""
    out: dict[str, str | None] = {}
    for m in _HSTORE_PAIR.finditer(text):
        key, value = m.group(1), m.group(2)
        out[_UNESCAPE.sub(r"\1", key)] = None if value is None else _UNESCAPE.sub(r"\1", value)
    return json.dumps(out)


def parse_array(text: str, convert: Convert) -> list[Any]:
    """Parse a one-dimensional PostgreSQL array literal (``{1,"a b",NULL}``)."""
    if text.startswith("["):  # explicit bounds: [0:1]={...}
        text = text[text.index("=") + 1 :]
    out: list[Any] = []
    i, n = 1, len(text) - 1
    while i < n:
        if text[i] == '"':
            j, buf = i + 1, []
            while text[j] != '"':
                if text[j] == "\\":
                    j += 1
                buf.append(text[j])
                j += 1
            out.append(convert("".join(buf)))
            i = j + 2
            continue
        j = text.find(",", i)
        j = n if j < 0 else j
        item = text[i:j]
        out.append(None if item == "NULL" else convert(item))
        i = j + 1
    return out


class TypeMapper:
    """Builds :class:`ColumnType` for (type OID, typmod) under the configured modes."""

    def __init__(self, catalog: Catalog, modes: Modes) -> None:
        self.catalog = catalog
        self.modes = modes

    def column(self, oid: int, typmod: int, optional: bool, where: str) -> ColumnType:
        """The mapping of one column; unknown types become STRING with a warning."""
        pg = self.catalog.types.get(oid)
        if pg is not None and pg.kind == "d":
            return self.column(pg.base, pg.base_typmod if typmod < 0 else typmod, optional, where)
        found = self._mapped(pg, typmod, optional, where) if pg is not None else None
        if found is None:
            name = pg.name if pg is not None else f"oid {oid}"
            if name not in self.catalog.warned:
                self.catalog.warned.add(name)
                log.warning(
                    "%s: type %s is not supported; its values are sent as strings", where, name
                )
            found = ColumnType(_opt(SchemaBuilder.string(), optional), str)
        elif pg is not None and pg.name in _FALLIBLE:
            found = ColumnType(found.schema, self._guarded(found, where), found.placeholder)
        return self._with_placeholder(found)

    def _guarded(self, col: ColumnType, where: str) -> Convert:
        """Wrap a converter so unrepresentable values never fail the task.

        Year 10000, BC dates, numeric Infinity... become null (the type's zero when the column
        is required), with one warning per column.
        """
        convert, schema, warned = col.convert, col.schema, self.catalog.warned
        fallback: Any = None if schema.optional else _ZERO.get(schema.type)
        if not schema.optional and schema.name == DecimalType.LOGICAL_NAME:
            fallback = decimal.Decimal(0).scaleb(-int((schema.parameters or {})["scale"]))

        def guarded(text: str) -> Any:
            try:
                return convert(text)
            except (ValueError, ArithmeticError, OverflowError):
                if where not in warned:
                    warned.add(where)
                    log.warning("%s: value %r cannot be represented; sent as %r", where, text,
                                fallback)  # fmt: skip
                return fallback

        return guarded

    def _with_placeholder(self, col: ColumnType) -> ColumnType:
        ph = self.modes.placeholder
        raw = bytes.fromhex(ph[4:]) if ph.startswith("hex:") else ph.encode()
        t = col.schema.type
        value: Any = None
        if t is Type.STRING:
            value = ph
        elif t is Type.BYTES and col.schema.name in (None, ""):
            value = raw
        elif t is Type.ARRAY:
            elem = col.schema.value_schema.type if col.schema.value_schema else None
            value = [ph] if elem is Type.STRING else [raw] if elem is Type.BYTES else list(raw)
        return ColumnType(col.schema, col.convert, value)

    def _mapped(self, pg: PgType, typmod: int, opt: bool, where: str) -> ColumnType | None:
        if pg.category == "A" and pg.element:
            elem = self.column(pg.element, typmod, True, where)
            conv = elem.convert
            schema = _opt(SchemaBuilder.array(elem.schema), opt)
            return ColumnType(schema, lambda t: parse_array(t, conv))
        if pg.kind == "e":
            return ColumnType(
                _named(Type.STRING, "io.debezium.data.Enum", opt, allowed=",".join(pg.labels)), str
            )
        simple = _SIMPLE.get(pg.name)
        if simple is not None:
            t, name, conv = simple
            b = SchemaBuilder(t)
            return ColumnType(_opt(b.name(name).version(1) if name else b, opt), conv)
        if pg.kind == "r" or pg.kind == "m":
            return ColumnType(_opt(SchemaBuilder.string(), opt), str)
        builder = _BUILDERS.get(pg.name)
        return None if builder is None else builder(self, typmod, opt)

    def numeric(self, typmod: int, opt: bool) -> ColumnType:
        """NUMERIC per ``decimal.handling.mode``; no declared scale -> VariableScaleDecimal."""
        mode = self.modes.decimal
        if mode == "double":
            return ColumnType(_opt(SchemaBuilder.float64(), opt), _float)
        if mode == "string":
            return ColumnType(
                _opt(SchemaBuilder.string(), opt), lambda t: t.upper() if t == "NaN" else t
            )
        if typmod < 0:
            schema = VARIABLE_SCALE_OPT if opt else VARIABLE_SCALE
            return ColumnType(schema, lambda t: _variable_scale(schema, t))
        precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
        return self._fixed_decimal(scale, precision, opt)

    def _fixed_decimal(self, scale: int, precision: int | None, opt: bool) -> ColumnType:
        b = DecimalType.builder(scale)
        if precision is not None:
            b = b.parameter("connect.decimal.precision", str(precision))
        quantum = decimal.Decimal(1).scaleb(-scale)

        def conv(text: str) -> decimal.Decimal | None:
            if text == "NaN":
                return None
            return decimal.Decimal(text).quantize(quantum)

        return ColumnType(_opt(b, opt), conv)

    def money(self, typmod: int, opt: bool) -> ColumnType:
        """MONEY follows ``decimal.handling.mode`` with ``money.fraction.digits`` as the scale."""
        digits = self.modes.money_fraction_digits
        mode = self.modes.decimal

        def plain(text: str) -> str:
            neg = text.startswith("-") or text.startswith("(")
            cleaned = re.sub(r"[^0-9.]", "", text)
            return ("-" if neg else "") + cleaned

        if mode == "double":
            return ColumnType(_opt(SchemaBuilder.float64(), opt), lambda t: float(plain(t)))
        if mode == "string":
            return ColumnType(_opt(SchemaBuilder.string(), opt), plain)
        fixed = self._fixed_decimal(digits, None, opt)
        inner = fixed.convert
        return ColumnType(fixed.schema, lambda t: inner(plain(t)))

    def temporal(self, name: str, typmod: int, opt: bool) -> ColumnType:
        """Date/time/timestamp per ``time.precision.mode`` (adaptive, ..._microseconds, connect)."""
        mode = self.modes.time
        precision = 6 if typmod < 0 else typmod
        if mode == "connect":
            return _CONNECT_TEMPORAL[name](opt)
        if name == "date":
            return ColumnType(_named(Type.INT32, "io.debezium.time.Date", opt), _date_days)
        if name == "time":
            if mode == "adaptive" and precision <= 3:
                return ColumnType(
                    _named(Type.INT32, "io.debezium.time.Time", opt), lambda t: _time_us(t) // 1000
                )
            return ColumnType(_named(Type.INT64, "io.debezium.time.MicroTime", opt), _time_us)
        if precision <= 3:
            return ColumnType(
                _named(Type.INT64, "io.debezium.time.Timestamp", opt),
                lambda t: _ms(_timestamp_us(t)),
            )
        return ColumnType(_named(Type.INT64, "io.debezium.time.MicroTimestamp", opt), _timestamp_us)

    def binary(self, typmod: int, opt: bool) -> ColumnType:
        """Bytea per ``binary.handling.mode``: bytes, base64, base64-url-safe or hex."""
        mode = self.modes.binary
        if mode == "bytes":
            return ColumnType(_opt(SchemaBuilder.bytes(), opt), _bytea)
        enc: Callable[[bytes], str] = {
            "base64": lambda b: base64.b64encode(b).decode(),
            "base64-url-safe": lambda b: base64.urlsafe_b64encode(b).decode(),
            "hex": lambda b: b.hex(),
        }[mode]
        return ColumnType(_opt(SchemaBuilder.string(), opt), lambda t: enc(_bytea(t)))

    def interval(self, typmod: int, opt: bool) -> ColumnType:
        """Interval per ``interval.handling.mode``: MicroDuration (int64) or ISO string."""
        if self.modes.interval == "string":
            return ColumnType(_named(Type.STRING, "io.debezium.time.Interval", opt), str)
        return ColumnType(_named(Type.INT64, "io.debezium.time.MicroDuration", opt), _interval_us)

    def bits(self, typmod: int, opt: bool) -> ColumnType:
        """bit(1) -> BOOLEAN; bit(n)/varbit -> io.debezium.data.Bits (little-endian bytes)."""
        if typmod == 1:
            return ColumnType(_opt(SchemaBuilder.bool(), opt), lambda t: t == "1")
        length = max(typmod, 1)

        def conv(text: str) -> bytes:
            return int(text or "0", 2).to_bytes(max(1, (len(text) + 7) // 8), "little")

        return ColumnType(
            _named(Type.BYTES, "io.debezium.data.Bits", opt, length=str(length)), conv
        )


def _ms(us: int | None) -> int | None:
    return None if us is None else us // 1000


VARIABLE_SCALE = (
    SchemaBuilder.struct()
    .name("io.debezium.data.VariableScaleDecimal")
    .version(1)
    .doc("Variable scaled decimal")
    .field("scale", Schema.INT32_SCHEMA)
    .field("value", Schema.BYTES_SCHEMA)
    .build()
)
VARIABLE_SCALE_OPT = SchemaBuilder.of(VARIABLE_SCALE).optional().build()


def _variable_scale(schema: Schema, text: str) -> Struct | None:
    if text == "NaN":
        return None
    scale, raw = _unscaled_bytes(decimal.Decimal(text))
    return Struct(schema, {"scale": scale, "value": raw})


_FALLIBLE = frozenset(
    {"numeric", "money", "date", "time", "timestamp", "timestamptz", "timetz", "interval"}
)
_ZERO: Mapping[Type, Any] = {Type.INT32: 0, Type.INT64: 0, Type.STRING: "", Type.FLOAT64: 0.0}

_SIMPLE: Mapping[str, tuple[Type, str | None, Convert]] = {
    "int2": (Type.INT16, None, int),
    "int4": (Type.INT32, None, int),
    "int8": (Type.INT64, None, int),
    "oid": (Type.INT64, None, int),
    "float4": (Type.FLOAT32, None, _float),
    "float8": (Type.FLOAT64, None, _float),
    "bool": (Type.BOOLEAN, None, _bool),
    "text": (Type.STRING, None, str),
    "varchar": (Type.STRING, None, str),
    "bpchar": (Type.STRING, None, str),
    "char": (Type.STRING, None, str),
    "name": (Type.STRING, None, str),
    "citext": (Type.STRING, None, str),
    "inet": (Type.STRING, None, str),
    "cidr": (Type.STRING, None, str),
    "macaddr": (Type.STRING, None, str),
    "macaddr8": (Type.STRING, None, str),
    "json": (Type.STRING, "io.debezium.data.Json", str),
    "jsonb": (Type.STRING, "io.debezium.data.Json", str),
    "xml": (Type.STRING, "io.debezium.data.Xml", str),
    "uuid": (Type.STRING, "io.debezium.data.Uuid", str),
    "ltree": (Type.STRING, "io.debezium.data.Ltree", str),
    "hstore": (Type.STRING, "io.debezium.data.Json", hstore_json),
    "timestamptz": (Type.STRING, "io.debezium.time.ZonedTimestamp", _zoned_timestamp),
    "timetz": (Type.STRING, "io.debezium.time.ZonedTime", _zoned_time),
}

_BUILDERS: Mapping[str, Callable[[TypeMapper, int, bool], ColumnType]] = {
    "numeric": TypeMapper.numeric,
    "money": TypeMapper.money,
    "bytea": TypeMapper.binary,
    "interval": TypeMapper.interval,
    "bit": TypeMapper.bits,
    "varbit": TypeMapper.bits,
    "date": lambda m, t, o: m.temporal("date", t, o),
    "time": lambda m, t, o: m.temporal("time", t, o),
    "timestamp": lambda m, t, o: m.temporal("timestamp", t, o),
}


def _connect_date(opt: bool) -> ColumnType:
    return ColumnType(
        SchemaBuilder.of(Date.SCHEMA).optional().build() if opt else Date.SCHEMA,
        dt.date.fromisoformat,
    )


def _connect_time(opt: bool) -> ColumnType:
    return ColumnType(
        SchemaBuilder.of(Time.SCHEMA).optional().build() if opt else Time.SCHEMA,
        lambda t: dt.time.fromisoformat(t[:15]),
    )


def _connect_timestamp(opt: bool) -> ColumnType:
    return ColumnType(
        SchemaBuilder.of(Timestamp.SCHEMA).optional().build() if opt else Timestamp.SCHEMA,
        dt.datetime.fromisoformat,
    )


_CONNECT_TEMPORAL: Mapping[str, Callable[[bool], ColumnType]] = {
    "date": _connect_date,
    "time": _connect_time,
    "timestamp": _connect_timestamp,
}
