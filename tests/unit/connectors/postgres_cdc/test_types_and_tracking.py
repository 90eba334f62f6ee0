"""Type conversions, offsets/durability bookkeeping and snapshot-mode decisions, no server."""

from __future__ import annotations

import decimal

import pytest

from connectors.api import Type
from connectors.sources.postgres_cdc.stream import DurabilityTracker, track_key
from connectors.sources.postgres_cdc.task import snapshot_needed
from connectors.sources.postgres_cdc.types import (
    Catalog,
    Modes,
    PgType,
    TypeMapper,
    _interval_us,
    _zoned_timestamp,
    parse_array,
)


def mapper(**modes: str) -> TypeMapper:
    cat = Catalog()
    for oid, name, kind, elem, base, cat_ in [
        (23, "int4", "b", 0, 0, "N"), (25, "text", "b", 0, 0, "S"),
        (1007, "_int4", "b", 23, 0, "A"), (1009, "_text", "b", 25, 0, "A"),
        (1700, "numeric", "b", 0, 0, "N"), (790, "money", "b", 0, 0, "N"),
        (17, "bytea", "b", 0, 0, "U"), (600, "point", "b", 0, 0, "G"),
        (9000, "posint", "d", 0, 23, "N"),
    ]:  # fmt: skip
        cat.types[oid] = PgType(oid, name, kind, elem, base, -1, cat_)
    return TypeMapper(cat, Modes(**modes))  # type: ignore[arg-type]


def test_arrays_with_quotes_nulls_and_bounds() -> None:
    assert parse_array("{1,NULL,3}", int) == [1, None, 3]
    assert parse_array('{"a,b","c\\"d",e}', str) == ["a,b", 'c"d', "e"]
    assert parse_array("[0:1]={7,8}", int) == [7, 8]
    assert parse_array("{}", int) == []


def test_intervals_and_zoned_timestamps() -> None:
    assert _interval_us("PT1.5S") == 1_500_000
    assert _interval_us("P1D") == 86_400_000_000
    assert _interval_us("P-1DT-2H") == -(86_400 + 7200) * 1_000_000
    assert _zoned_timestamp("2024-01-01 10:00:00+00") == "2024-01-01T10:00:00Z"
    assert _zoned_timestamp("2024-01-01 10:00:00.120000+01") == "2024-01-01T09:00:00.12Z"
    assert _zoned_timestamp("infinity") is None


def test_numeric_modes_money_domains_and_unknown_types() -> None:
    m = mapper()
    fixed = m.column(1700, (10 << 16 | 2) + 4, True, "t.c")
    assert fixed.schema.parameters == {"scale": "2", "connect.decimal.precision": "10"}
    assert fixed.convert("1.5") == decimal.Decimal("1.50") and fixed.convert("NaN") is None
    assert m.column(790, -1, True, "t.m").convert("-$1,234.50") == decimal.Decimal("-1234.50")
    assert m.column(9000, -1, False, "t.d").schema.type is Type.INT32
    unknown = m.column(600, -1, True, "t.p")
    assert unknown.schema.type is Type.STRING and unknown.convert("(1,2)") == "(1,2)"
    assert mapper(decimal="string").column(1700, -1, True, "x").convert("NaN") == "NAN"


def test_toast_placeholders_follow_the_column_type() -> None:
    m = mapper()
    assert m.column(25, -1, True, "t").placeholder == "__debezium_unavailable_value"
    assert m.column(17, -1, True, "t").placeholder == b"__debezium_unavailable_value"
    assert m.column(1009, -1, True, "t").placeholder == ["__debezium_unavailable_value"]
    assert m.column(1007, -1, True, "t").placeholder == list(b"__debezium_unavailable_value")
    hexed = mapper(placeholder="hex:00ff")
    assert hexed.column(17, -1, True, "t").placeholder == b"\x00\xff"


def test_tracker_confirms_only_fully_acked_transactions_in_order() -> None:
    t = DurabilityTracker()
    t.add((100, False), 2)
    t.end((100, False), 150)
    t.add((200, False), 1)
    t.end((200, False), 250)
    t.acked((200, False))
    assert t.appended_lsn == 0, "a later transaction must not confirm past an earlier one"
    t.acked((100, False))
    assert t.appended_lsn == 0, "one record of the first transaction is still in flight"
    t.acked((100, False))
    assert t.appended_lsn == 250 and t.idle
    t.add((300, False), 1)  # still open: no end yet
    t.acked((300, False))
    assert t.appended_lsn == 250
    assert track_key({"lsn_commit": 5}) == (5, False) and track_key({"snapshot": "INITIAL"}) is None


@pytest.mark.parametrize(
    ("mode", "offset", "slot", "expected"),
    [
        ("initial", None, False, True),
        ("initial", {"lsn_commit": 1}, True, False),
        ("initial", {"snapshot": "INITIAL", "last_snapshot_record": False}, True, True),
        ("initial", {"snapshot": "INITIAL", "last_snapshot_record": True}, True, False),
        ("never", None, False, False),
        ("no_data", None, False, False),
        ("always", {"lsn_commit": 1}, True, True),
        ("when_needed", {"lsn_commit": 1}, False, True),
        ("when_needed", {"lsn_commit": 1}, True, False),
        ("initial_only", None, False, True),
    ],
)
def test_snapshot_mode_decisions(
    mode: str, offset: dict | None, slot: bool, expected: bool
) -> None:
    assert snapshot_needed(mode, offset, slot) is expected


def test_copy_text_format_escapes_and_nulls() -> None:
    from connectors.sources.postgres_cdc.snapshot import parse_copy_text

    data = b"1\ta\\tb\\nc\t\\N\n2\t\\\\x\\101\\x41\t\n"
    assert parse_copy_text(data) == [["1", "a\tb\nc", None], ["2", "\\xAA", ""]]
    assert parse_copy_text(b"") == []


def test_unrepresentable_values_become_null_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    m = mapper()
    m.catalog.types[1184] = PgType(1184, "timestamptz", "b")
    m.catalog.types[1114] = PgType(1114, "timestamp", "b")
    tstz = m.column(1184, -1, True, "t.ts")
    assert tstz.convert("2024-01-02 01:04:05.120000+00") == "2024-01-02T01:04:05.12Z"
    assert tstz.convert("12024-01-02 01:04:05+00") is None
    assert m.column(1114, -1, False, "t.plain").convert("2024-01-01 00:00:00 BC") == 0
    num = m.column(1700, (10 << 16 | 2) + 4, False, "t.n")
    assert num.convert("Infinity") == decimal.Decimal("0.00")
    assert "cannot be represented" in caplog.text
