import datetime as dt
from typing import Any

import pytest

from connectors.api import (
    ConfigError,
    DataError,
    Date,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
)
from connectors.transforms.java_time import JavaDateFormat
from connectors.transforms.routers import RegexRouter, TimestampRouter
from connectors.transforms.timestamp_converter import TimestampConverterKey, TimestampConverterValue
from tests.unit.connectors.transforms.helpers import configured, value_record

INSTANT = dt.datetime(2024, 3, 5, 14, 7, 9, 123000, tzinfo=dt.UTC)
MILLIS = 1709647629123


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2024-03-05T14:07:09.123+0000"),
        ("yyyyMMdd", "20240305"),
        ("EEE, d MMM yyyy HH:mm:ss z", "Tue, 5 Mar 2024 14:07:09 UTC"),
        ("yy-M-d h:mm a", "24-3-5 2:07 PM"),
        ("yyyy-MM-dd HH:mm:ss.SSSXXX", "2024-03-05 14:07:09.123Z"),
    ],
)
def test_java_date_format(pattern: str, text: str) -> None:
    f = JavaDateFormat(pattern)
    assert f.format(INSTANT) == text
    parsed = f.parse(text)
    assert f.format(parsed) == text


def test_java_date_parse_with_offset_and_errors() -> None:
    f = JavaDateFormat("yyyy-MM-dd HH:mm:ssXXX")
    assert f.parse("2024-03-05 16:07:09+02:00") == INSTANT.replace(microsecond=0)
    with pytest.raises(ValueError, match="does not match"):
        f.parse("yesterday")
    with pytest.raises(ValueError, match="Unsupported"):
        JavaDateFormat("yyyy-QQ")
    with pytest.raises(ValueError, match="Unterminated"):
        JavaDateFormat("yyyy'T")


