"""The shared upsert/delete/skip decision of the keyed sinks, and their error tables."""

from __future__ import annotations

import pytest

from connectors.api import DataError, SinkRecord
from connectors.sinks._cdc import Action, Decider, key_string
from connectors.sinks.elasticsearch.errors import item_outcome
from connectors.sinks.redis.errors import classify

PH = "__debezium_unavailable_value"


def _rec(value: object, key: object = 1) -> SinkRecord:
    return SinkRecord("t", 0, None, key, None, value, kafka_offset=3)


@pytest.mark.parametrize(
    ("value", "action"),
    [
        ({"op": "c", "before": None, "after": {"id": 1}}, Action.UPSERT),
        ({"op": "r", "before": None, "after": {"id": 1}}, Action.UPSERT),
        ({"op": "u", "before": None, "after": {"id": 1}}, Action.UPSERT),
        ({"op": "d", "before": {"id": 1}, "after": None}, Action.DELETE),
        ({"op": "t", "before": None, "after": None}, Action.SKIP),
        ({"op": "u", "before": None, "after": None}, Action.SKIP),
        ({"id": 1, "__deleted": "true"}, Action.DELETE),
        ({"id": 1, "__deleted": "false"}, Action.UPSERT),
        ("plain text", Action.UPSERT),
    ],
)
def test_each_kind_of_record(value: object, action: Action) -> None:
    assert Decider().decide(_rec(value)).action is action


def test_tombstones_follow_the_null_behavior() -> None:
    assert Decider("delete").decide(_rec(None)).action is Action.DELETE
    assert Decider("ignore").decide(_rec(None)).action is Action.SKIP
    with pytest.raises(DataError, match="t-0@3"):
        Decider("fail").decide(_rec(None))
    with pytest.raises(ValueError, match=r"behavior.on.null.values"):
        Decider("drop")


def test_toast_placeholders_in_every_debezium_shape_are_removed() -> None:
    row = {"id": 1, "t": PH, "b": PH.encode(), "arr": [PH], "ints": list(PH.encode()),
           "h": {PH: PH}, "keep": "x", "one": [5]}  # fmt: skip
    change = Decider().decide(_rec({"op": "u", "before": None, "after": row}))
    assert change.row == {"id": 1, "keep": "x", "one": [5]}
    assert set(change.missing) == {"t", "b", "arr", "ints", "h"}


def test_a_hex_placeholder() -> None:
    decider = Decider(placeholder="hex:00ff")
    assert decider.is_placeholder(b"\x00\xff") and not decider.is_placeholder(b"hex:00ff")


def test_keys_as_text() -> None:
    assert key_string({"a": 1, "b": "x"}) == "1:x"
    assert key_string(b"k") == "k" and key_string(True) == "true"
    with pytest.raises(DataError, match="null key"):
        key_string(None)


def test_elasticsearch_item_outcomes() -> None:
    assert item_outcome("index", {"status": 201}) == "ok"
    assert item_outcome("delete", {"status": 404, "result": "not_found"}) == "ok"
    conflict = {"type": "version_conflict_engine_exception"}
    assert item_outcome("index", {"status": 409, "error": conflict}) == "stale"
    assert item_outcome("index", {"status": 429, "error": {}}) == "retry"
    assert item_outcome("index", {"status": 503, "error": {}}) == "retry"
    parse = {"type": "document_parsing_exception"}
    assert item_outcome("index", {"status": 400, "error": parse}) == "malformed"
    assert (
        item_outcome("index", {"status": 403, "error": {"type": "security_exception"}}) == "fatal"
    )


def test_redis_error_classes() -> None:
    import redis.exceptions as rex

    assert classify(rex.ConnectionError("gone")) == "transient"
    assert classify(rex.ResponseError("LOADING Redis is loading the dataset")) == "transient"
    assert classify(rex.ReadOnlyError("READONLY You can't write")) == "transient"
    assert classify(rex.ResponseError("CLUSTERDOWN The cluster is down")) == "transient"
    assert classify(rex.ResponseError("WRONGTYPE Operation against a key")) == "record"
    assert classify(rex.AuthenticationError("WRONGPASS")) == "terminal"
    assert classify(rex.ResponseError("NOPERM this user has no permissions")) == "terminal"


@pytest.mark.parametrize("header", [{"id": 9}, '{"id": 9}', b'{"id": 9}'])
def test_the_new_key_of_a_primary_key_change(header: object) -> None:
    record = _rec({"op": "d", "before": {"id": 1, "n": "x"}, "after": None})
    record.headers.add("__debezium.newkey", header)
    change = Decider().decide(record)
    assert change.action is Action.DELETE and change.old == {"id": 1, "n": "x"}
    assert key_string(change.new_key) == "9"
    assert Decider().decide(_rec({"op": "d", "before": None, "after": None})).new_key is None
