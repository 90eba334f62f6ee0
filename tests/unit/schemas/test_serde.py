"""Confluent wire format and the JSON Schema / Avro payload codecs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.canonical import parse
from schemas.errors import SerializationError
from schemas.models import Schema, SchemaType
from schemas.serde import AvroSerde, JsonSchemaSerde, frame_header, unframe

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "integer"}},
        "home": {"$ref": "address.json"},
    },
    "required": ["name"],
}
ADDRESS = {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]+$"}}}


def json_serde(doc: Any = PERSON, validate: bool = True) -> JsonSchemaSerde:
    address = parse(Schema(json.dumps(ADDRESS), SchemaType.JSON))
    parsed = parse(Schema(json.dumps(doc), SchemaType.JSON), {"address.json": address})
    return JsonSchemaSerde(42, parsed, validate=validate)


def test_frame_and_unframe() -> None:
    assert frame_header(258) == b"\x00\x00\x00\x01\x02"
    schema_id, payload = unframe(b"\x00\x00\x00\x01\x02hello")
    assert (schema_id, bytes(payload)) == (258, b"hello")
    for bad in (b"", b"\x00\x00", b"\x01\x00\x00\x00\x01x"):
        with pytest.raises(SerializationError, match="magic"):
            unframe(bad)


def test_json_round_trip() -> None:
    serde = json_serde()
    data = serde.serialize({"name": "a", "tags": [1], "home": {"zip": "75001"}})
    assert data[:5] == frame_header(42)
    assert serde.deserialize(unframe(data)[1]) == {
        "name": "a",
        "tags": [1],
        "home": {"zip": "75001"},
    }


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"tags": []}, "at $: 'name' is a required property"),
        ({"name": 3}, "at $.name: 3 is not of type 'string'"),
        ({"name": "a", "tags": [1, "x"]}, "at $.tags[1]"),
        ({"name": "a", "home": {"zip": "abc"}}, "at $.home.zip"),  # checked through the reference
    ],
)
def test_json_mismatch_names_the_failing_path(value: Any, path: str) -> None:
    with pytest.raises(SerializationError) as err:
        json_serde().serialize(value)
    assert path in str(err.value)


def test_json_validation_can_be_off() -> None:
    assert json_serde(validate=False).serialize({"name": 3})[5:] == b'{"name":3}'


def test_json_garbage_payload() -> None:
    with pytest.raises(SerializationError, match="not valid JSON"):
        json_serde().deserialize(b"{nope")


AVRO = {
    "type": "record",
    "name": "User",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": "int"},
        {"name": "nick", "type": ["null", "string"], "default": None},
    ],
}


def test_avro_round_trip_and_reader_schema() -> None:
    serde = AvroSerde(5, parse(Schema(json.dumps(AVRO))))
    data = serde.serialize({"name": "x", "age": 3})
    assert data[:5] == frame_header(5)
    assert serde.deserialize(unframe(data)[1]) == {"name": "x", "age": 3, "nick": None}
    reader = {"type": "record", "name": "User", "fields": [{"name": "age", "type": "long"}]}
    assert serde.deserialize(unframe(data)[1], reader) == {"age": 3}


def test_avro_mismatch_names_the_field() -> None:
    serde = AvroSerde(5, parse(Schema(json.dumps(AVRO))))
    with pytest.raises(SerializationError, match=r"User\.age"):
        serde.serialize({"name": "x", "age": "three"})
    with pytest.raises(SerializationError, match="malformed"):
        serde.deserialize(b"\x02")
