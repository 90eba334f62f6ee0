import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.api import ConfigError, DataError, Schema, SchemaBuilder, Struct
from connectors.converters.bytes import ByteArrayConverter
from connectors.converters.header import SimpleHeaderConverter
from connectors.converters.string import StringConverter


def string_converter(encoding: str | None = None) -> StringConverter:
    c = StringConverter()
    c.configure({"converter.encoding": encoding} if encoding else {}, False)
    return c


@given(st.text())
def test_string_round_trip(text: str) -> None:
    c = string_converter()
    back = c.to_connect_data("t", c.from_connect_data("t", Schema.STRING_SCHEMA, text))
    assert back.schema == Schema.OPTIONAL_STRING_SCHEMA
    assert back.value == text


def test_string_converter_encodings_and_non_strings() -> None:
    latin = string_converter("latin-1")
    assert latin.from_connect_data("t", None, "é") == b"\xe9"
    assert latin.to_connect_data("t", b"\xe9").value == "é"
    c = string_converter()
    assert c.from_connect_data("t", None, 42) == b"42"
    assert c.from_connect_data("t", None, True) == b"true"
    assert c.from_connect_data("t", None, None) is None
    assert c.to_connect_data("t", None).value is None
    with pytest.raises(DataError, match="not valid UTF-8"):
        c.to_connect_data("t", b"\xff\xfe")
    with pytest.raises(DataError):
        string_converter("ascii").from_connect_data("t", None, "é")


def test_string_converter_rejects_unknown_encoding() -> None:
    with pytest.raises(ConfigError, match=r"converter\.encoding"):
        string_converter("klingon")


def test_string_converter_as_header_converter() -> None:
    c = string_converter()
    assert c.from_connect_header("t", "h", None, "v") == b"v"
    assert c.to_connect_header("t", "h", b"v").value == "v"


@given(st.binary())
def test_bytes_round_trip(data: bytes) -> None:
    c = ByteArrayConverter()
    c.configure({}, True)
    assert c.from_connect_data("t", Schema.BYTES_SCHEMA, data) == data
    assert c.to_connect_data("t", data).value == data
    assert c.to_connect_data("t", data).schema == Schema.OPTIONAL_BYTES_SCHEMA


def test_bytes_converter_rejects_other_types() -> None:
    c = ByteArrayConverter()
    with pytest.raises(DataError, match="Invalid schema type"):
        c.from_connect_data("t", Schema.STRING_SCHEMA, "x")
    with pytest.raises(DataError, match="not compatible"):
        c.from_connect_data("t", None, "x")
    assert c.from_connect_data("t", None, None) is None
    assert c.to_connect_data("t", None).value is None


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("hello", Schema.STRING_SCHEMA, "hello"),
        (True, Schema.BOOLEAN_SCHEMA, True),
        (42, Schema.INT64_SCHEMA, 42),
        (-1.5, Schema.FLOAT64_SCHEMA, -1.5),
        ({"a": [1, 2]}, None, {"a": [1, 2]}),
    ],
)
def test_simple_header_converter_infers_types(
    value: object, schema: Schema | None, expected: object
) -> None:
    c = SimpleHeaderConverter()
    data = c.from_connect_header("t", "h", None, value)
    back = c.to_connect_header("t", "h", data)
    assert back.schema == schema
    assert back.value == expected


def test_simple_header_converter_other_values() -> None:
    c = SimpleHeaderConverter()
    assert c.from_connect_header("t", "h", None, None) is None
    assert c.to_connect_header("t", "h", None).value is None
    assert c.from_connect_header("t", "h", None, dt.date(2024, 5, 1)) == b"2024-05-01"
    assert c.to_connect_header("t", "h", b"\xff").value == b"\xff"
    s = SchemaBuilder.struct().field("a", Schema.INT8_SCHEMA).build()
    assert c.from_connect_header("t", "h", s, Struct(s, {"a": 1})) == b'{"a":1}'
    assert c.to_connect_header("t", "h", b"{oops").value == "{oops"