@pytest.mark.parametrize(
    ("config", "value", "expected"),
    [
        ({"target.type": "string", "format": "yyyy-MM-dd"}, MILLIS, "2024-03-05"),
        ({"target.type": "unix"}, INSTANT, MILLIS),
        ({"target.type": "unix", "unix.precision": "seconds"}, INSTANT, MILLIS // 1000),
        ({"target.type": "unix", "unix.precision": "microseconds"}, INSTANT, MILLIS * 1000),
        ({"target.type": "unix", "unix.precision": "nanoseconds"}, INSTANT, MILLIS * 10**6),
        ({"target.type": "Timestamp"}, MILLIS, INSTANT),
        (
            {"target.type": "Timestamp", "unix.precision": "seconds"},
            1709647629,
            INSTANT.replace(microsecond=0),
        ),
        ({"target.type": "Date"}, MILLIS, dt.date(2024, 3, 5)),
        ({"target.type": "Time"}, MILLIS, dt.time(14, 7, 9, 123000)),
        (
            {"target.type": "Timestamp", "format": "yyyy-MM-dd HH:mm:ss.SSS"},
            "2024-03-05 14:07:09.123",
            INSTANT,
        ),
        ({"target.type": "unix"}, dt.date(1970, 1, 2), 86_400_000),
    ],
)
def test_timestamp_converter_schemaless_whole_value(
    config: dict[str, str], value: Any, expected: Any
) -> None:
    t = TimestampConverterValue()
    t.configure(config)
    out = t.apply(value_record(value))
    assert out is not None and out.value == expected


def test_timestamp_converter_field_schemaful() -> None:
    schema = (
        SchemaBuilder.struct()
        .name("ev")
        .field("id", Schema.INT32_SCHEMA)
        .field("at", Schema.OPTIONAL_INT64_SCHEMA)
        .build()
    )
    t = configured(TimestampConverterValue, field="at", target_type="Timestamp")
    out = t.apply(value_record(Struct(schema, {"id": 1, "at": MILLIS}), schema))
    assert out is not None
    at = out.value_schema.field("at").schema
    assert at.name == Timestamp.LOGICAL_NAME and at.optional
    assert out.value.get("at") == INSTANT and out.value.get("id") == 1
    out = t.apply(value_record(Struct(schema, {"id": 1}), schema))
    assert out is not None and out.value.get("at") is None


def test_timestamp_converter_logical_inputs_and_schemas() -> None:
    t = configured(TimestampConverterValue, target_type="string", format="yyyy-MM-dd")
    out = t.apply(value_record(dt.date(2020, 2, 29), Date.SCHEMA))
    assert (
        out is not None and out.value == "2020-02-29" and out.value_schema == Schema.STRING_SCHEMA
    )
    t = configured(TimestampConverterValue, target_type="Time")
    out = t.apply(value_record(INSTANT, Timestamp.SCHEMA))
    assert out is not None and out.value_schema == Time.SCHEMA
    key = configured(TimestampConverterKey, target_type="unix").apply(value_record(1, key=INSTANT))
    assert key is not None and key.key == MILLIS


def test_timestamp_converter_errors() -> None:
    with pytest.raises(ConfigError, match="format"):
        configured(TimestampConverterValue, target_type="string")
    with pytest.raises(ConfigError) as exc:
        configured(TimestampConverterValue, target_type="epoch", unix_precision="days")
    assert set(exc.value.errors) == {"target.type", "unix.precision"}
    t = configured(TimestampConverterValue, target_type="unix")
    with pytest.raises(DataError, match="format"):
        t.apply(value_record("2024-01-01"))
    with pytest.raises(DataError, match="does not support"):
        t.apply(value_record([1]))
    with pytest.raises(DataError, match="known timestamp"):
        t.apply(value_record(True, Schema.BOOLEAN_SCHEMA))
    parse = configured(TimestampConverterValue, target_type="unix", format="yyyy")
    with pytest.raises(DataError, match="Could not parse"):
        parse.apply(value_record("soon"))


@pytest.mark.parametrize(
    ("regex", "replacement", "topic", "expected"),
    [
        ("(.*)-(\\d+)", "$1-archive-$2", "orders-7", "orders-archive-7"),
        (
            "dbserver1\\.(?<schema>\\w+)\\.(\\w+)",
            "${schema}_$2",
            "dbserver1.inv.customers",
            "inv_customers",
        ),
        ("orders", "\\$orders", "orders", "$orders"),
        ("a", "b", "ab", "ab"),
        ("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)", "$11$10-$1", "abcdefghijk", "kj-a"),
    ],
)
def test_regex_router(regex: str, replacement: str, topic: str, expected: str) -> None:
    out = configured(RegexRouter, regex=regex, replacement=replacement).apply(
        value_record(1, topic=topic)
    )
    assert out is not None and out.topic == expected


def test_regex_router_config_errors() -> None:
    with pytest.raises(ConfigError) as exc:
        configured(RegexRouter, regex="(", replacement="x")
    assert "regex" in exc.value.errors
    with pytest.raises(ConfigError, match="No group 2"):
        configured(RegexRouter, regex="(a)", replacement="$2")
    with pytest.raises(ConfigError, match="replacement"):
        configured(RegexRouter, regex="a")


def test_timestamp_router() -> None:
    t = configured(TimestampRouter)
    out = t.apply(value_record(1, topic="logs", timestamp=MILLIS))
    assert out is not None and out.topic == "logs-20240305"
    t = configured(
        TimestampRouter, topic_format="${timestamp}/${topic}", timestamp_format="yyyy-MM"
    )
    out = t.apply(value_record(1, topic="logs", timestamp=MILLIS))
    assert out is not None and out.topic == "2024-03/logs"
    with pytest.raises(DataError, match="Timestamp missing"):
        t.apply(value_record(1, timestamp=None))
    with pytest.raises(ConfigError, match=r"timestamp\.format"):
        configured(TimestampRouter, timestamp_format="yyyy-QQ")


def test_timestamp_converter_schemaless_field() -> None:
    t = configured(TimestampConverterValue, field="at", target_type="string", format="yyyy")
    out = t.apply(value_record({"at": MILLIS, "x": 1}))
    assert out is not None and out.value == {"at": "2024", "x": 1}
    out = t.apply(value_record({"x": 1}))
    assert out is not None and out.value == {"x": 1, "at": None}
    assert t.apply(value_record(None)).value is None  # type: ignore[union-attr]
