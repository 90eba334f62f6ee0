from connectors.api import (
    Headers,
    Schema,
    SinkRecord,
    SourceRecord,
    TimestampType,
    TopicPartition,
)


def test_new_record_keeps_extras_and_copies_headers() -> None:
    r = SourceRecord(
        "t",
        1,
        Schema.STRING_SCHEMA,
        "k",
        None,
        {"a": 1},
        timestamp=5,
        headers=Headers().add("h", "v"),
        source_partition={"file": "a"},
        source_offset={"pos": 3},
    )
    copy = r.new_record(topic="u", value={"a": 2})
    assert isinstance(copy, SourceRecord)
    assert (copy.topic, copy.kafka_partition, copy.key, copy.value) == ("u", 1, "k", {"a": 2})
    assert copy.source_partition == {"file": "a"} and copy.source_offset == {"pos": 3}
    assert copy.timestamp == 5
    copy.headers.add("h2", 1)
    assert r.headers.keys() == ["h"]
    assert copy.headers.keys() == ["h", "h2"]


def test_new_record_can_set_none_explicitly() -> None:
    r = SourceRecord("t", 0, Schema.STRING_SCHEMA, "k", None, "v")
    c = r.new_record(key=None, key_schema=None, kafka_partition=None)
    assert c.key is None and c.key_schema is None and c.kafka_partition is None
    assert c.value == "v"


def test_sink_record_keeps_original_coordinates() -> None:
    r = SinkRecord(
        "orders",
        2,
        None,
        "k",
        None,
        "v",
        kafka_offset=41,
        timestamp=9,
        timestamp_type=TimestampType.CREATE_TIME,
    )
    routed = r.new_record(topic="orders-archive", kafka_partition=0)
    assert routed.kafka_offset == 41
    assert routed.timestamp_type is TimestampType.CREATE_TIME
    assert routed.original_topic_partition == TopicPartition("orders", 2)
    assert routed.original_kafka_offset == 41


def test_records_compare_by_value() -> None:
    a = SinkRecord("t", 0, None, "k", None, "v", kafka_offset=1)
    assert a == SinkRecord("t", 0, None, "k", None, "v", kafka_offset=1)
    assert a != SinkRecord("t", 0, None, "k", None, "v", kafka_offset=2)
    assert "kafka_offset=1" in repr(a)


def test_headers_operations() -> None:
    h = Headers().add("a", 1).add("b", 2).add("a", 3)
    assert h.last_with_name("a") is not None and h.last_with_name("a").value == 3  # type: ignore[union-attr]
    assert [x.value for x in h.all_with_name("a")] == [1, 3]
    assert h.last_with_name("zz") is None
    assert h.duplicate().retain_latest().keys() == ["b", "a"]
    assert len(h.duplicate().remove("a")) == 1
    assert len(h) == 3
    assert not Headers()
