"""Small builders shared by the transform tests."""

from typing import Any

from connectors.api import Headers, Schema, SinkRecord, SourceRecord, Transformation


def configured(cls: type[Transformation[Any]], **config: Any) -> Transformation[Any]:
    """An instance configured with keyword args (``a_b`` becomes ``a.b``)."""
    t = cls()
    t.configure({k.replace("__", "-").replace("_", "."): v for k, v in config.items()})
    return t


def value_record(
    value: Any,
    schema: Schema | None = None,
    *,
    key: Any = None,
    key_schema: Schema | None = None,
    topic: str = "test",
    timestamp: int | None = 1000,
    headers: Headers | None = None,
) -> SourceRecord:
    return SourceRecord(
        topic, 0, key_schema, key, schema, value, timestamp=timestamp, headers=headers
    )


def sink_record(
    value: Any,
    schema: Schema | None = None,
    *,
    key: Any = None,
    key_schema: Schema | None = None,
    offset: int = 42,
) -> SinkRecord:
    return SinkRecord(
        "test", 0, key_schema, key, schema, value, kafka_offset=offset, timestamp=1000
    )
